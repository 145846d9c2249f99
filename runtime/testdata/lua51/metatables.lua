local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x}, V) end
V.__eq = function(a, b) return a.x == b.x end
V.__lt = function(a, b) return a.x < b.x end
V.__le = function(a, b) return a.x <= b.x end
V.__tostring = function(v) return "V(" .. v.x .. ")" end
V.__concat = function(a, b) return tostring(a) .. "|" .. tostring(b) end
V.__call = function(self, y) return self.x + y end
V.__unm = function(a) return setmetatable({x = -a.x}, V) end
V.__len = function() return 42 end
function V.new(x) return setmetatable({x = x}, V) end
function V:double() return V.new(self.x * 2) end
local a, b = V.new(1), V.new(2)
print(tostring(a + b), a == V.new(1), a < b, b <= a, tostring(-a))
print(a .. b, a(10), tostring(a:double()))
local log = {}
local proxy = setmetatable({}, {
  __index = function(t, k) log[#log + 1] = "get " .. k; return k .. "!" end,
  __newindex = function(t, k, v) log[#log + 1] = "set " .. k; rawset(t, k, v) end,
})
print(proxy.foo, proxy.bar)
proxy.baz = 1
proxy.baz = 2
print(proxy.baz, table.concat(log, ","))
local defaults = setmetatable({}, {__index = {color = "red", size = 1}})
defaults.size = 3
print(defaults.color, defaults.size, rawget(defaults, "color"))
print(getmetatable("abc").__index == string, ("x"):rep(3))
local locked = setmetatable({}, {__metatable = "locked"})
print(getmetatable(locked), pcall(setmetatable, locked, {}))
local Base = {}
Base.__index = Base
function Base.new(n) return setmetatable({n = n}, Base) end
function Base:name() return "base " .. self.n end
local Derived = setmetatable({}, {__index = Base})
Derived.__index = Derived
function Derived.new(n) return setmetatable(Base.new(n), Derived) end
function Derived:name() return "derived/" .. Base.name(self) end
print(Derived.new(7):name())
