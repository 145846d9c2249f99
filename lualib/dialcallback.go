package lualib

import (
	lua "github.com/yuin/gopher-lua"
)

// yieldAcrossDial is the error a coroutine.yield raises inside a script function that a dial
// call is running (on_chunk, a tool or credential function): the dial call is Go code in the
// middle of the coroutine's stack, which gopher-lua cannot suspend.
const yieldAcrossDial = "cannot yield across a dial call"

// callback calls fn, a script function, with args from inside a dial call, in protected mode
// on a thread of its own: an error closes the upvalues of the callback's frames only, and a
// yield raises yieldAcrossDial (under the host, which installs luathread.Yield) instead of
// corrupting the stack. On success the nret results are on top of L; on failure callback
// returns the *lua.ApiError holding the error value.
func (m *Dial) callback(L *lua.LState, fn *lua.LFunction, nret int, args ...lua.LValue) error {
	L.Push(fn)
	for _, arg := range args {
		L.Push(arg)
	}
	return m.threads.Call(L, len(args), nret, nil, yieldAcrossDial)
}
