print(1, 1.5, -0.25, 100, 1e3, 2^53, 2^63, 1e100)
print(10 / 2, 7 / 2, 3 % 2, -3 % 2, 3 % -2, 5.5 % 2)
print(2^10, 2^0.5)
print(1 / 3, 2 / 3, 0.1 + 0.2, 100 / 3)
print(math.floor(3.7), math.ceil(3.2), math.floor(-3.5), math.ceil(-3.5))
print(math.max(1, 5, 3), math.min(4, 2, 8), math.abs(-7), math.huge, -math.huge)
print(math.sqrt(16), math.fmod(7, 3), math.fmod(-7, 3), math.modf(3.7))
print(tonumber("42"), tonumber("0x1F"), tonumber("  12  "), tonumber("1e2"), tonumber("abc"), tonumber("12a"))
print(tonumber("ff", 16), tonumber("777", 8), tonumber("11", 2), tonumber("zz", 36))
print(tostring(10), tostring(10.0), tostring(-0.5), 3 == 3.0)
print(string.format("%d", 3), string.format("%.2f", 2 / 3), string.format("%g", 1e20), string.format("%g", 0.0001))
print(string.format("%.3g", 1234.5678), string.format("%10.4f|", math.pi))
print(123456789012, 1234567890123456)
print(0.5, 1e-5, 123.456, -1e-10)
print(math.pi)
print(1e15, 1e16, 12345678901234567890)
print(7 % 0 ~= 7 % 0, 1 / 0, -1 / 0)
print("10" + 5, "3" * "4", 10 .. "", "0x10" + 0)
local n = 0
for i = 1, 10, 3 do n = n + i end
print(n)
for i = 1, 0 do print("never") end
for i = 3, 1, -1 do io.write(i, " ") end
print()
for i = 0.5, 2, 0.5 do io.write(i, " ") end
print()
print(math.floor(2^31 + 0.5), -2^31, 2^31 - 1)
