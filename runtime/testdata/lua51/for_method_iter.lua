-- A generic for whose iterator is a method call on a call's result.
local dial = {}
local client = {t = {}}
function client.t:stream(opts)
  local i = 0
  return function() i = i + 1; if i <= opts.n then return i, opts.tag end end
end
function dial.default() return client end
local function req() return dial end
for x, tag in req().default().t:stream{n = 3, tag = "s"} do print("chunk", x, tag) end
for x in dial.default().t:stream{n = 2, tag = "u"} do print("again", x) end
local order = {}
local function mark(s, ...) order[#order + 1] = s return ... end
local function gen(_, c) if c < 2 then return c + 1 end end
for i in mark("a", gen), mark("b", nil), mark("c", 0, "extra") do order[#order + 1] = i end
print("order", table.concat(order, ","))
local src = "local o = {t = {}} function o.t:m() local i = 0 return function() i = i + 1 if i < 3 then return i end end end " ..
  "local function f() return o end local s = 0 for x in f().t:m() do s = s + x end return s"
print("loadstring", assert(loadstring(src))())
local fns = {}
for k, v in ipairs({"x", "y"}) do fns[k] = function() return k .. v end end
print("fresh locals", fns[1](), fns[2]())
