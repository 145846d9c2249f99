// Package luathread calls Lua functions in protected mode on threads of their own.
//
// gopher-lua v1.1.2 closes the open upvalues of every frame of a thread when an error is raised
// there without an error handler, not only those of the frames the error unwinds: a closure of
// the function that called pcall would lose its link to the caller's locals. Called on a thread
// of its own, the protected function's frames are the only ones an error can close. The same
// threads let a yield inside the call fail cleanly, with a message of the caller's choosing,
// instead of leaving the caller's stack half unwound (see [Refusal]).
package luathread

import (
	"context"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// MaxDepth bounds how many protected calls of one [Pool] may be nested, as Lua 5.1 bounds the
// nesting of C calls: each call runs on a thread with a stack of its own, so without a bound
// a function that pcalls itself would recurse until Go's stack ran out.
const MaxDepth = 197

// Pool keeps the threads of finished calls for reuse. The zero value is ready to use. A Pool
// belongs to one state and its coroutines, and is used only on that state's goroutine.
type Pool struct {
	free  []*lua.LState
	depth int
}

// refusalKey marks the context of a pool thread with the message a yield on it raises.
type refusalKey struct{}

// Call calls the function below the top nargs values of L with those arguments, as L.PCall
// does, on a thread of the pool. On success the results (nret of them, or all with
// lua.MultRet) replace the function and arguments on L and Call returns nil. On failure the
// function and arguments are removed and Call returns the *lua.ApiError whose Object is the
// error value; with a handler, Object is what the handler returned for the original error
// value, computed before the call's frames are unwound (so debug.traceback in it sees them),
// or "error in error handling" when the handler raised. A coroutine.yield inside the call, on
// the call's own thread, raises refusal instead of yielding, when the host installed [Yield].
func (p *Pool) Call(L *lua.LState, nargs, nret int, handler *lua.LFunction, refusal string) error {
	if p.depth >= MaxDepth {
		L.Error(lua.LString("C stack overflow"), 0)
	}
	th := p.take(L)
	p.depth++
	current := L.G.CurrentThread
	defer func() {
		L.G.CurrentThread = current
		p.depth--
		p.give(th)
	}()
	ctx := L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	th.SetContext(context.WithValue(ctx, refusalKey{}, refusal))
	goFunction := false
	if fn, ok := L.Get(-nargs - 1).(*lua.LFunction); ok {
		goFunction = fn.IsG
	}
	L.XMoveTo(th, nargs+1)
	var errfunc *lua.LFunction
	if handler != nil {
		errfunc = th.NewFunction(closingHandler(handler))
	}
	if err := th.PCall(nargs, nret, errfunc); err != nil {
		if apiErr, ok := err.(*lua.ApiError); ok && goFunction {
			// A Go function's error gets the position of the Lua function below it, and the
			// call's thread has none: gopher-lua leaves a blank where the position would be.
			if msg, ok := apiErr.Object.(lua.LString); ok {
				apiErr.Object = lua.LString(strings.TrimPrefix(string(msg), " "))
			}
		}
		return err
	}
	th.XMoveTo(L, th.GetTop())
	return nil
}

// closingHandler returns the error function Call gives PCall for handler. gopher-lua runs an
// error function on top of the failed frames and closes their upvalues only when an error is
// raised without one; so after handler has made the error value, the closing handler raises
// that value again, now with no error function in force, and the frames it unwinds close.
func closingHandler(handler *lua.LFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Insert(handler, 1)
		L.SetTop(2)
		if err := L.PCall(1, 1, nil); err != nil {
			L.Error(lua.LString("error in error handling"), 0)
		}
		L.Error(L.Get(-1), 0)
		return 0
	}
}

// take returns a free thread of the pool or a new one.
func (p *Pool) take(L *lua.LState) *lua.LState {
	if n := len(p.free); n > 0 {
		th := p.free[n-1]
		p.free = p.free[:n-1]
		return th
	}
	th, cancel := L.NewThread()
	if cancel != nil {
		cancel() // Call sets the context of each call itself
	}
	return th
}

// give returns th, emptied, to the pool.
func (p *Pool) give(th *lua.LState) {
	th.SetTop(0)
	th.RemoveContext()
	p.free = append(p.free, th)
}

// Refusal returns the message that a yield on L must raise instead of yielding, when L is the
// thread of a [Pool.Call] in progress, and "", false otherwise. A coroutine created inside
// such a call runs on a thread of its own and may yield.
func Refusal(L *lua.LState) (string, bool) {
	if L.Parent != nil { // resumed as a coroutine
		return "", false
	}
	ctx := L.Context()
	if ctx == nil {
		return "", false
	}
	msg, ok := ctx.Value(refusalKey{}).(string)
	return msg, ok
}

// YieldAcrossC is Lua 5.1's message for a yield that would cross a call made from Go (C in
// Lua 5.1), which cannot be suspended.
const YieldAcrossC = "attempt to yield across metamethod/C-call boundary"

// Yield is coroutine.yield that raises instead of yielding where gopher-lua would leave the
// stack half unwound: on a thread of a protected call, the [Refusal] message; in a coroutine
// that a Go function on its stack has called back into (a table.sort comparator, a
// string.gsub function, a Go method calling Lua), [YieldAcrossC].
func Yield(L *lua.LState) int {
	if msg, ok := Refusal(L); ok {
		L.Error(lua.LString(msg), 0)
	}
	if L.Parent != nil && callsFromGo(L) {
		L.Error(lua.LString(YieldAcrossC), 0)
	}
	return -1 // gopher-lua's yield: the values on the stack go to the resumer
}

// callsFromGo reports whether a Go function is on L's stack below the caller of yield.
func callsFromGo(L *lua.LState) bool {
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return false
		}
		if _, err := L.GetInfo("S", dbg, lua.LNil); err == nil && dbg.What == "G" {
			return true
		}
	}
}
