package luathread_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/internal/luathread"
)

// newState returns a state whose global call(f, ...) is Pool.Call with refusal "no yield
// here", returning true and the results or false and the error value.
func newState(t *testing.T, pool *luathread.Pool) *lua.LState {
	L := lua.NewState()
	t.Cleanup(L.Close)
	L.SetGlobal("call", L.NewFunction(func(L *lua.LState) int {
		if err := pool.Call(L, L.GetTop()-1, lua.MultRet, nil, "no yield here"); err != nil {
			L.Push(lua.LFalse)
			L.Push(err.(*lua.ApiError).Object)
			return 2
		}
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}))
	L.GetGlobal("coroutine").(*lua.LTable).RawSetString("yield", L.NewFunction(luathread.Yield))
	return L
}

func TestCallResultsErrorsAndRefusedYield(t *testing.T) {
	t.Parallel()
	var pool luathread.Pool
	L := newState(t, &pool)
	require.NoError(t, L.DoString(`
		local n = 0
		local function bump(f) n = n + 1; call(f) end
		bump(error); bump(error)
		a = {call(function(...) return ... end, 1, nil, 3)}
		b = {call(error, {code = 7})}
		c = {call(coroutine.yield, 1)}
		d = n
		local co = coroutine.wrap(function() coroutine.yield("yields") end)
		e = {call(co)}`))
	assert.Equal(t, "true 1 nil 3", join(L, "a"))
	b := L.GetGlobal("b").(*lua.LTable)
	assert.Equal(t, lua.LFalse, b.RawGetInt(1))
	assert.Equal(t, lua.LNumber(7), b.RawGetInt(2).(*lua.LTable).RawGetString("code"))
	assert.Equal(t, "false no yield here", join(L, "c"))
	assert.Equal(t, lua.LNumber(2), L.GetGlobal("d"), "the caller's upvalue stayed open")
	assert.Equal(t, "true yields", join(L, "e"), "a coroutine inside the call yields")
}

func TestCallWithHandler(t *testing.T) {
	t.Parallel()
	var pool luathread.Pool
	L := newState(t, &pool)
	require.NoError(t, L.DoString(`
		function fails() local x = 1; keep = function() return x end; error("bad", 0) end
		function handler(m) return "handled " .. m end
		function breaks() error("again") end`))
	L.Push(L.GetGlobal("fails"))
	err := pool.Call(L, 0, 0, L.GetGlobal("handler").(*lua.LFunction), "")
	require.Error(t, err)
	assert.Equal(t, lua.LString("handled bad"), err.(*lua.ApiError).Object)
	require.NoError(t, L.DoString(`for i = 1, 3 do call(function() local t, u = {i}, {i} end) end
		assert(keep() == 1, "the failed frame's upvalue was closed")`))

	L.Push(L.GetGlobal("fails"))
	err = pool.Call(L, 0, 0, L.GetGlobal("breaks").(*lua.LFunction), "")
	assert.Equal(t, lua.LString("error in error handling"), err.(*lua.ApiError).Object)
	assert.Equal(t, 0, L.GetTop())
}

func TestCallDepthIsBounded(t *testing.T) {
	t.Parallel()
	var pool luathread.Pool
	L := newState(t, &pool)
	require.NoError(t, L.DoString(`
		depth = 0
		local function f() depth = depth + 1; local ok, e = call(f); return e end
		msg = f()`))
	assert.Equal(t, lua.LString("C stack overflow"), L.GetGlobal("msg"))
	assert.Equal(t, lua.LNumber(luathread.MaxDepth+1), L.GetGlobal("depth"))
}

// join returns the values of the global table name joined by spaces.
func join(L *lua.LState, name string) string {
	t := L.GetGlobal(name).(*lua.LTable)
	s := ""
	for i := 1; i <= t.MaxN(); i++ {
		if i > 1 {
			s += " "
		}
		s += t.RawGetInt(i).String()
	}
	return s
}
