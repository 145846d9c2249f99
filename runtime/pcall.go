package runtime

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/internal/luathread"
)

// openProtectedCalls replaces pcall and xpcall with ones that run the protected function on a
// thread of its own (see luathread), so that an error closes only the upvalues of the frames
// it unwinds, and error with one that positions numbers too and also raises nil.
func openProtectedCalls(L *lua.LState) {
	pool := &luathread.Pool{}
	g := L.G.Global
	g.RawSetString("pcall", L.NewFunction(func(L *lua.LState) int {
		L.CheckAny(1)
		if msg, ok := notCallable(L, L.Get(1)); ok {
			L.Push(lua.LFalse)
			L.Push(lua.LString(msg))
			return 2
		}
		return protectedResults(L, pool.Call(L, L.GetTop()-1, lua.MultRet, nil, luathread.YieldAcrossC))
	}))
	g.RawSetString("xpcall", L.NewFunction(func(L *lua.LState) int {
		handler := L.CheckFunction(2)
		L.SetTop(1)
		if msg, ok := notCallable(L, L.Get(1)); ok { // the handler gets Lua 5.1's message
			L.Replace(1, L.NewFunction(func(L *lua.LState) int {
				L.Error(lua.LString(msg), 0)
				return 0
			}))
		}
		return protectedResults(L, pool.Call(L, 0, lua.MultRet, handler, luathread.YieldAcrossC))
	}))
	g.RawSetString("error", L.NewFunction(raise))
}

// raise is error(value [, level]) of Lua 5.1: with a level above 0, a string or number becomes
// a string prefixed with the position of the function level levels up the stack (1, the
// default, is the one that called error) when that is a Lua function; no value raises nil.
func raise(L *lua.LState) int {
	value := L.Get(1)
	level := L.OptInt(2, 1)
	switch value.(type) {
	case lua.LString, lua.LNumber:
		if level > 0 {
			value = lua.LString(where(L, level) + toString(L, value))
		}
	}
	L.Error(value, 0)
	return 0
}

// where returns "source:line: " of the Lua function level levels up the stack, or "".
func where(L *lua.LState, level int) string {
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.CurrentLine <= 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
}

// notCallable returns the message of Lua 5.1 for calling v when v is neither a function nor
// has a __call metamethod.
func notCallable(L *lua.LState, v lua.LValue) (string, bool) {
	if v.Type() == lua.LTFunction || L.GetMetaField(v, "__call").Type() == lua.LTFunction {
		return "", false
	}
	return "attempt to call a " + v.Type().String() + " value", true
}

// protectedResults returns the results of pcall and xpcall: true and the function's results,
// which are all that is on the stack, or false and the error value.
func protectedResults(L *lua.LState, err error) int {
	if err != nil {
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(errorValue(err))
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// errorValue is the Lua value of an error from a protected call.
func errorValue(err error) lua.LValue {
	if apiErr, ok := err.(*lua.ApiError); ok {
		return apiErr.Object
	}
	return lua.LString(err.Error())
}
