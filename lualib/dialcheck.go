package lualib

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
)

// check is dial.check(name, ok [, detail]) -> ok:boolean: records a check of the batch record
// being handled, passed when ok is truthy, with an optional detail (a string or a number), and
// returns whether it passed. It reaches the host through the sink of the run's context
// ([luabridge.CheckSinkOf]); outside a batch record there is none, and it raises an error.
func (m *Dial) check(L *lua.LState) int {
	name := L.CheckString(1)
	if name == "" {
		L.ArgError(1, "a check needs a name")
	}
	ok := lua.LVAsBool(L.Get(2))
	detail := L.OptString(3, "")
	sink := luabridge.CheckSinkOf(L)
	if sink == nil {
		L.RaiseError("dial.check: no batch record is running (checks are recorded by " +
			"dialua batch, in the function a batch script returns)")
	}
	sink(name, ok, detail)
	L.Push(lua.LBool(ok))
	return 1
}
