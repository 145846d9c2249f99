package runtime

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/internal/luathread"
)

// openLua51 replaces the functions of gopher-lua's base, coroutine and math libraries that
// differ from Lua 5.1 in ways scripts meet (see README.md, "Known limitations of the Lua VM").
func openLua51(L *lua.LState) {
	openProtectedCalls(L)
	openCoroutines(L)
	openNumbers(L)
}

// openCoroutines replaces coroutine.yield with luathread.Yield, which refuses to yield across
// pcall and Go calls, and coroutine.resume, coroutine.running and coroutine.wrap with those of
// Lua 5.1.
func openCoroutines(L *lua.LState) {
	co, ok := L.G.Global.RawGetString("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	create := co.RawGetString("create")
	resume := L.NewFunction(resumer(co.RawGetString("resume").(*lua.LFunction)))
	co.RawSetString("resume", resume)
	co.RawSetString("yield", L.NewFunction(luathread.Yield))
	co.RawSetString("running", L.NewFunction(running))
	co.RawSetString("wrap", L.NewFunction(func(L *lua.LState) int {
		L.CheckFunction(1)
		L.Push(create)
		L.Push(L.Get(1))
		L.Call(1, 1)
		L.Push(L.NewClosure(wrapped, resume, L.Get(-1)))
		return 1
	}))
}

// resumer returns coroutine.resume that answers Lua 5.1's message for a dead coroutine and
// otherwise is gopher-lua's resume.
func resumer(resume *lua.LFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if th, ok := L.Get(1).(*lua.LState); ok && th.Dead {
			L.Push(lua.LFalse)
			L.Push(lua.LString("cannot resume dead coroutine"))
			return 2
		}
		return resume.GFunction(L)
	}
}

// running is coroutine.running of Lua 5.1: the running coroutine, or nil in the main thread,
// also inside pcall (whose function runs on a thread of its own).
func running(L *lua.LState) int {
	if cur := L.G.CurrentThread; cur != L.G.MainThread {
		L.Push(cur)
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// wrapped is the function coroutine.wrap returns (upvalues: coroutine.resume, the coroutine):
// it resumes the coroutine with its arguments and returns what it yields or returns, or raises
// its error, a string one prefixed with the caller's position, as Lua 5.1 does. A coroutine
// that raised is dead, so calling the function again raises.
func wrapped(L *lua.LState) int {
	n := L.GetTop()
	L.Push(L.Get(lua.UpvalueIndex(1)))
	L.Push(L.Get(lua.UpvalueIndex(2)))
	for i := 1; i <= n; i++ {
		L.Push(L.Get(i))
	}
	L.Call(n+1, lua.MultRet)
	if L.Get(n+1) == lua.LFalse {
		value := L.Get(n + 2)
		switch value.(type) {
		case lua.LString, lua.LNumber:
			value = lua.LString(where(L, 1) + toString(L, value))
		}
		L.Error(value, 0)
	}
	return L.GetTop() - n - 1
}
