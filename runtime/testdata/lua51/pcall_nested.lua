local function lvl3() error({where = "lvl3"}) end
local function lvl2() local ok, e = pcall(lvl3); error(e) end
local ok, e = pcall(lvl2)
print(ok, type(e), e.where)
print(pcall(pcall, pcall, error, "x"))
local rethrown = select(2, pcall(function()
  local ok, err = pcall(error, "inner", 0)
  error("outer(" .. err .. ")", 0)
end))
print(rethrown)
local obj = setmetatable({}, {__index = function(t, k) error("no field " .. k, 0) end})
print(pcall(function() return obj.missing end))
local co = coroutine.create(function() local ok, e = pcall(error, "in co", 0) coroutine.yield(e) error("co dies", 0) end)
print(coroutine.resume(co))
print(coroutine.resume(co))
print(pcall(function() local co2 = coroutine.wrap(function() error("wrapped", 0) end) co2() end))
local depth = 0
local function deep(n) depth = depth + 1 if n == 0 then error("bottom", 0) end local ok, e = pcall(deep, n - 1) error(e .. "<" .. n, 0) end
print(pcall(deep, 5))
print(depth)
local log = {}
local ok2 = xpcall(function()
  local t = setmetatable({}, {__add = function() error("no add", 0) end})
  return t + 1
end, function(m) log[#log + 1] = m return m end)
print(ok2, log[1])
local results = {pcall(function() return 1, 2, 3 end)}
print(#results, results[4])
print((pcall(string.rep)))
