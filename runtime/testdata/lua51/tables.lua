local t = {}
for i = 1, 5 do table.insert(t, i * i) end
table.insert(t, 1, 0)
print(#t, table.concat(t, " "))
print(table.remove(t), table.remove(t, 1), #t, table.concat(t, " "))
local words = {"pear", "apple", "fig", "banana"}
table.sort(words)
print(table.concat(words, ","))
table.sort(words, function(a, b) return #a < #b end)
print(words[1], words[4])
local nums = {5, 2, 8, 1, 9, 3}
table.sort(nums, function(a, b) return a > b end)
print(table.concat(nums, " "))
local keys = {}
for k in pairs({z = 1, a = 2, m = 3}) do keys[#keys + 1] = k end
table.sort(keys)
print(table.concat(keys))
local seq = {}
for i, v in ipairs({"a", "b", nil, "d"}) do seq[#seq + 1] = i .. v end
print(table.concat(seq, " "))
local nested = {a = {b = {c = "deep"}}}
print(nested.a.b.c, nested["a"]["b"]["c"])
local mixed = {1, 2, x = "y", [10] = "ten", 3}
print(mixed[3], mixed.x, mixed[10])
print(next({}), type(next({1})), rawlen and "5.2" or "5.1")
local count = 0
for k, v in pairs({1, 2, 3, a = 1, b = 2}) do count = count + 1 end
print(count)
print(select("#", unpack({1, nil, 3}, 1, 3)))
local m = {}
m[1.0] = "float key"
print(m[1])
local s = {}
s["1"] = "string"; s[1] = "number"
print(s["1"], s[1])
print(table.maxn({1, 2, [7] = 3}))
