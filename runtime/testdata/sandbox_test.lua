-- Each test tries a way out of the sandbox and expects a clear refusal; run by sandbox_test.go
-- with WORKDIR, OUTSIDE and SYMLINKS set (see sandboxState).

local function contains(s, part)
  return type(s) == "string" and s:find(part, 1, true) ~= nil
end

-- raises expects fn(...) to raise an error containing part.
local function raises(t, part, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then
    t:error("expected an error containing '" .. part .. "', got success")
  elseif not contains(tostring(err), part) then
    t:error("expected an error containing '" .. part .. "', got: " .. tostring(err))
  end
end

-- refused expects the results of a call to be nil and a message containing part.
local function refused(t, part, v, err)
  if v ~= nil then
    t:error("expected a refusal containing '" .. part .. "', got " .. tostring(v))
  elseif not contains(err, part) then
    t:error("expected a refusal containing '" .. part .. "', got: " .. tostring(err))
  end
end

local OUT = "outside the working directory"

function TestProcessAccessIsGone(t)
  -- Removed functions are nil, so a script can test for them.
  t:equal(os.execute, nil)
  t:equal(io.popen, nil)
  t:equal(os.getenv, nil)
  t:equal(os.tmpname, nil)
  t:equal(io.tmpfile, nil)
  t:equal(os.setenv, nil)
  -- What stays harmless stays.
  t:equal(type(os.time()), "number")
  t:equal(type(os.clock()), "number")
  t:equal(type(os.date("%Y")), "string")
  t:equal(loadstring("return 3")(), 3)
end

function TestDebugKeepsOnlyTraceback(t)
  t:equal(contains(debug.traceback("here"), "stack traceback:"), true)
  local ok, tb = xpcall(function() error("boom") end, debug.traceback)
  t:equal(ok, false)
  t:equal(contains(tb, "boom"), true, tb)
  for _, name in ipairs({ "getinfo", "getlocal", "setlocal", "getupvalue", "setupvalue",
      "getmetatable", "setmetatable", "getfenv", "setfenv" }) do
    t:equal(debug[name], nil, "debug." .. name)
  end
end

function TestFilesOutsideAreRefused(t)
  local paths = { "/etc/passwd", OUTSIDE .. "/secret.txt", "../secret.txt",
    "sub/../../secret.txt", WORKDIR .. "/../secret.txt" }
  if SYMLINKS then
    paths[#paths + 1] = "escape/secret.txt"
  end
  for _, path in ipairs(paths) do
    t:run(path, function(t)
      refused(t, OUT, io.open(path))
      refused(t, OUT, io.open(path, "w"))
      refused(t, OUT, io.open(path, "a+"))
      refused(t, OUT, loadfile(path))
      raises(t, OUT, io.lines, path)
      raises(t, OUT, io.input, path)
      raises(t, OUT, io.output, path)
      raises(t, OUT, dofile, path)
      refused(t, OUT, os.remove(path))
      refused(t, OUT, os.rename(path, "here.txt"))
      refused(t, OUT, os.rename("data.txt", path))
    end)
  end
  if SYMLINKS then
    -- A link to an outside file cannot be read or written through; the link itself is a file
    -- of the working directory and may be renamed or removed.
    refused(t, OUT, io.open("escape.txt"))
    refused(t, OUT, io.open("escape.txt", "w"))
    refused(t, OUT, loadfile("escape.txt"))
    t:equal(os.rename("escape.txt", "renamed-link.txt"), true)
    t:equal(os.remove("renamed-link.txt"), true)
  end
  refused(t, OUT, os.remove("."))
  refused(t, OUT, os.remove(WORKDIR))
  package.path = OUTSIDE .. "/?.lua"
  raises(t, "secret.lua' (" .. OUT .. ")", require, "secret")
end

function TestSymlinkInsideIsFollowed(t)
  if not SYMLINKS then
    t:skip("symbolic links are not available")
  end
  t:equal(io.open("inlink.txt"):read("a"), "inside")
end

function TestInsideTheWorkDirWorks(t)
  t:equal(io.open("data.txt"):read("a"), "inside")
  t:equal(io.open(WORKDIR .. "/data.txt"):read("a"), "inside")
  t:equal(io.open("sub/../data.txt"):read("a"), "inside")
  t:equal(io.open("sub/inner.txt"):read("a"), "inner")
  for line in io.lines("data.txt") do t:equal(line, "inside") end

  local f = assert(io.open("new.txt", "w"))
  f:write("written")
  f:close()
  t:equal(io.open("new.txt"):read("a"), "written")
  t:equal(os.rename("new.txt", "sub/renamed.txt"), true)
  t:equal(os.remove("sub/renamed.txt"), true)
  refused(t, "no such file", io.open("sub/renamed.txt"))

  t:equal(loadfile("mod.lua")(), "mod")
  t:equal(dofile("mod.lua"), "mod")
  t:equal(require("mod"), "mod")
end
