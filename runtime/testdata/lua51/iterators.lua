local function range(n, step)
  step = step or 1
  return function(_, i) i = i + step; if i <= n then return i end end, nil, 0
end
for i in range(5, 2) do io.write(i, " ") end
print()
local function chars(s)
  local i = 0
  return function() i = i + 1; if i <= #s then return i, s:sub(i, i) end end
end
for i, c in chars("abc") do io.write(i, c, " ") end
print()
local t = {10, 20, 30}
for i, v in ipairs(t) do if v == 20 then t[3] = 99 end io.write(v, " ") end
print()
local function iter(t, i)
  i = i + 1
  local v = t[i]
  if v then return i, v end
end
for i, v in iter, {"x", "y"}, 0 do io.write(i, v, " ") end
print()
local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i, i * i) end end)
for a, b in co do io.write(a, ":", b, " ") end
print()
local sum = 0
for _, v in next, {1, 2, 3} do sum = sum + v end
print(sum)
local nested = 0
for i = 1, 3 do for j in range(i) do nested = nested + j end end
print(nested)
local fs = {}
for i = 1, 5 do
  local x = i * 2
  fs[#fs + 1] = function() return x end
  if i == 3 then break end
end
print(#fs, fs[1](), fs[3]())
