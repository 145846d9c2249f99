-- Multiple assignment: targets' tables and keys, then values, then stores right to left.
local a, b = 1, 2
a, b = b, a
print("swap", a, b)
local x, y, z = 1, 2, 3
x, y, z = z, x, y
print("rotate", x, y, z)
local fa, fb = 0, 1
for _ = 1, 10 do fa, fb = fb, fa + fb end
print("fib", fa, fb)
local t = {}
local old = t
t, t.x = nil, 1
print("table first", t, old.x)
local i, u = 1, {}
i, u[i] = i + 1, 20
print("key first", i, u[1], u[2])
local function two() return 7, 8 end
local m, n, o = 0, 0, 0
m, n, o = two()
print("call expands", m, n, o)
m, n, o = two(), 5
print("call truncated", m, n, o)
local s = 0
s, s = 1, 2
print("same target", s)
local log = {}
local proxy = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k .. "=" .. v end})
proxy.a, proxy.b = 1, 2
print("store order", table.concat(log, " "))
local q = {1, 2, 3}
q[1], q[2], q[3] = q[3], q[1], q[2]
print("table rotate", q[1], q[2], q[3])
local A, B = 1, 2
local A, B = B, A
print("local swap", A, B)
