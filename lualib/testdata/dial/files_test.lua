-- Tests of client.files and dial.path in the dial module, against the emulator.
local dial = require("dial")

function TestPathJoin(t)
  local home = "files/" .. EMULATOR.bucket .. "/"
  t:equal(dial.path.join(home, "reports", "q3 summary.txt"), home .. "reports/q3%20summary.txt")
  t:equal(dial.path.join(home, "reports/"), home .. "reports/", "a trailing '/' makes a folder")
  t:equal(dial.path.join(home .. "a", "b"), home .. "a/b", "the base is taken as a folder")
  t:equal(dial.path.join(home, "50%"), home .. "50%25", "names are encoded once")
  t:equal(dial.path.join(home .. "x%20y"), home .. "x%20y")
  local url, msg, err = dial.path.join(home, "..", "x")
  t:equal(url, nil)
  t:equal(err.kind, "invalid_url")
  local _, _, err2 = dial.path.join("nope/b/", "x")
  t:equal(err2.kind, "invalid_url")
end

function TestRoundTrip(t)
  local client = dial.default()
  local home = client:files_home()
  local url = dial.path.join(home, "reports", "q3 summary.txt")
  local meta = assert(client.files:upload(url, "text content"))
  t:equal(meta.name, "q3 summary.txt")
  t:equal(meta.contentLength, 12)
  t:equal(meta.contentType, "text/plain; charset=utf-8", "the type comes from the name")
  t:equal(#meta.etag, 32)
  t:equal(meta.url, url)
  t:equal(assert(client.files:download(url)), "text content")
  local m = assert(client.files:metadata(url))
  t:equal(m.etag, meta.etag)
  t:equal(m.nodeType, "ITEM")

  local page = assert(client.files:metadata(home .. "reports/", { limit = 100 }))
  t:equal(page.nodeType, "FOLDER")
  t:equal(#page.items, 1)
  t:equal(page.items[1].name, "q3 summary.txt")

  assert(client.files:move(url, home .. "archive/q3.txt", { overwrite = true }))
  assert(client.files:copy(home .. "archive/q3.txt", home .. "copy.txt"))
  local _, _, gone = client.files:metadata(url)
  t:equal(gone.kind, "not_found")
  t:equal(gone.message:match("^GET %S*/v1/metadata/(%S+): 404 Not Found$"), url,
    "a 404 without a body names the request: " .. gone.message)
  t:equal(tostring(gone), "not_found: " .. gone.message)
  local names = {}
  for item in client.files:list(home, { recursive = true }) do names[#names + 1] = item.name end
  t:equal(names, { "q3.txt", "copy.txt" })
end

function TestETagConditions(t)
  local client = dial.default()
  local url = client:files_home() .. "cond.txt"
  local first = assert(client.files:upload(url, "v1", { if_none_match = "*" }))
  local r, _, err = client.files:upload(url, "v2", { if_none_match = "*" })
  t:equal(r, nil, "create-only refuses an existing file")
  t:equal(err.kind, "etag_mismatch")
  local second = assert(client.files:upload(url, "v2", { if_match = first.etag, content_type = "application/x-test" }))
  t:equal(second.contentType, "application/x-test")
  local _, _, stale = client.files:delete(url, { if_match = first.etag })
  t:equal(stale.kind, "etag_mismatch")
  t:equal(stale.status, 412)
  local none, _, cur = client.files:download(url, { if_none_match = second.etag })
  t:equal(none, nil)
  t:equal(cur.kind, "not_modified", "an unchanged file is not sent again")
  t:equal(cur.status, 304)
  t:equal(cur.retryable, false)
  t:equal(cur.message:match("^GET %S*/v1/(%S+): 304 Not Modified$"), url, cur.message)
  t:equal(client.files:delete(url, { if_match = second.etag }), true)
end

function TestDiskTransfers(t)
  local client = dial.default()
  local url = client:files_home() .. "big/blob.bin"
  local f = assert(io.open("in.bin", "wb"))
  for i = 1, 2000 do f:write(string.format("%08d|", i)) end
  f:close()
  local meta = assert(client.files:upload(url, { path = "in.bin", content_type = "application/octet-stream" }))
  t:equal(meta.contentLength, 18000)
  local info = assert(client.files:download(url, { to = "out.bin" }))
  t:equal(info.contentLength, 18000)
  t:equal(info.etag, meta.etag)
  t:equal(info.name, "blob.bin")
  local a, b = io.open("in.bin", "rb"), io.open("out.bin", "rb")
  t:equal(a:read("a") == b:read("a"), true, "the downloaded file equals the uploaded one")
  a:close(); b:close()

  local _, _, missing = client.files:download(client:files_home() .. "nope.bin", { to = "never.bin" })
  t:equal(missing.kind, "not_found")
  t:equal(io.open("never.bin", "rb"), nil, "a failed download leaves no file")
  local _, _, nofile = client.files:upload(url, { path = "does-not-exist.bin" })
  t:equal(type(nofile.message), "string")
end

function TestBadURLsFailBeforeRequests(t)
  local files = dial.default().files
  local home = dial.default():files_home()
  for _, bad in ipairs({ home .. "a/../b", home .. "a//b", home .. "a%2Fb", "files/" }) do
    local r, msg, err = files:download(bad)
    t:equal(r, nil, bad)
    t:equal(err.kind, "invalid_url", bad .. ": " .. tostring(msg))
  end
  local _, _, foreign = files:download("https://elsewhere.example.com/v1/files/" .. EMULATOR.bucket .. "/x")
  t:equal(foreign.kind, "not_dial_url")
  local abs = EMULATOR.url .. "/v1/" .. home .. "abs.txt"
  assert(files:upload(abs, "absolute"))
  t:equal(assert(files:download(home .. "abs.txt")), "absolute", "absolute URLs on the client's host work")
  local ok, msg = pcall(files.upload, files, home .. "x", 42)
  t:equal(ok, false)
  t:equal(msg:find("content string or options table", 1, true) ~= nil, true)
end

function TestOtherBucketForbidden(t)
  local other = dial.client{ base_url = EMULATOR.url, api_key = EMULATOR.second_key }
  local url = assert(other:files_home()) .. "private.txt"
  assert(other.files:upload(url, "mine"))
  local r, _, err = dial.default().files:download(url)
  t:equal(r, nil)
  t:equal(err.status, 403)
  t:equal(err.kind, "http")
  local files = dial.default().files
  local ok, lerr = pcall(function() for _ in files:list((url:gsub("private.txt", ""))) do end end)
  t:equal(ok, false)
  t:equal(lerr.status, 403, "list raises the err table")
end

-- dial.path.join spells a URL as DIAL spells it in metadata and listings, so they compare equal.
function TestJoinedURLIsTheListedURL(t)
  local client = dial.default()
  local home = client:files_home()
  local names = { "a+b&c=(1).txt", "1:2.txt", "x@y;z,!$'*~.txt", "naïve 😀 #1.txt" }
  local want = {}
  for _, name in ipairs(names) do
    local url = assert(dial.path.join(home, "sub", name))
    want[url] = true
    local meta = assert(client.files:upload(url, "x"))
    t:equal(meta.url, url, name)
    t:equal(assert(client.files:metadata(url)).url, url, name)
  end
  t:equal(dial.path.join(home, "a+b&c=(1).txt"), home .. "a+b&c=(1).txt")
  local n = 0
  for item in client.files:list(home .. "sub/") do
    t:equal(want[item.url], true, item.url)
    t:equal(item.url, dial.path.join(home, "sub", item.name))
    n = n + 1
  end
  t:equal(n, #names)
end
