package luabridge

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// JSON is the json Lua module: encode, decode, null, array and object, converting by the rules
// of [ToJSONIndent] and [FromJSON]. It holds no state, so the zero value serves any number of
// LStates; per-state values (json.null, the marker metatables) live in each state's registry.
type JSON struct{}

// Loader builds the module table; register it with L.PreloadModule("json", JSON{}.Loader).
func (m JSON) Loader(L *lua.LState) int {
	mod := L.SetFuncs(L.CreateTable(0, 5), map[string]lua.LGFunction{
		"encode": m.encode,
		"decode": m.decode,
		"array":  m.array,
		"object": m.object,
	})
	mod.RawSetString("null", Null(L))
	L.Push(mod)
	return 1
}

// encode is json.encode(v [, opts]) -> string | nil, err.
func (JSON) encode(L *lua.LState) int {
	indent := ""
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		opts := L.CheckTable(2)
		opts.ForEach(func(k, v lua.LValue) {
			switch k {
			case lua.LString("indent"):
				switch v := v.(type) {
				case lua.LString:
					indent = string(v)
				case lua.LNumber:
					if v < 0 || v > 16 {
						L.ArgError(2, "indent must be a string or 0..16 spaces")
					}
					indent = strings.Repeat(" ", int(v))
				default:
					L.ArgError(2, "indent must be a string or 0..16 spaces")
				}
			default:
				L.ArgError(2, "unknown option "+describeKey(k))
			}
		})
	}
	data, err := ToJSONIndent(L, L.Get(1), indent)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LString(data))
	return 1
}

// decode is json.decode(s) -> v | nil, err.
func (JSON) decode(L *lua.LState) int {
	v, err := FromJSON(L, []byte(L.CheckString(1)))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(v)
	return 1
}

// array is json.array([t]) -> t: marks t (or a new table) to encode as a JSON array.
func (JSON) array(L *lua.LState) int {
	L.Push(markArg(L, shapeArray))
	return 1
}

// object is json.object([t]) -> t: marks t (or a new table) to encode as a JSON object.
func (JSON) object(L *lua.LState) int {
	L.Push(markArg(L, shapeObject))
	return 1
}

func markArg(L *lua.LState, s shape) *lua.LTable {
	var t *lua.LTable
	if L.Get(1) == lua.LNil {
		t = L.NewTable()
	} else {
		t = L.CheckTable(1)
	}
	if mt, ok := t.Metatable.(*lua.LTable); ok && mt != markerMetatable(L, shapeArray) &&
		mt != markerMetatable(L, shapeObject) {
		L.ArgError(1, "table already has a metatable (set "+ShapeField+" in it instead)")
	}
	t.Metatable = markerMetatable(L, s)
	return t
}
