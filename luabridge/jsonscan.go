package luabridge

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/internal/jsonscan"
)

// scan decodes data, which must be valid UTF-8, straight into Lua values with
// [jsonscan.Scan], and reports whether it could: it is the fast path of [FromJSON] for the
// responses and stream chunks a script receives. Input it leaves (a syntax error, a lone
// UTF-16 surrogate, a number out of range, very deep nesting) is decoded with encoding/json,
// which also gives the error. Both paths build the same values by the same rules.
func (d *decoder) scan(data []byte) (lua.LValue, bool) {
	return jsonscan.Scan[lua.LValue](data, luaBuilder{d})
}

// luaBuilder makes the Lua values of [FromJSON], each table sized for its contents.
type luaBuilder struct{ d *decoder }

func (b luaBuilder) Null() lua.LValue           { return b.d.null }
func (b luaBuilder) Bool(v bool) lua.LValue     { return lua.LBool(v) }
func (b luaBuilder) String(s string) lua.LValue { return lua.LString(s) }

// Number converts a literal as [numberValue] does.
func (b luaBuilder) Number(lit []byte) (lua.LValue, bool) {
	v, err := numberValue(string(lit))
	return v, err == nil
}

// Object makes a table marked as an object; a repeated key keeps its last value.
func (b luaBuilder) Object(keys []string, vals []lua.LValue) lua.LValue {
	t := b.d.L.CreateTable(0, len(keys))
	for i, k := range keys {
		t.RawSetString(k, vals[i])
	}
	t.Metatable = b.d.objectMT
	return t
}

// Array makes a table marked as an array.
func (b luaBuilder) Array(vals []lua.LValue) lua.LValue {
	t := b.d.L.CreateTable(len(vals), 0)
	for i, v := range vals {
		t.RawSetInt(i+1, v)
	}
	t.Metatable = b.d.arrayMT
	return t
}
