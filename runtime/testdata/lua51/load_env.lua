local f = assert(loadstring("return 1 + 1"))
print(f())
local g = assert(loadstring("local a, b = ... return b, a"))
print(g("x", "y"))
print(loadstring("return +") == nil)
local pieces = {"return ", "'joined'", " .. '!'"}
local i = 0
local h = assert(load(function() i = i + 1 return pieces[i] end))
print(h())
local env = {tostring = tostring}
local code = assert(loadstring("value = 42; return tostring(value)"))
setfenv(code, env)
print(code(), env.value, value)
local counter = assert(loadstring([[
  local n = 0
  return function() n = n + 1 return n end
]]))()
counter(); counter()
print(counter())
local chunk = assert(loadstring([[
  local t = {}
  for k, v in pairs({...}) do t[#t + 1] = v end
  for i = 1, 2 do for x in ipairs(t) do break end end
  local a, b = 1, 2
  a, b = b, a
  return #t, a, b
]]))
print(chunk(1, 2, 3))
print(pcall(loadstring("error('from loaded', 0)")))
print(select("#", loadstring("return")()))
