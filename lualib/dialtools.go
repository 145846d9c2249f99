package lualib

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// callbacks runs Lua callbacks (tool functions, on_chunk) from inside a Go call that must not
// be unwound by a Lua error: the first error raised is kept and raised again once the Go call
// has returned.
type callbacks struct {
	m     *Dial
	L     *lua.LState
	err   error // the first error a callback raised
	value lua.LValue
}

// call calls fn with args in protected mode and returns its first result, or records the
// error.
func (cb *callbacks) call(fn *lua.LFunction, args ...lua.LValue) (lua.LValue, error) {
	if err := cb.m.callback(cb.L, fn, 1, args...); err != nil {
		return nil, err
	}
	v := cb.L.Get(-1)
	cb.L.Pop(1)
	return v, nil
}

// onChunk adapts a Lua on_chunk function to [dial.RunOptions.OnChunk]: a raise stops the run
// and is raised again by reraise.
func (cb *callbacks) onChunk(fn *lua.LFunction) func(dial.ChatChunk) bool {
	if fn == nil {
		return nil
	}
	return func(chunk dial.ChatChunk) bool {
		v, err := luabridge.FromJSON(cb.L, chunk.Raw)
		if err == nil {
			v, err = cb.call(fn, v)
		}
		if err != nil {
			cb.keep(err)
			return false
		}
		return v != lua.LFalse
	}
}

// keep records the first callback error.
func (cb *callbacks) keep(err error) {
	if cb.err == nil {
		cb.err = err
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) {
			cb.value = apiErr.Object
		}
	}
}

// reraise raises the kept callback error, if any, as the script raised it.
func (cb *callbacks) reraise() {
	if cb.err == nil {
		return
	}
	if cb.value != nil {
		cb.L.Error(cb.value, 0)
	}
	cb.L.RaiseError("%s", cb.err.Error())
}

// readTools reads the tools table: name = {description = …, parameters = …, fn = function}.
// Tools are offered in the order of their names. A tool function that raises answers the call
// with the error text, which the model sees.
func (cb *callbacks) readTools(n int, v lua.LValue) []dial.ToolFunction {
	L := cb.L
	t, ok := v.(*lua.LTable)
	if !ok {
		if v != nil && v != lua.LNil {
			L.ArgError(n, "'tools' must be a table of name = {description, parameters, fn}")
		}
		return nil
	}
	var tools []dial.ToolFunction
	t.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		spec, isTable := v.(*lua.LTable)
		if !ok || !isTable {
			L.ArgError(n, "'tools' must map tool names to tables")
		}
		L.Push(spec)
		o := optionsArg(L, L.GetTop(), "description", "parameters", "fn")
		L.Pop(1)
		fn := o.function("fn")
		if fn == nil {
			L.ArgError(n, "tool '"+string(name)+"' needs fn")
		}
		var params any
		if p := spec.RawGetString("parameters"); p != lua.LNil {
			raw, err := luabridge.ToJSON(L, p)
			if err != nil {
				L.ArgError(n, "tool '"+string(name)+"': parameters: "+err.Error())
			}
			params = json.RawMessage(raw)
		}
		tools = append(tools, dial.ToolFunction{Name: string(name), Description: o.str("description"),
			Parameters: params, Func: cb.tool(fn)})
	})
	slices.SortFunc(tools, func(a, b dial.ToolFunction) int { return strings.Compare(a.Name, b.Name) })
	return tools
}

// tool adapts a Lua tool function: it gets the decoded arguments and returns any JSON-able
// value; a raise becomes the tool's error answer.
func (cb *callbacks) tool(fn *lua.LFunction) dial.ToolFunc {
	return func(_ context.Context, args json.RawMessage) (any, error) {
		v, err := luabridge.FromJSON(cb.L, args)
		if err != nil {
			return nil, err
		}
		res, err := cb.call(fn, v)
		if err != nil {
			var apiErr *lua.ApiError
			if errors.As(err, &apiErr) {
				return nil, errors.New(apiErr.Object.String())
			}
			return nil, err
		}
		raw, err := luabridge.ToJSON(cb.L, res)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(raw), nil
	}
}

