package lualib

import (
	"context"
	"encoding/json"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// Tokenize is client:tokenize{deployment, inputs}: the deployment's token count of each
// input, {outputs = {{status = "success", token_count = n} | {status = "error", error = …}}}.
// An input is a string, a chat request table, or DIAL's {type = "string" | "request",
// value = …}.
func (c *clientHandle) Tokenize(L *luar.LState) int {
	return c.feature(L, c.c.Tokenize, func(in lua.LValue) lua.LValue {
		switch v := in.(type) {
		case lua.LString:
			return typedInput(L.LState, "string", v)
		case *lua.LTable:
			if v.RawGetString("type") == lua.LNil {
				return typedInput(L.LState, "request", v)
			}
		}
		return in
	})
}

// TruncatePrompt is client:truncate_prompt{deployment, inputs}: for each chat request of
// inputs, the messages the deployment would discard to fit its max_prompt_tokens,
// {outputs = {{status = "success", discarded_messages = {i, …}} | {status = "error", …}}}.
// The indices are 0-based, as DIAL sends them.
func (c *clientHandle) TruncatePrompt(L *luar.LState) int {
	return c.feature(L, c.c.TruncatePrompt, func(in lua.LValue) lua.LValue { return in })
}

// typedInput is a tokenize input {type = typ, value = v}.
func typedInput(L *lua.LState, typ string, v lua.LValue) *lua.LTable {
	t := L.CreateTable(0, 2)
	t.RawSetString("type", lua.LString(typ))
	t.RawSetString("value", v)
	return t
}

// feature sends {inputs = …} to a deployment feature endpoint, each input passed through
// input, and pushes the answer.
func (c *clientHandle) feature(L *luar.LState, call func(context.Context, string, json.RawMessage, ...dial.CallOption) (json.RawMessage, error), input func(lua.LValue) lua.LValue) int {
	defer c.m.enter(L.LState)()
	L.CheckTable(1)
	o := optionsArg(L.LState, 1, "deployment", "inputs", "headers")
	deployment := o.str("deployment")
	if deployment == "" {
		L.ArgError(1, "'deployment' is required")
	}
	inputs, ok := o.t.RawGetString("inputs").(*lua.LTable)
	if !ok {
		L.ArgError(1, "'inputs' must be a list")
	}
	list := luabridge.MarkArray(L.LState, L.CreateTable(inputs.Len(), 0))
	for i := 1; i <= inputs.Len(); i++ {
		list.Append(input(inputs.RawGetInt(i)))
	}
	body := L.CreateTable(0, 1)
	body.RawSetString("inputs", list)
	raw, err := luabridge.ToJSON(L.LState, body)
	if err != nil {
		L.ArgError(1, err.Error())
	}
	out, err := call(luabridge.Context(L.LState), deployment, raw, o.headers()...)
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	return c.m.pushJSON(L.LState, out)
}
