package lualib

import (
	"encoding/json"
	"errors"
	"math"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// Extract is client:extract{deployment, messages | prompt, schema, max_attempts, system, name,
// headers, api_version}: a JSON document that fits schema (a JSON Schema table), asked of the
// deployment with a json_schema response format and asked again with the validator's
// messages while it does not fit, up to max_attempts (default 3) completions. It returns the
// decoded document and the last response. When no answer fits it returns nil, msg, err with
// err.kind = "schema", err.errors (the problems of the last answer, a list of strings),
// err.attempts and err.answer (the last answer's text). A schema that is not a valid JSON
// Schema raises.
func (c *clientHandle) Extract(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	L.CheckTable(1)
	o := optionsArg(L.LState, 1, "deployment", "messages", "prompt", "system", "schema", "name",
		"max_attempts", "headers", "api_version")
	deployment := o.str("deployment")
	if deployment == "" {
		L.ArgError(1, "'deployment' is required")
	}
	req := dial.ExtractRequest{Name: o.str("name"), Messages: extractMessages(o)}
	schema, ok := o.t.RawGetString("schema").(*lua.LTable)
	if !ok {
		L.ArgError(1, "'schema' must be a table (a JSON Schema)")
	}
	var err error
	if req.Schema, err = luabridge.ToJSON(L.LState, schema); err != nil {
		L.ArgError(1, "'schema': "+err.Error())
	}
	if n, given := o.number("max_attempts"); given {
		if n < 1 || n != math.Trunc(n) || n > math.MaxInt32 {
			L.ArgError(1, "'max_attempts' must be a positive integer")
		}
		req.MaxAttempts = int(n)
	}
	req.OnResponse = func(r *dial.ChatResponse) { c.m.countUsage(c.c, deployment, r.Usage) }
	opts := o.headers()
	if v := o.str("api_version"); v != "" {
		opts = append(opts, dial.APIVersion(v))
	}
	doc, resp, err := c.c.Extract(luabridge.Context(L.LState), deployment, req, opts...)
	if errors.Is(err, dial.ErrInvalidSchema) {
		L.ArgError(1, c.m.errorMessage(err))
	}
	if err != nil {
		n := c.m.fail(L.LState, err)
		var se *dial.SchemaError
		if errors.As(err, &se) {
			t := L.Get(-1).(*lua.LTable)
			list := luabridge.MarkArray(L.LState, L.CreateTable(len(se.Errors), 0))
			for _, e := range se.Errors {
				list.Append(lua.LString(e))
			}
			t.RawSetString("errors", list)
			t.RawSetString("attempts", lua.LNumber(se.Attempts))
			t.RawSetString("answer", lua.LString(se.Answer))
		}
		return n
	}
	v, err := luabridge.FromJSON(L.LState, doc)
	if err != nil {
		return c.m.fail(L.LState, errors.Join(dial.ErrParse, err))
	}
	r, err := luabridge.FromJSON(L.LState, resp.Raw)
	if err != nil {
		return c.m.fail(L.LState, errors.Join(dial.ErrParse, err))
	}
	L.Push(v)
	L.Push(r)
	return 2
}

// extractMessages reads the conversation of client:extract: messages (a list of message
// tables) or prompt (a string, sent as a user message), after system when given.
func extractMessages(o optionTable) []dial.Message {
	L := o.L
	var msgs []dial.Message
	if system := o.str("system"); system != "" {
		msgs = append(msgs, dial.Message{Role: dial.RoleSystem, Content: system})
	}
	prompt := o.str("prompt")
	list, isList := o.t.RawGetString("messages").(*lua.LTable)
	switch {
	case prompt != "" && isList:
		L.ArgError(o.n, "give 'messages' or 'prompt', not both")
	case prompt != "":
		return append(msgs, dial.Message{Role: dial.RoleUser, Content: prompt})
	case !isList:
		L.ArgError(o.n, "'messages' (a list of messages) or 'prompt' (a string) is required")
	}
	raw, err := luabridge.ToJSON(L, list)
	var given []dial.Message
	if err == nil {
		err = json.Unmarshal(raw, &given)
	}
	if err != nil || len(given) == 0 {
		L.ArgError(o.n, "'messages' must be a non-empty list of message tables")
	}
	return append(msgs, given...)
}
