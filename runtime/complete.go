package runtime

import (
	"reflect"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"
)

// Complete returns the completions of the Lua name that line ends with, for a REPL's Tab key:
// globals and keywords for a bare name, the fields of a table (or the fields and methods of a Go
// object) after "a.b.", and only functions and methods after "obj:". Each completion is a whole
// name that starts with prefix, the part of it already typed; names starting with "__" are
// offered only when the prefix starts with "_".
//
// Complete reads tables without calling Lua code (no __index functions of tables run), except
// that the field of a Go object is read through its metatable. It must run while no script runs
// on L, on a goroutine that may use L.
func Complete(L *lua.LState, line string) (names []string, prefix string) {
	start := len(line)
	for start > 0 && isNameByte(line[start-1], true) {
		start--
	}
	token := line[start:]
	if token != "" && token[0] >= '0' && token[0] <= '9' {
		return nil, ""
	}
	cut := strings.LastIndexAny(token, ".:")
	var v lua.LValue = L.G.Global
	methods := false
	if cut < 0 {
		prefix = token
	} else {
		prefix = token[cut+1:]
		methods = token[cut] == ':'
		path := token[:cut]
		if path == "" || strings.Contains(path, ":") {
			return nil, prefix
		}
		for _, part := range strings.Split(path, ".") {
			if part == "" {
				return nil, prefix
			}
			if v = field(L, v, part); v == lua.LNil {
				return nil, prefix
			}
		}
	}

	seen := map[string]bool{}
	add := func(name string, val lua.LValue) {
		keyword := cut < 0 && luaKeywords[name]
		if seen[name] || !strings.HasPrefix(name, prefix) || !isName(name) && !keyword ||
			strings.HasPrefix(name, "__") && !strings.HasPrefix(prefix, "_") {
			return
		}
		if methods && val != nil && val.Type() != lua.LTFunction {
			return
		}
		seen[name] = true
		names = append(names, name)
	}
	members(L, v, add, methods)
	if cut < 0 {
		for kw := range luaKeywords {
			add(kw, nil)
		}
	}
	sort.Strings(names)
	return names, prefix
}

// isNameByte reports whether c may be part of a name path being completed.
func isNameByte(c byte, path bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		path && (c == '.' || c == ':')
}

// field returns v[name] for completion: a raw read of a table, then its metatable's __index
// tables; for a Go object (userdata), the read its metatable's __index does.
func field(L *lua.LState, v lua.LValue, name string) lua.LValue {
	for range 8 { // bounds a chain of __index tables
		switch t := v.(type) {
		case *lua.LTable:
			if got := t.RawGetString(name); got != lua.LNil {
				return got
			}
		case *lua.LUserData:
			return userdataField(L, t, name)
		default:
			return lua.LNil
		}
		next, ok := L.GetMetaField(v, "__index").(*lua.LTable)
		if !ok {
			return lua.LNil
		}
		v = next
	}
	return lua.LNil
}

// userdataField reads ud[name] through its metatable, in protected mode.
func userdataField(L *lua.LState, ud *lua.LUserData, name string) lua.LValue {
	switch idx := L.GetMetaField(ud, "__index").(type) {
	case *lua.LTable:
		return field(L, idx, name)
	case *lua.LFunction:
		if err := L.CallByParam(lua.P{Fn: idx, NRet: 1, Protect: true}, ud,
			lua.LString(name)); err != nil {
			return lua.LNil
		}
		got := L.Get(-1)
		L.Pop(1)
		return got
	}
	return lua.LNil
}

// members calls add for every name v offers: table keys, the keys of its metatable's __index
// tables, and the methods and fields of a Go object exposed by gopher-luar.
func members(L *lua.LState, v lua.LValue, add func(string, lua.LValue), methods bool) {
	for range 8 {
		if t, ok := v.(*lua.LTable); ok {
			t.ForEach(func(k, val lua.LValue) {
				if s, ok := k.(lua.LString); ok {
					add(string(s), val)
				}
			})
		}
		if ud, ok := v.(*lua.LUserData); ok {
			luarMembers(L, ud, add, methods)
		}
		next, ok := L.GetMetaField(v, "__index").(*lua.LTable)
		if !ok {
			return
		}
		v = next
	}
}

// luarMembers lists the members a Go object's metatable names in its "methods" and "fields"
// tables: the methods and exported fields gopher-luar gives a Go value, or the members of a
// dial module handle, whose metatable has the same layout.
func luarMembers(L *lua.LState, ud *lua.LUserData, add func(string, lua.LValue), methods bool) {
	mt, ok := ud.Metatable.(*lua.LTable) // raw: gopher-luar protects it with __metatable
	if !ok || ud.Value == nil {
		return
	}
	if _, ok := mt.RawGetString("methods").(*lua.LTable); !ok {
		return
	}
	tables := []*lua.LTable{mt}
	if rv := reflect.ValueOf(ud.Value); rv.Kind() == reflect.Pointer && !rv.IsNil() &&
		rv.Elem().Kind() == reflect.Struct && rv.Elem().CanInterface() {
		if emt := luar.MT(L, rv.Elem().Interface()); emt != nil {
			tables = append(tables, emt.LTable)
		}
	}
	for _, t := range tables {
		if ms, ok := t.RawGetString("methods").(*lua.LTable); ok {
			ms.ForEach(func(k, val lua.LValue) {
				if s, ok := k.(lua.LString); ok {
					add(string(s), val)
				}
			})
		}
		if fs, ok := t.RawGetString("fields").(*lua.LTable); ok && !methods {
			fs.ForEach(func(k, _ lua.LValue) {
				if s, ok := k.(lua.LString); ok {
					add(string(s), nil)
				}
			})
		}
	}
}
