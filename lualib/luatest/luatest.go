// Package luatest runs tests written in Lua as Go subtests.
//
// A test file defines global functions whose names start with "Test"; each one becomes a
// subtest of the Go test that calls [Run], and receives a test object t with these methods:
//
//	t:run(name, fn) -> ok         runs fn(t2) as a nested subtest; ok is whether it passed
//	t:log(...)                    logs the arguments, separated by spaces
//	t:error(...)                  logs the arguments and marks the test failed; it continues
//	t:fail([msg])                 marks the test failed, logging msg when given; it continues
//	t:fatal(...)                  logs the arguments, marks the test failed and stops it
//	t:skip(...)                   logs the arguments and stops the test as skipped
//	t:equal(got, want [, msg]) -> ok
//	                              compares deeply (tables by content, ignoring metatables) and
//	                              reports a failure showing both values when they differ
//	t:name() -> string            the Go name of the (sub)test
//	t:failed() -> bool            whether the (sub)test has failed so far
//
// Messages carry the file and line of the Lua call. t:fatal and t:skip stop the Lua function by
// raising an error, so a pcall around them catches the stop as well.
package luatest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// Setup returns a fresh LState for one test function, with whatever modules and globals the
// tests need. It owns the state's cleanup (typically through t.Cleanup); the runner only uses it
// on the test's goroutine and never closes it.
type Setup func(t *testing.T) *lua.LState

// Run loads the Lua file at path and runs each of its global Test* functions, in name order, as
// a parallel subtest of t. Every test function gets its own state from setup, into which the
// file is loaded again, so tests do not share globals. The state's context is t.Context() of the
// subtest. A Lua error that escapes a test function fails the subtest with the error and its
// traceback.
func Run(t *testing.T, path string, setup Setup) {
	t.Helper()
	names, err := testNames(t, path, setup)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(names) == 0 {
		t.Fatalf("%s: no global Test* functions", path)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			L := setup(t)
			L.SetContext(t.Context())
			defer L.RemoveContext()
			if err := L.DoFile(path); err != nil {
				t.Fatalf("loading %s: %v", path, err)
			}
			callTest(t, L, L.GetGlobal(name))
		})
	}
}

func testNames(t *testing.T, path string, setup Setup) ([]string, error) {
	L := setup(t)
	if err := L.DoFile(path); err != nil {
		return nil, err
	}
	var names []string
	L.G.Global.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		if _, isFn := v.(*lua.LFunction); ok && isFn && strings.HasPrefix(string(name), "Test") {
			names = append(names, string(name))
		}
	})
	slices.Sort(names)
	return names, nil
}

// stop is the error value t:fatal and t:skip raise to unwind the Lua test function.
type stop struct{ skip bool }

// callTest calls fn(t) on L and turns the outcome into the Go test's result. It must run on the
// goroutine of t, after the Lua call has unwound, because SkipNow and FailNow end that goroutine.
func callTest(t *testing.T, L *lua.LState, fn lua.LValue) bool {
	err := L.CallByParam(lua.P{Fn: fn, Protect: true}, newT(L, t))
	if err == nil {
		return !t.Failed()
	}
	if apiErr, ok := err.(*lua.ApiError); ok {
		if ud, ok := apiErr.Object.(*lua.LUserData); ok {
			if s, ok := ud.Value.(stop); ok {
				if s.skip {
					t.SkipNow()
				}
				t.FailNow()
			}
		}
	}
	t.Fatalf("%v", err)
	return false
}

const metatableKey = "luatest.T"

func newT(L *lua.LState, t *testing.T) *lua.LUserData {
	mt, ok := L.GetTypeMetatable(metatableKey).(*lua.LTable)
	if !ok {
		mt = L.NewTypeMetatable(metatableKey)
		mt.RawSetString("__index", L.SetFuncs(L.NewTable(), methods()))
	}
	ud := L.NewUserData()
	ud.Value = t
	ud.Metatable = mt
	return ud
}

func methods() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"run":    tRun,
		"log":    tLog,
		"error":  tError,
		"fail":   tFail,
		"fatal":  tFatal,
		"skip":   tSkip,
		"equal":  tEqual,
		"name":   tName,
		"failed": tFailed,
	}
}

func checkT(L *lua.LState) *testing.T {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if t, ok := ud.Value.(*testing.T); ok {
			return t
		}
	}
	L.ArgError(1, "test object expected (call methods with t:method)")
	return nil
}

