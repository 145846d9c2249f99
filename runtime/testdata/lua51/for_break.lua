-- A generic for whose body starts with a jump, inside other loops.
local c = {}
function c:stream(t)
  local i = 0
  return function() i = i + 1; if i <= #t then return t[i] end end
end
local k = 0
for i = 1, 2 do for ch in c:stream{"a", "b"} do break end k = k + 1 end
print("for in for", k)
local w = 0
while w < 3 do for _ in pairs({1, 2}) do break end w = w + 1 end
print("for in while", w)
local r = 0
repeat for _, v in ipairs({5}) do do break end end r = r + 1 until r == 2
print("for in repeat", r)
local z = 0
for i = 1, 3 do while true do break end z = z + i end
print("while true break", z)
local first = {}
for _, list in ipairs({{"x", "y"}, {"p"}, {}}) do
  for _, v in ipairs(list) do first[#first + 1] = v break end
end
print("first items", table.concat(first, " "))
for i = 1, 2 do
  for ch in c:stream{"q"} do
    if true then break end
  end
end
print("if true break ok")
