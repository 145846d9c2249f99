-- Prints its arguments: arg[0..n], the ... of the main chunk, and arg's negative indices.
print("arg[0]", arg[0])
for i = 1, #arg do print("arg[" .. i .. "]", arg[i]) end
print("...", select("#", ...), ...)
local i = -1
while arg[i] do io.write("arg[", i, "] ", arg[i], "\n"); i = i - 1 end
if x then print("x from -e", x) end
