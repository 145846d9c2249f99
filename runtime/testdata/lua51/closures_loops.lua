local fs = {}
for i = 1, 3 do
  local x = i * 2
  fs[#fs + 1] = function() x = x + 1; return x end
  if i == 2 then break end
end
print(#fs, fs[1](), fs[1](), fs[2]())
local ws = {}
local k = 0
while true do
  k = k + 1
  local v = k
  ws[k] = function() return v end
  if k == 3 then break end
end
print(ws[1](), ws[2](), ws[3]())
local rs = {}
local n = 0
repeat
  n = n + 1
  local c = n * 10
  rs[n] = function() return c end
until c >= 30
print(rs[1](), rs[3]())
local gs = {}
for key, val in pairs({a = 1}) do
  gs[1] = function() return key .. val end
end
print(gs[1]())
local acc = {}
for i = 1, 3 do
  pcall(function()
    local local_i = i
    acc[#acc + 1] = function() return local_i end
    if i == 2 then error("skip") end
  end)
end
print(acc[1](), acc[2](), acc[3]())
