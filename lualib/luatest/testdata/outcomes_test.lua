-- Test functions with known outcomes, for luatest_test.go. Most of them fail on purpose.

function TestPasses(t)
  t:log("fine")
  t:equal({ 1, { a = "x" } }, { 1, { a = "x" } })
end

function TestError(t)
  t:error("boom", 42)
  t:log("continues after error")
end

function TestFail(t)
  t:fail()
end

function TestFatal(t)
  t:fatal("stop here")
  t:log("NOT REACHED")
end

function TestSkip(t)
  t:skip("not today")
  t:error("NOT REACHED")
end

function TestRaises(t)
  local x = nil
  return x.field
end

function TestEqual(t)
  t:equal({ a = 1, b = { "x" } }, { a = 2, b = { "x" } }, "tables")
end

function TestNested(t)
  local ok = t:run("inner fails", function(t) t:fatal("inner") end)
  t:log("inner ok:", ok)
  t:run("inner passes", function(t) t:log("inner name", t:name()) end)
end

function helper() end