// message joins the arguments from index 2 the way print does, prefixed with the position of
// the Lua caller.
func message(L *lua.LState) string {
	parts := make([]string, 0, L.GetTop())
	for i := 2; i <= L.GetTop(); i++ {
		parts = append(parts, L.ToStringMeta(L.Get(i)).String())
	}
	return L.Where(1) + " " + strings.Join(parts, " ")
}

func tRun(L *lua.LState) int {
	t := checkT(L)
	name := L.CheckString(2)
	fn := L.CheckFunction(3)
	// t.Run runs the subtest on a new goroutine and waits for it, so L stays used by one
	// goroutine at a time.
	ok := t.Run(name, func(t *testing.T) { callTest(t, L, fn) })
	L.Push(lua.LBool(ok))
	return 1
}

func tLog(L *lua.LState) int {
	checkT(L).Log(message(L))
	return 0
}

func tError(L *lua.LState) int {
	checkT(L).Error(message(L))
	return 0
}

func tFail(L *lua.LState) int {
	t := checkT(L)
	if L.GetTop() >= 2 {
		t.Error(message(L))
	} else {
		t.Error(L.Where(1) + " failed")
	}
	return 0
}

func tFatal(L *lua.LState) int {
	checkT(L).Error(message(L))
	raiseStop(L, false)
	return 0
}

func tSkip(L *lua.LState) int {
	checkT(L).Log(message(L))
	raiseStop(L, true)
	return 0
}

func raiseStop(L *lua.LState, skip bool) {
	ud := L.NewUserData()
	ud.Value = stop{skip: skip}
	L.Error(ud, 0)
}

func tEqual(L *lua.LState) int {
	t := checkT(L)
	got, want := L.CheckAny(2), L.CheckAny(3)
	if deepEqual(got, want, map[[2]lua.LValue]bool{}) {
		L.Push(lua.LTrue)
		return 1
	}
	label := "values differ"
	if L.GetTop() >= 4 {
		label = L.ToStringMeta(L.Get(4)).String()
	}
	t.Errorf("%s %s\n\tgot:  %s\n\twant: %s", L.Where(1), label, render(got, 0), render(want, 0))
	L.Push(lua.LFalse)
	return 1
}

func tName(L *lua.LState) int {
	L.Push(lua.LString(checkT(L).Name()))
	return 1
}

func tFailed(L *lua.LState) int {
	L.Push(lua.LBool(checkT(L).Failed()))
	return 1
}

// deepEqual compares tables by content; seen breaks cycles by assuming a pair under
// comparison is equal.
func deepEqual(a, b lua.LValue, seen map[[2]lua.LValue]bool) bool {
	ta, okA := a.(*lua.LTable)
	tb, okB := b.(*lua.LTable)
	if !okA || !okB {
		if na, ok := a.(lua.LNumber); ok {
			nb, ok := b.(lua.LNumber)
			return ok && (na == nb || math.IsNaN(float64(na)) && math.IsNaN(float64(nb)))
		}
		return a == b
	}
	if ta == tb || seen[[2]lua.LValue{a, b}] {
		return true
	}
	seen[[2]lua.LValue{a, b}] = true
	equal := true
	count := 0
	ta.ForEach(func(k, v lua.LValue) {
		count++
		if equal && !deepEqual(v, tb.RawGet(k), seen) {
			equal = false
		}
	})
	if !equal {
		return false
	}
	tb.ForEach(func(lua.LValue, lua.LValue) { count-- })
	return count == 0
}

// render shows a value compactly for failure messages: tables with sorted keys, strings
// quoted.
func render(v lua.LValue, depth int) string {
	switch v := v.(type) {
	case lua.LString:
		return strconv.Quote(string(v))
	case *lua.LTable:
		if depth > 8 {
			return "{...}"
		}
		type kv struct{ k, v string }
		var items []kv
		v.ForEach(func(k, val lua.LValue) {
			key := render(k, depth+1)
			if s, ok := k.(lua.LString); ok && isName(string(s)) {
				key = string(s)
			} else {
				key = "[" + key + "]"
			}
			items = append(items, kv{key, render(val, depth+1)})
		})
		slices.SortFunc(items, func(a, b kv) int { return strings.Compare(a.k, b.k) })
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = it.k + "=" + it.v
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *lua.LUserData:
		if s, ok := v.Value.(fmt.Stringer); ok {
			return s.String()
		}
		if mt, ok := v.Metatable.(*lua.LTable); ok {
			if name, ok := mt.RawGetString("__metatable").(lua.LString); ok {
				return string(name)
			}
		}
	}
	return v.String()
}

func isName(s string) bool {
	for i, c := range s {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}
