package lualib

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// optionTable reads an options table argument, refusing keys it does not know.
type optionTable struct {
	L *lua.LState
	n int // argument position, for error messages
	t *lua.LTable
}

// optionsArg returns the options table at argument n (nil or absent gives an empty one) after
// checking that every key is one of allowed; an unknown key raises naming it.
func optionsArg(L *lua.LState, n int, allowed ...string) optionTable {
	o := optionTable{L: L, n: n}
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		o.t = L.NewTable()
	case *lua.LTable:
		o.t = v
	default:
		L.ArgError(n, "options table expected, got "+v.Type().String())
	}
	o.t.ForEach(func(k, _ lua.LValue) {
		key, ok := k.(lua.LString)
		if !ok || !contains(allowed, string(key)) {
			L.ArgError(n, "unknown option '"+k.String()+"' (known: "+strings.Join(allowed, ", ")+")")
		}
	})
	return o
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str returns the string option key, "" when absent; another type raises.
func (o optionTable) str(key string) string {
	switch v := o.t.RawGetString(key).(type) {
	case *lua.LNilType:
		return ""
	case lua.LString:
		return string(v)
	default:
		o.L.ArgError(o.n, "option '"+key+"' must be a string, got "+v.Type().String())
	}
	return ""
}

// number returns the number option key and whether it was given; another type raises.
func (o optionTable) number(key string) (float64, bool) {
	switch v := o.t.RawGetString(key).(type) {
	case *lua.LNilType:
		return 0, false
	case lua.LNumber:
		return float64(v), true
	default:
		o.L.ArgError(o.n, "option '"+key+"' must be a number, got "+v.Type().String())
	}
	return 0, false
}

// boolean returns the boolean option key (false when absent); another type raises.
func (o optionTable) boolean(key string) bool {
	switch v := o.t.RawGetString(key).(type) {
	case *lua.LNilType:
		return false
	case lua.LBool:
		return bool(v)
	default:
		o.L.ArgError(o.n, "option '"+key+"' must be a boolean, got "+v.Type().String())
	}
	return false
}

// function returns the function option key, nil when absent; another type raises.
func (o optionTable) function(key string) *lua.LFunction {
	switch v := o.t.RawGetString(key).(type) {
	case *lua.LNilType:
		return nil
	case *lua.LFunction:
		return v
	default:
		o.L.ArgError(o.n, "option '"+key+"' must be a function, got "+v.Type().String())
	}
	return nil
}
