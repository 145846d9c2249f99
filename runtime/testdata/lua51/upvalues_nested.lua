local function level1()
  local x = "a"
  local function level2()
    local function level3() x = x .. "c" return x end
    x = x .. "b"
    return level3
  end
  return level2, function() return x end
end
local l2, peek = level1()
local l3 = l2()
print(l3(), peek())
local t = {}
do
  local shared = 0
  for i = 1, 3 do
    t[i] = function() shared = shared + i; return shared end
  end
end
print(t[1](), t[2](), t[3](), t[1]())
local co = coroutine.wrap(function()
  local v = 0
  local function bump() v = v + 1 return v end
  coroutine.yield(bump)
  coroutine.yield(v)
end)
local bump = co()
bump(); bump()
print("coroutine upvalue", co())
