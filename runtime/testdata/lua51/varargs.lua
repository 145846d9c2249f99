local function count(...) return select("#", ...) end
print(count(), count(nil), count(nil, nil), count(1, nil, 3, nil))
local function pass(...) return ... end
print(pass(1, 2, 3))
print((pass(1, 2, 3)))
local function tail(...) return select(2, ...) end
print(tail("a", "b", "c"))
print(select(-1, "a", "b", "c"))
local function pack(...) return {n = select("#", ...), ...} end
local p = pack(1, nil, 3)
print(p.n, p[1], p[2], p[3])
print(unpack({1, 2, 3}))
print(unpack({1, 2, 3}, 2))
print(unpack({1, 2, 3}, 2, 3))
local function sum(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + (select(i, ...) or 0) end
  return s
end
print(sum(1, 2, nil, 4))
local t = {pass(1, 2), pass(3, 4)}
print(#t, t[1], t[2], t[3])
local function va(...)
  local a, b = ...
  return a, b, arg
end
print(va(5, 6, 7))
print(string.format("%d %s", pass(7, "x")))
