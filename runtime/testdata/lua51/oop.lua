local Account = {}
Account.__index = Account
function Account.new(owner, balance)
  return setmetatable({owner = owner, balance = balance or 0}, Account)
end
function Account:deposit(v) self.balance = self.balance + v; return self end
function Account:withdraw(v)
  if v > self.balance then error("insufficient funds", 2) end
  self.balance = self.balance - v
end
function Account:__tostring() return self.owner .. ": " .. self.balance end
local acc = Account.new("ann", 100)
acc:deposit(50):deposit(25)
print(tostring(acc))
local ok, err = pcall(acc.withdraw, acc, 1000)
print(ok, err)
local Savings = setmetatable({}, {__index = Account})
Savings.__index = Savings
Savings.__tostring = Account.__tostring
function Savings.new(owner, balance, rate)
  local s = Account.new(owner, balance)
  s.rate = rate
  return setmetatable(s, Savings)
end
function Savings:interest() return self.balance * self.rate end
local sv = Savings.new("bob", 200, 0.05)
sv:deposit(100)
print(tostring(sv), sv:interest(), getmetatable(sv) == Savings)
local Stack = {}
Stack.__index = Stack
Stack.__len = function(s) return s.n end
function Stack.new() return setmetatable({n = 0, items = {}}, Stack) end
function Stack:push(...) for i = 1, select("#", ...) do self.n = self.n + 1; self.items[self.n] = (select(i, ...)) end end
function Stack:pop() local v = self.items[self.n]; self.items[self.n] = nil; self.n = self.n - 1; return v end
local st = Stack.new()
st:push(1, 2, 3)
print(st:pop(), st:pop(), st.n)
local mt = {__index = function(t, k) return k * 2 end}
local doubles = setmetatable({}, mt)
print(doubles[21], rawget(doubles, 21))
