package luabridge

import (
	"context"

	lua "github.com/yuin/gopher-lua"
)

// Context returns the context of the run that L is executing: the one the host set with
// L.SetContext for the current script. It returns context.Background() when L has no context,
// so a module function can always pass the result to I/O calls and select on its Done channel.
// Go functions that wait (HTTP, timers, channels) must watch it themselves, because gopher-lua
// checks the context only between VM instructions.
func Context(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
