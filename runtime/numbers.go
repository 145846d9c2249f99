package runtime

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// gopher-lua writes numbers the way Go does (2^53 as 9007199254740992, 0.1+0.2 as
// 0.30000000000000004, infinity as +Inf), has math.huge as the largest finite number, and its
// tonumber rejects exponents ("1e2"). Lua 5.1 writes numbers with "%.14g". openNumbers gives
// tostring, print, io.write, table.concat and tonumber the behaviour of Lua 5.1; the ..
// operator and string.format("%s") stay gopher-lua's (README, "Known limitations of the Lua
// VM").

// openNumbers replaces tostring, tonumber, table.concat and math.huge with those of Lua 5.1.
func openNumbers(L *lua.LState) {
	g := L.G.Global
	g.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		L.CheckAny(1)
		L.Push(lua.LString(toString(L, L.Get(1))))
		return 1
	}))
	g.RawSetString("tonumber", L.NewFunction(toNumber))
	if m, ok := g.RawGetString("math").(*lua.LTable); ok {
		m.RawSetString("huge", lua.LNumber(math.Inf(1)))
	}
	if t, ok := g.RawGetString("table").(*lua.LTable); ok {
		t.RawSetString("concat", L.NewFunction(tableConcat))
	}
}

// tableConcat is table.concat(t [, sep [, i [, j]]]) of Lua 5.1, numbers written with "%.14g".
func tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := L.OptInt(4, t.Len())
	var b strings.Builder
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString, lua.LNumber:
			b.WriteString(writeText(v))
		default:
			L.RaiseError("invalid value (%s) at index %d in table for 'concat'", v.Type(), k)
		}
		if k < j {
			b.WriteString(sep)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// toString converts v as Lua 5.1's tostring does: numbers with "%.14g", other values as
// gopher-lua does (with their __tostring metamethod).
func toString(L *lua.LState, v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return formatNumber(float64(n))
	}
	return L.ToStringMeta(v).String()
}

// writeText is how io.write and file:write write v: numbers with "%.14g", strings as they are.
func writeText(v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return formatNumber(float64(n))
	}
	return lua.LVAsString(v)
}

// formatNumber formats f as C's printf("%.14g") does on Linux, which Lua 5.1 uses.
func formatNumber(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	case f == math.Trunc(f) && math.Abs(f) < 1e14:
		return strconv.FormatInt(int64(f), 10) // exact, and the common case
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// toNumber is tonumber(e [, base]) of Lua 5.1: in base 10 it reads what C's strtod reads
// (decimals with exponents, hexadecimal with 0x, surrounding spaces), otherwise an unsigned
// integer in the base.
func toNumber(L *lua.LState) int {
	base := L.OptInt(2, 10)
	v := L.CheckAny(1)
	if base == 10 {
		switch x := v.(type) {
		case lua.LNumber:
			L.Push(x)
			return 1
		case lua.LString:
			if n, ok := parseNumber(string(x)); ok {
				L.Push(lua.LNumber(n))
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}
	if base < 2 || base > 36 {
		L.ArgError(2, "base out of range")
	}
	s := strings.ToLower(strings.TrimSpace(L.CheckString(1)))
	if n, err := strconv.ParseUint(s, base, 64); err == nil {
		L.Push(lua.LNumber(n))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// parseNumber reads s as Lua 5.1 converts a string to a number.
func parseNumber(s string) (float64, bool) {
	s = strings.Trim(s, " \t\n\v\f\r")
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		n, err := strconv.ParseUint(s[2:], 16, 64)
		return float64(n), err == nil
	}
	if s == "" || strings.ContainsAny(s, "_xXpP") { // Go's extras over strtod's decimal forms
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errorsIsRange(err) {
		return 0, false
	}
	return f, true
}

// errorsIsRange reports whether err is strconv's out-of-range error, for which ParseFloat
// returns ±Inf or 0 as strtod does.
func errorsIsRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
