package lualib_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/runtime"
)

// TestHandleSurfaceMatchesREADME holds the methods and fields a script can reach on every
// dial handle against the ones README.md documents: a Go method that becomes visible to Lua
// without a README row, or a documented method a handle lacks, fails here.
func TestHandleSurfaceMatchesREADME(t *testing.T) {
	t.Parallel()
	documented := readmeSurface(t)
	L := newDialState(t)
	require.NoError(t, L.DoString(`
		local dial = require("dial")
		local client = dial.default()
		local _, stream = client:stream{deployment = "echo", messages = {{role = "user", content = "hi"}}}
		handles = {client = client, ["client.files"] = client.files, ["client.prompts"] = client.prompts,
			["client.applications"] = client.applications,
			["client.conversations"] = client.conversations, ["client.shares"] = client.shares,
			["client.invitations"] = client.invitations, ["client.permissions"] = client.permissions, pool = dial.pool(), stream = stream, session = client:session{deployment = "echo"}}`))
	handles := L.GetGlobal("handles").(*lua.LTable)

	// Every documented member answers.
	for _, member := range documented {
		recv, name, method := strings.Cut(member, ":")
		if !method {
			recv, name, _ = strings.Cut(member, ".") // a field: "client.files"
		}
		h := handles.RawGetString(recv)
		require.NotEqual(t, lua.LNil, h, "no handle for %s", member)
		v, err := index(L, h, name)
		if assert.NoError(t, err, member) && method {
			assert.True(t, v.Type() == lua.LTFunction || callable(v), member)
		}
	}

	// Every member a handle offers (as the REPL's completion lists them) is documented.
	var offered []string
	handles.ForEach(func(recv, h lua.LValue) {
		mt := h.(*lua.LUserData).Metatable.(*lua.LTable)
		mt.RawGetString("methods").(*lua.LTable).ForEach(func(name, _ lua.LValue) {
			offered = append(offered, recv.String()+":"+name.String())
		})
		mt.RawGetString("fields").(*lua.LTable).ForEach(func(name, _ lua.LValue) {
			offered = append(offered, recv.String()+"."+name.String())
			if v, err := index(L, h, name.String()); err == nil && callable(v) {
				offered = append(offered, recv.String()+":"+name.String()) // client:applications()
			}
		})
	})
	slices.Sort(offered)
	assert.Equal(t, documented, offered)
}

// callable reports whether v is a handle that can be called as a function.
func callable(v lua.LValue) bool {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return false
	}
	mt, ok := ud.Metatable.(*lua.LTable)
	return ok && mt.RawGetString("__call") != lua.LNil
}

// index reads h[name] in protected mode.
func index(L *lua.LState, h lua.LValue, name string) (lua.LValue, error) {
	get := L.NewFunction(func(L *lua.LState) int {
		L.Push(L.GetField(L.Get(1), name))
		return 1
	})
	if err := L.CallByParam(lua.P{Fn: get, NRet: 1, Protect: true}, h); err != nil {
		return nil, err
	}
	v := L.Get(-1)
	L.Pop(1)
	return v, nil
}

// handleMember matches a method of a handle as README.md writes it, such as
// "client.files:upload(" or "client:chat{".
var handleMember = regexp.MustCompile(`\b(client\.[a-z_]+|client|pool|stream|session):([a-z_]+)\b`)

// readmeSurface returns the handle members the Lua API reference of README.md documents,
// sorted: "client:chat" for a method, "client.files" for a field of a client.
func readmeSurface(t *testing.T) []string {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Lua API reference\n")
	require.True(t, ok, "README.md has no Lua API reference")
	section, _, _ = strings.Cut(section, "\n## ")
	var members []string
	for _, m := range handleMember.FindAllStringSubmatch(section, -1) {
		members = append(members, m[1]+":"+m[2])
		if strings.Contains(m[1], ".") {
			members = append(members, m[1])
		}
	}
	slices.Sort(members)
	return slices.Compact(members)
}

// The REPL completes the methods and fields of a handle.
func TestHandleCompletion(t *testing.T) {
	t.Parallel()
	L := newDialState(t)
	require.NoError(t, L.DoString(`client = require("dial").default()`))
	for line, want := range map[string][]string{
		"client:chat":      {"chat", "chat_many"},
		"client.fi":        {"files", "files_home"},
		"client:fi":        {"files_home"},
		"client.files:up":  {"upload"},
		"client.prompts:g": {"get"},
	} {
		names, _ := runtime.Complete(L, line)
		assert.Equal(t, want, names, line)
	}
}
