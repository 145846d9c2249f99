-- pcall and xpcall close only the upvalues of the frames an error unwinds.
local n = 0
local function t(f) n = n + 1; pcall(f) end
t(error); t(error); t(error)
print("counter", n)

local results = {}
local function collect(f, ...)
  local ok, v = pcall(f, ...)
  results[#results + 1] = tostring(ok) .. ":" .. tostring(v)
end
collect(function(x) return x * 2 end, 21)
collect(function() error("boom", 0) end)
collect(function() error({}) end)
collect(function(x) return x end, nil)
print("collected", #results, results[1], results[2], results[4])

local attempts = 0
local function retry(times, f)
  for i = 1, times do
    attempts = attempts + 1
    local ok, v = pcall(f, i)
    if ok then return v end
  end
end
print("retry", retry(5, function(i) if i < 4 then error("not yet", 0) end return "got " .. i end), attempts)

local f, g
xpcall(function() local x = 1; f = function() x = x + 1; return x end; error("e") end,
  function(m) return m end)
pcall(function() local y = 10; g = function() y = y + 1; return y end; error({}) end)
for i = 1, 5 do pcall(function() local z = {i, i} error(z) end) end
print("closed", f(), f(), g(), g())

local function outer()
  local acc = {}
  local function add(v) acc[#acc + 1] = v end
  for i = 1, 3 do
    pcall(function() add(i); if i == 2 then error("skip", 0) end; add(i * 10) end)
  end
  return table.concat(acc, ",")
end
print("outer", outer())
