package lualib

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"
)

// handleType is the Lua surface of the handles of Go type H (a client, a pool, a stream…):
// exactly the methods and fields it lists, nothing found by reflection, so an exported Go
// method is never a Lua method unless it is listed. The lists of the dial module are in
// dialhandles.go.
//
// The Lua value of a handle is a userdata whose metatable
//   - answers a listed method or field, and raises "dial client has no method or field 'x'"
//     for any other key;
//   - refuses assignments;
//   - gives String() to tostring;
//   - is protected: getmetatable gives the handle's name.
//
// A method gets the calling thread as a *luar.LState (gopher-luar's wrapper; L.LState is the
// thread) with the handle removed from the stack, so its argument 1 is the first one after
// the ':'; called with '.' (no handle first), it raises
// "client:chat: called with '.'; use ':' (client:chat(…))". The metatable also holds the
// tables "methods" (name → function) and "fields" (name → true), which the REPL's completion
// reads.
type handleType[H fmt.Stringer] struct {
	// name names the handle in error messages: "dial client".
	name string
	// recv is how a method call is written, before the ':': "client.files".
	recv string
	// methods maps Lua method names to Go methods.
	methods map[string]func(H, *luar.LState) int
	// fields maps Lua field names to their values.
	fields map[string]func(H) lua.LValue
	// call, when not nil, runs when a handle is called as a function (its __call), with the
	// handle removed from the stack: client.applications is called as client:applications().
	call func(H, *luar.LState) int
}

// new returns the Lua value of handle h, for the state (or coroutine) L.
func (t *handleType[H]) new(L *lua.LState, h H) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = h
	ud.Metatable = t.metatable(L)
	return ud
}

// metatable returns the metatable of the type's handles in L's state, made on first use.
func (t *handleType[H]) metatable(L *lua.LState) *lua.LTable {
	key := "dialua." + t.recv
	if mt, ok := L.GetTypeMetatable(key).(*lua.LTable); ok {
		return mt
	}
	mt := L.NewTypeMetatable(key)
	methods := L.CreateTable(0, len(t.methods))
	for name, fn := range t.methods {
		methods.RawSetString(name, L.NewFunction(t.method(name, fn)))
	}
	fields := L.CreateTable(0, len(t.fields))
	for name := range t.fields {
		fields.RawSetString(name, lua.LTrue)
	}
	mt.RawSetString("methods", methods)
	mt.RawSetString("fields", fields)
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		h := t.check(L)
		key := L.Get(2)
		if fn := methods.RawGet(key); fn != lua.LNil {
			L.Push(fn)
			return 1
		}
		if s, ok := key.(lua.LString); ok && t.fields[string(s)] != nil {
			L.Push(t.fields[string(s)](h))
			return 1
		}
		L.RaiseError("%s has no method or field '%s'", t.name, key.String())
		return 0
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("cannot set '%s' of a %s", L.Get(2).String(), t.name)
		return 0
	}))
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(t.check(L).String()))
		return 1
	}))
	if t.call != nil {
		mt.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
			h := t.check(L)
			L.Remove(1)
			return t.call(h, &luar.LState{LState: L})
		}))
	}
	mt.RawSetString("__metatable", lua.LString(t.name))
	return mt
}

// check returns the handle at argument 1, which the metamethods are called with, or raises
// when it is none (a metamethod reached through debug.getmetatable and called by hand).
func (t *handleType[H]) check(L *lua.LState) H {
	h, ok := t.handle(L.Get(1))
	if !ok {
		L.ArgError(1, t.name+" expected")
	}
	return h
}

// handle returns the handle v holds, and whether it is a handle of this type.
func (t *handleType[H]) handle(v lua.LValue) (H, bool) {
	var h H
	ud, ok := v.(*lua.LUserData)
	if ok {
		h, ok = ud.Value.(H)
	}
	return h, ok
}

// method returns the Lua function of method fn, named name: it checks that its first
// argument is a handle of this type and calls fn with the rest.
func (t *handleType[H]) method(name string, fn func(H, *luar.LState) int) lua.LGFunction {
	call := t.recv + ":" + name
	return func(L *lua.LState) int {
		h, ok := t.handle(L.Get(1))
		if !ok {
			L.RaiseError("%s: called with '.'; use ':' (%s(…))", call, call)
		}
		L.Remove(1)
		return fn(h, &luar.LState{LState: L})
	}
}