// runControlKeys are the keys of client:run{} the module consumes.
var runControlKeys = map[string]bool{"deployment": true, "tools": true, "max_steps": true, "on_chunk": true,
	"stream": true, "api_version": true, "headers": true, "toolsets": true}

// Run is client:run{deployment, messages, tools = {name = {description, parameters, fn}},
// toolsets = {id…}, max_steps, on_chunk, …}: the tool-call loop; the tools of the MCP
// toolsets are offered beside the Lua tools and called through DIAL. It returns the final response and the whole
// history, or nil, msg, err (kind "tool_loop" when max_steps is reached; err.history holds
// the exchange so far).
func (c *clientHandle) Run(L *luar.LState) int {
	m := c.m
	defer m.enter(L.LState)()
	t := L.CheckTable(1)
	cb := &callbacks{m: m, L: L.LState}
	body := L.NewTable()
	var (
		deployment string
		opts       dial.RunOptions
		tools      []dial.ToolFunction
	)
	t.ForEach(func(k, v lua.LValue) {
		key, ok := k.(lua.LString)
		if !ok || !runControlKeys[string(key)] {
			body.RawSet(k, v)
		}
	})
	o := optionTable{L: L.LState, n: 1, t: t}
	deployment = o.str("deployment")
	if deployment == "" {
		L.ArgError(1, "'deployment' is required")
	}
	if n, ok := o.number("max_steps"); ok {
		if n < 1 {
			L.ArgError(1, "'max_steps' must be at least 1")
		}
		opts.MaxSteps = int(n)
	}
	if v := o.str("api_version"); v != "" {
		opts.CallOptions = append(opts.CallOptions, dial.APIVersion(v))
	}
	opts.CallOptions = append(opts.CallOptions, o.headers()...)
	opts.OnChunk = cb.onChunk(o.function("on_chunk"))
	opts.Stream = o.boolean("stream") || opts.OnChunk != nil
	tools = cb.readTools(1, t.RawGetString("tools"))
	opts.Toolsets = stringList(L.LState, 1, t.RawGetString("toolsets"), "toolsets")
	if _, ok := body.RawGetString("messages").(*lua.LTable); !ok {
		L.ArgError(1, "'messages' must be a table of messages")
	}
	raw, err := luabridge.ToJSON(L.LState, body)
	if err != nil {
		L.ArgError(1, err.Error())
	}
	res, err := c.c.RunToolsRaw(luabridge.Context(L.LState), deployment, raw, tools, opts)
	cb.reraise()
	return m.pushRun(L.LState, c.c, deployment, res, err)
}

// pushRun pushes the final response and history of a run of deployment on c, or the failure
// triple with err.history.
func (m *Dial) pushRun(L *lua.LState, c *dial.Client, deployment string, res *dial.RunResult, err error) int {
	var history lua.LValue = lua.LNil
	if res != nil {
		h, herr := luabridge.FromGo(L, res.Messages)
		if herr != nil {
			return m.fail(L, errors.Join(dial.ErrParse, herr))
		}
		history = luabridge.MarkArray(L, h.(*lua.LTable))
	}
	if err == nil && res.Response != nil {
		var merged json.RawMessage
		merged, err = res.Response.JSON()
		if err == nil {
			m.countUsage(c, deployment, &res.Usage)
			if n := m.pushJSON(L, merged); n != 1 {
				return n
			}
			L.Push(history)
			return 2
		}
	}
	if err == nil {
		err = errors.New("dial: the run ended without a response")
	}
	n := m.fail(L, err)
	L.Get(-1).(*lua.LTable).RawSetString("history", history)
	return n
}

