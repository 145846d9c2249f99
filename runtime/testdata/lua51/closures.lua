local function counter()
  local n = 0
  return function() n = n + 1; return n end, function() return n end
end
local inc, get = counter()
inc(); inc()
print("counter", get())
local inc2 = counter()
inc2()
print("independent", get(), inc2())
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
print("loop capture", fs[1](), fs[2](), fs[3]())
local gs = {}
local j = 1
while j <= 3 do local jj = j; gs[j] = function() return jj end; j = j + 1 end
print("while capture", gs[1](), gs[3]())
local function mk()
  local a = 1
  local function f() a = a + 1 return a end
  local function g() a = a * 10 return a end
  return f, g
end
local f, g = mk()
print("shared", f(), g(), f())
local function rec(n) if n == 0 then return 0 end return n + rec(n - 1) end
print("recursion", rec(100))
local fib
fib = function(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(20))
