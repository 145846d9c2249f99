package runtime

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openMemoryChecks wraps the library functions that can build a result of any size in one
// call — string.rep, string.format and table.concat — so that, under a memory limit, they
// raise "not enough memory", as Lua does when an allocation fails, instead of building a
// result larger than what is left of the limit. The watchdog of the limit cannot stop a Go
// function in the middle of its call.
func (h *Host) openMemoryChecks(L *lua.LState) {
	limit := h.cfg.memoryLimit()
	if limit <= 0 {
		return
	}
	for _, c := range []struct {
		lib, name string
		size      func(L *lua.LState) int64
	}{
		{lua.StringLibName, "rep", repSize},
		{lua.StringLibName, "format", formatSize},
		{lua.TabLibName, "concat", concatSize},
	} {
		lib := L.GetGlobal(c.lib).(*lua.LTable)
		fn := lib.RawGetString(c.name).(*lua.LFunction).GFunction
		what := c.lib + "." + c.name
		lib.RawSetString(c.name, L.NewFunction(func(L *lua.LState) int {
			checkAlloc(L, what, c.size(L), limit)
			return fn(L)
		}))
	}
}

// smallResult is the size below which a result is not checked: the watchdog catches many of
// them, and reading the live heap would double the cost of a short string.format.
const smallResult = 64 << 10

// checkAlloc raises "not enough memory" when a result of size bytes would not fit in what the
// live heap leaves of limit.
func checkAlloc(L *lua.LState, what string, size, limit int64) {
	if size <= smallResult || size <= limit-liveHeap() {
		return
	}
	L.RaiseError("not enough memory: %s would need %s under the memory limit of %s",
		what, formatBytes(size), formatBytes(limit))
}

// repSize is the length of string.rep's result.
func repSize(L *lua.LState) int64 {
	s, n := int64(len(L.CheckString(1))), int64(L.CheckInt(2))
	if s == 0 || n <= 0 {
		return 0
	}
	if n > math.MaxInt64/s {
		return math.MaxInt64
	}
	return s * n
}

// concatSize bounds the length of table.concat's result, counted up to the first value it
// cannot join (the wrapped function reports that one).
func concatSize(L *lua.LState) int64 {
	t := L.CheckTable(1)
	sep := int64(len(L.OptString(2, "")))
	i, j := L.OptInt(3, 1), L.OptInt(4, t.Len())
	var size int64
	for ; i <= j && size < math.MaxInt64/2; i++ {
		switch v := t.RawGetInt(i).(type) {
		case lua.LString:
			size += int64(len(v))
		case lua.LNumber:
			size += maxNumberLen
		default:
			return size
		}
		if i < j {
			size += sep
		}
	}
	return size
}

// maxNumberLen bounds the length of a number converted to a string ("%.14g").
const maxNumberLen = 24

// formatSize bounds the length of string.format's result: the format, plus the width and
// precision of every directive, plus the length of the string arguments.
func formatSize(L *lua.LState) int64 {
	f := L.CheckString(1)
	size := int64(len(f))
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			i++
		}
		var width, precision int64
		i, width = number(f, i)
		if i < len(f) && f[i] == '.' {
			i, precision = number(f, i+1)
		}
		size += width + precision
	}
	for i := 2; i <= L.GetTop(); i++ {
		if s, ok := L.Get(i).(lua.LString); ok {
			size += int64(len(s))
		}
	}
	return size
}

// number reads the decimal digits of s from i, and returns the index after them and their
// value, at most 2^31 (fmt takes at most 10^6).
func number(s string, i int) (int, int64) {
	var n int64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = min(n*10+int64(s[i]-'0'), 1<<31)
	}
	return i, n
}