// Session is client:session{deployment, system, temperature, tools, …}: a chat that keeps its
// history, saved and loaded as a DIAL conversation. Other keys are sent with every request.
func (c *clientHandle) Session(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	t := L.CheckTable(1)
	s := &sessionHandle{m: c.m, s: &dial.Session{Client: c.c}}
	extra := L.NewTable()
	t.ForEach(func(k, v lua.LValue) {
		switch k.String() {
		case "deployment", "system", "temperature", "tools", "name", "max_steps":
		default:
			extra.RawSet(k, v)
		}
	})
	o := optionTable{L: L.LState, n: 1, t: t}
	s.s.Deployment = o.str("deployment")
	if s.s.Deployment == "" {
		L.ArgError(1, "'deployment' is required")
	}
	s.s.System = o.str("system")
	s.s.Name = o.str("name")
	if temp, ok := o.number("temperature"); ok {
		s.s.Temperature = &temp
	}
	if n, ok := o.number("max_steps"); ok {
		s.maxSteps = int(n)
	}
	s.tools = t.RawGetString("tools")
	raw, err := luabridge.ToJSON(L.LState, luabridge.MarkObject(L.LState, extra))
	if err != nil {
		L.ArgError(1, err.Error())
	}
	s.s.Request = raw
	L.Push(sessionType.new(L.LState, s))
	return 1
}

// LoadSession is client:load_session(url): the session saved at url, to continue.
func (c *clientHandle) LoadSession(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	url := L.CheckString(1)
	ds, err := c.c.LoadSession(luabridge.Context(L.LState), url)
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	L.Push(sessionType.new(L.LState, &sessionHandle{m: c.m, s: ds, url: url}))
	return 1
}

// sessionHandle is the handle of a chat session.
type sessionHandle struct {
	m        *Dial
	s        *dial.Session
	tools    lua.LValue // the tools table, read on every say
	maxSteps int
	url      string // where the session was loaded from or last saved to
}

// String is what tostring shows.
func (s *sessionHandle) String() string { return "dial.session(" + s.s.Deployment + ")" }

// Say is session:say(text [, {on_chunk = fn, max_steps = n}]): sends text with the history and
// returns the answer's text and the response; on failure the history is unchanged.
func (s *sessionHandle) Say(L *luar.LState) int {
	defer s.m.enter(L.LState)()
	text := L.CheckString(1)
	o := optionsArg(L.LState, 2, "on_chunk", "max_steps", "stream", "attachments")
	cb := &callbacks{m: s.m, L: L.LState}
	opts := dial.RunOptions{MaxSteps: s.maxSteps, OnChunk: cb.onChunk(o.function("on_chunk"))}
	opts.Stream = o.boolean("stream") || opts.OnChunk != nil
	if n, ok := o.number("max_steps"); ok {
		opts.MaxSteps = int(n)
	}
	s.s.Tools = cb.readTools(1, s.tools)
	var srcs []dial.AttachmentSource
	if v := o.t.RawGetString("attachments"); v != lua.LNil {
		srcs = s.m.readAttachments(L.LState, 2, v, "")
	}
	msg, err := userMessage(luabridge.Context(L.LState), s.s.Client, text, srcs)
	if err != nil {
		return s.m.fail(L.LState, err)
	}
	res, err := s.s.Send(luabridge.Context(L.LState), msg, opts)
	cb.reraise()
	if err != nil {
		return s.m.pushRun(L.LState, s.s.Client, s.s.Deployment, res, err)
	}
	merged, err := res.Response.JSON()
	if err != nil {
		return s.m.fail(L.LState, err)
	}
	s.m.countUsage(s.s.Client, s.s.Deployment, &res.Usage)
	L.Push(lua.LString(res.Response.Text()))
	if n := s.m.pushJSON(L.LState, merged); n != 1 {
		return n
	}
	return 2
}

// Messages is session:messages(): the history (without the system prompt) as a list.
func (s *sessionHandle) Messages(L *luar.LState) int {
	v, err := luabridge.FromGo(L.LState, s.s.Messages)
	if err != nil {
		return s.m.fail(L.LState, errors.Join(dial.ErrParse, err))
	}
	L.Push(luabridge.MarkArray(L.LState, v.(*lua.LTable)))
	return 1
}

