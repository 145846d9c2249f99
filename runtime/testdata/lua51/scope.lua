local x = 1
do local x = 2; print("inner", x) end
print("outer", x)
local a, b, c = 1, 2
print(a, b, c)
a, b = b, a
print(a, b)
local t = {1, 2}
local i = 1
i, t[i] = i + 1, 20
print(i, t[1], t[2])
local function shadow(x) local x = x * 2; return x end
print(shadow(5))
for x = 1, 2 do local x = x * 10; io.write(x, " ") end
print(x)
local f = function(...) local a, b = ...; return a, b end
print(f(1))
g_global = "global"
print(g_global, _G.g_global, _G["g_global"])
local env = {print = print}
local fn = loadstring("y = 5; print(y)")
setfenv(fn, env)
fn()
print(env.y, y)
print(getfenv(1) == _G)
local function count(n) if n > 0 then return count(n - 1) end return "bottom" end
print(count(100000))
