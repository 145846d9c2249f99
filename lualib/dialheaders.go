package lualib

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/dial"
)

// headerOptions reads a per-call headers table, {["X-Conversation-Id"] = "…"}, into call
// options; nil gives none. Misuse raises naming argument n (where labels the request in a
// list): a value that is not such a table, or a header the dial package refuses (credentials,
// transport headers, line breaks).
func headerOptions(L *lua.LState, n int, where string, v lua.LValue) []dial.CallOption {
	if v == lua.LNil {
		return nil
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		L.ArgError(n, where+"'headers' must be a table of name = value")
	}
	var opts []dial.CallOption
	t.ForEach(func(k, val lua.LValue) {
		name, okName := k.(lua.LString)
		if !okName || (val.Type() != lua.LTString && val.Type() != lua.LTNumber) {
			L.ArgError(n, where+"'headers' must map header names to strings")
		}
		value := lua.LVAsString(val)
		if err := dial.CheckHeader(string(name), value); err != nil {
			L.ArgError(n, where+"'headers': "+err.Error())
		}
		opts = append(opts, dial.Header(string(name), value))
	})
	return opts
}

// headers returns the call options of the "headers" key of an options table.
func (o optionTable) headers() []dial.CallOption {
	return headerOptions(o.L, o.n, "", o.t.RawGetString("headers"))
}