// Save is session:save(url [, {if_match, if_none_match, force}]): stores the session as a
// DIAL conversation and returns true. Saving again where it was loaded from or last saved
// to, in any spelling of that URL, sends If-Match with the version it knows, so a
// conversation changed elsewhere is not overwritten (kind "etag_mismatch"); force = true
// overwrites.
func (s *sessionHandle) Save(L *luar.LState) int {
	defer s.m.enter(L.LState)()
	url := L.CheckString(1)
	o := optionsArg(L.LState, 2, "if_match", "if_none_match", "force")
	opts := conditions(o)
	if len(opts) == 0 && !o.boolean("force") && s.s.ETag != "" && s.s.Client.SameStorageURL(url, s.url) {
		opts = append(opts, dial.IfMatch(s.s.ETag))
	}
	if _, err := s.s.Save(luabridge.Context(L.LState), url, opts...); err != nil {
		return s.m.fail(L.LState, err)
	}
	s.url = url
	L.Push(lua.LTrue)
	return 1
}

// Etag is session:etag(): the version of the conversation last loaded or saved, or nil.
func (s *sessionHandle) Etag(L *luar.LState) int {
	if s.s.ETag == "" {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(s.s.ETag))
	}
	return 1
}

// promptsHandle is client.prompts: DIAL prompts storage (/v1/prompts/…).
type promptsHandle struct {
	cl *clientHandle
}

// String is what tostring shows.
func (p *promptsHandle) String() string { return "dial.prompts" }

// Save is prompts:save(url, {name, content, description, …} [, {if_match, if_none_match}]):
// stores the prompt and returns its metadata.
func (p *promptsHandle) Save(L *luar.LState) int {
	return saveTyped(p.cl.m, L, "prompt", p.cl.c.SavePrompt)
}

// Get is prompts:get(url [, {if_match, if_none_match}]): the prompt and its etag.
func (p *promptsHandle) Get(L *luar.LState) int {
	return getTyped(p.cl.m, L, p.cl.c.GetPrompt)
}

// Delete is prompts:delete(url [, {if_match}]): true on success.
func (p *promptsHandle) Delete(L *luar.LState) int {
	m := p.cl.m
	defer m.enter(L.LState)()
	if err := p.cl.c.DeletePrompt(luabridge.Context(L.LState), L.CheckString(1), conditions(optionsArg(L.LState, 2, "if_match", "headers"))...); err != nil {
		return m.fail(L.LState, err)
	}
	L.Push(lua.LTrue)
	return 1
}

// Metadata is prompts:metadata(url [, {limit, token, recursive}]), as files:metadata.
func (p *promptsHandle) Metadata(L *luar.LState) int {
	return p.cl.m.metadata(L, p.cl.c.PromptMetadata)
}

// List is prompts:list(folder [, {recursive, limit}]), as files:list.
func (p *promptsHandle) List(L *luar.LState) int {
	return p.cl.m.list(L, p.cl.c.PromptMetadata)
}

// template is dial.template(text, vars): text with its {{name}} placeholders filled from vars
// ({{name|default}} falls back to the default). A placeholder without a value raises an error
// naming it.
func (m *Dial) template(L *lua.LState) int {
	text := L.CheckString(1)
	vars := map[string]any{}
	if t := L.OptTable(2, nil); t != nil && t.Len() == 0 {
		v, err := luabridge.ToGo(L, t)
		if err != nil {
			L.ArgError(2, err.Error())
		}
		if m, ok := v.(map[string]any); ok {
			vars = m
		}
	} else if t != nil {
		L.ArgError(2, "vars must be a table of name = value")
	}
	out, err := dial.Template(text, vars)
	if err != nil {
		L.RaiseError("dial.template: %s", strings.TrimPrefix(m.errorMessage(err), "dial: template: "))
	}
	L.Push(lua.LString(out))
	return 1
}

// SessionValue returns a Lua handle of s in L, as client:session returns, with url as where
// it was loaded from or last saved to ("" for none): a command that holds a Go session gives
// it to a script this way. Call it on the state's goroutine; the handle and the caller share
// s, so they must not use it at the same time.
func (m *Dial) SessionValue(L *lua.LState, s *dial.Session, url string) lua.LValue {
	return sessionType.new(L, &sessionHandle{m: m, s: s, url: url})
}
