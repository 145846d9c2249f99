package lualib

import (
	"encoding/json"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/luabridge"
)

// conversationsHandle is client.conversations: DIAL conversations storage (/v1/conversations/…),
// as DIAL Chat writes it. Saving goes through dial sessions (session:save).
type conversationsHandle struct {
	cl *clientHandle
}

// String is what tostring shows.
func (cv *conversationsHandle) String() string { return "dial.conversations" }

// Get is conversations:get(url [, {if_match, if_none_match, headers}]): the conversation, in
// its wire form (camelCase members, messages in the chat completions form), and its etag.
func (cv *conversationsHandle) Get(L *luar.LState) int {
	m := cv.cl.m
	defer m.enter(L.LState)()
	url := L.CheckString(1)
	o := optionsArg(L.LState, 2, "if_match", "if_none_match", "headers")
	conv, etag, err := cv.cl.c.GetConversation(luabridge.Context(L.LState), url, conditions(o)...)
	if err != nil {
		return m.fail(L.LState, err)
	}
	raw, err := json.Marshal(conv)
	if err != nil {
		return m.fail(L.LState, err)
	}
	if n := m.pushJSON(L.LState, raw); n != 1 {
		return n
	}
	L.Push(lua.LString(etag))
	return 2
}

// Delete is conversations:delete(url [, {if_match, headers}]): true on success.
func (cv *conversationsHandle) Delete(L *luar.LState) int {
	m := cv.cl.m
	defer m.enter(L.LState)()
	url := L.CheckString(1)
	o := optionsArg(L.LState, 2, "if_match", "headers")
	if err := cv.cl.c.DeleteConversation(luabridge.Context(L.LState), url, conditions(o)...); err != nil {
		return m.fail(L.LState, err)
	}
	L.Push(lua.LTrue)
	return 1
}

// Metadata is conversations:metadata(url [, {limit, token, recursive}]), as files:metadata.
func (cv *conversationsHandle) Metadata(L *luar.LState) int {
	return cv.cl.m.metadata(L, cv.cl.c.ConversationMetadata)
}

// List is conversations:list(folder [, {recursive, limit}]), as files:list.
func (cv *conversationsHandle) List(L *luar.LState) int {
	return cv.cl.m.list(L, cv.cl.c.ConversationMetadata)
}
