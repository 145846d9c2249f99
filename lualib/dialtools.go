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
)

// callbacks runs Lua callbacks (tool functions, on_chunk) from inside a Go call that must not
// be unwound by a Lua error: the first error raised is kept and raised again once the Go call
// has returned.
type callbacks struct {
	L     *lua.LState
	err   error // the first error a callback raised
	value lua.LValue
}

// call calls fn with args in protected mode and returns its first result, or records the
// error.
func (cb *callbacks) call(fn *lua.LFunction, args ...lua.LValue) (lua.LValue, error) {
	if err := cb.L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, args...); err != nil {
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
		v, err := FromJSON(cb.L, chunk.Raw)
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
			raw, err := ToJSON(L, p)
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
		v, err := FromJSON(cb.L, args)
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
		raw, err := ToJSON(cb.L, res)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(raw), nil
	}
}

// runControlKeys are the keys of client:run{} the module consumes.
var runControlKeys = map[string]bool{"deployment": true, "tools": true, "max_steps": true, "on_chunk": true,
	"stream": true, "api_version": true, "toolsets": true}

// Run is client:run{deployment, messages, tools = {name = {description, parameters, fn}},
// toolsets = {id…}, max_steps, on_chunk, …}: the tool-call loop; the tools of the MCP
// toolsets are offered beside the Lua tools and called through DIAL. It returns the final response and the whole
// history, or nil, msg, err (kind "tool_loop" when max_steps is reached; err.history holds
// the exchange so far).
func (c *Client) Run(L *luar.LState) int {
	m := c.m
	defer m.enter(L.LState)()
	t := L.CheckTable(1)
	cb := &callbacks{L: L.LState}
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
	o := options{L: L.LState, n: 1, t: t}
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
	opts.OnChunk = cb.onChunk(o.function("on_chunk"))
	opts.Stream = o.boolean("stream") || opts.OnChunk != nil
	tools = cb.readTools(1, t.RawGetString("tools"))
	opts.Toolsets = stringList(L.LState, 1, t.RawGetString("toolsets"), "toolsets")
	if _, ok := body.RawGetString("messages").(*lua.LTable); !ok {
		L.ArgError(1, "'messages' must be a table of messages")
	}
	raw, err := ToJSON(L.LState, body)
	if err != nil {
		L.ArgError(1, err.Error())
	}
	res, err := c.c.RunToolsRaw(Context(L.LState), deployment, raw, tools, opts)
	cb.reraise()
	return m.pushRun(L.LState, res, err)
}

// pushRun pushes a run's final response and history, or the failure triple with
// err.history.
func (m *Dial) pushRun(L *lua.LState, res *dial.RunResult, err error) int {
	var history lua.LValue = lua.LNil
	if res != nil {
		h, herr := FromGo(L, res.Messages)
		if herr != nil {
			return m.fail(L, errors.Join(dial.ErrParse, herr))
		}
		history = MarkArray(L, h.(*lua.LTable))
	}
	if err == nil && res.Response != nil {
		var merged json.RawMessage
		merged, err = res.Response.JSON()
		if err == nil {
			m.countUsage(&res.Usage)
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
func (c *Client) Session(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	t := L.CheckTable(1)
	s := &Session{m: c.m, s: &dial.Session{Client: c.c}}
	extra := L.NewTable()
	t.ForEach(func(k, v lua.LValue) {
		switch k.String() {
		case "deployment", "system", "temperature", "tools", "name", "max_steps":
		default:
			extra.RawSet(k, v)
		}
	})
	o := options{L: L.LState, n: 1, t: t}
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
	raw, err := ToJSON(L.LState, MarkObject(L.LState, extra))
	if err != nil {
		L.ArgError(1, err.Error())
	}
	s.s.Request = raw
	L.Push(luar.New(L.LState, s))
	return 1
}

// LoadSession is client:load_session(url): the session saved at url, to continue.
func (c *Client) LoadSession(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	url := L.CheckString(1)
	ds, err := c.c.LoadSession(Context(L.LState), url)
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	L.Push(luar.New(L.LState, &Session{m: c.m, s: ds, url: url}))
	return 1
}

// Session is the handle of a chat session.
type Session struct {
	m        *Dial
	s        *dial.Session
	tools    lua.LValue // the tools table, read on every say
	maxSteps int
	url      string // where the session was loaded from or last saved to
}

// String is what tostring shows.
func (s *Session) String() string { return "dial.session(" + s.s.Deployment + ")" }

// Say is session:say(text [, {on_chunk = fn, max_steps = n}]): sends text with the history and
// returns the answer's text and the response; on failure the history is unchanged.
func (s *Session) Say(L *luar.LState) int {
	defer s.m.enter(L.LState)()
	text := L.CheckString(1)
	o := optionsArg(L.LState, 2, "on_chunk", "max_steps", "stream")
	cb := &callbacks{L: L.LState}
	opts := dial.RunOptions{MaxSteps: s.maxSteps, OnChunk: cb.onChunk(o.function("on_chunk"))}
	opts.Stream = o.boolean("stream") || opts.OnChunk != nil
	if n, ok := o.number("max_steps"); ok {
		opts.MaxSteps = int(n)
	}
	s.s.Tools = cb.readTools(1, s.tools)
	res, err := s.s.Say(Context(L.LState), text, opts)
	cb.reraise()
	if err != nil {
		return s.m.pushRun(L.LState, res, err)
	}
	merged, err := res.Response.JSON()
	if err != nil {
		return s.m.fail(L.LState, err)
	}
	s.m.countUsage(&res.Usage)
	L.Push(lua.LString(res.Response.Text()))
	if n := s.m.pushJSON(L.LState, merged); n != 1 {
		return n
	}
	return 2
}

// Messages is session:messages(): the history (without the system prompt) as a list.
func (s *Session) Messages(L *luar.LState) int {
	v, err := FromGo(L.LState, s.s.Messages)
	if err != nil {
		return s.m.fail(L.LState, errors.Join(dial.ErrParse, err))
	}
	L.Push(MarkArray(L.LState, v.(*lua.LTable)))
	return 1
}

// Save is session:save(url [, {if_match, if_none_match, force}]): stores the session as a
// DIAL conversation and returns true. Saving again where it was loaded from or last saved
// to, in any spelling of that URL, sends If-Match with the version it knows, so a
// conversation changed elsewhere is not overwritten (kind "etag_mismatch"); force = true
// overwrites.
func (s *Session) Save(L *luar.LState) int {
	defer s.m.enter(L.LState)()
	url := L.CheckString(1)
	o := optionsArg(L.LState, 2, "if_match", "if_none_match", "force")
	opts := conditions(o)
	if len(opts) == 0 && !o.boolean("force") && s.s.ETag != "" && s.s.Client.SameStorageURL(url, s.url) {
		opts = append(opts, dial.IfMatch(s.s.ETag))
	}
	if _, err := s.s.Save(Context(L.LState), url, opts...); err != nil {
		return s.m.fail(L.LState, err)
	}
	s.url = url
	L.Push(lua.LTrue)
	return 1
}

// Etag is session:etag(): the version of the conversation last loaded or saved, or nil.
func (s *Session) Etag(L *luar.LState) int {
	if s.s.ETag == "" {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(s.s.ETag))
	}
	return 1
}

// Prompts is client.prompts: DIAL prompts storage (/v1/prompts/…).
type Prompts struct {
	cl *Client
}

// String is what tostring shows.
func (p *Prompts) String() string { return "dial.prompts" }

// Save is prompts:save(url, {name, content, description, …} [, {if_match, if_none_match}]):
// stores the prompt and returns its metadata.
func (p *Prompts) Save(L *luar.LState) int {
	m := p.cl.m
	defer m.enter(L.LState)()
	url := L.CheckString(1)
	raw, err := ToJSON(L.LState, L.CheckTable(2))
	if err != nil {
		L.ArgError(2, err.Error())
	}
	var prompt dial.Prompt
	if err := json.Unmarshal(raw, &prompt); err != nil {
		L.ArgError(2, "prompt table expected: "+err.Error())
	}
	meta, err := p.cl.c.SavePrompt(Context(L.LState), url, prompt, conditions(optionsArg(L.LState, 3, "if_match", "if_none_match"))...)
	if err != nil {
		return m.fail(L.LState, err)
	}
	return m.pushJSON(L.LState, meta.Raw)
}

// Get is prompts:get(url [, {if_match, if_none_match}]): the prompt and its etag.
func (p *Prompts) Get(L *luar.LState) int {
	m := p.cl.m
	defer m.enter(L.LState)()
	prompt, etag, err := p.cl.c.GetPrompt(Context(L.LState), L.CheckString(1),
		conditions(optionsArg(L.LState, 2, "if_match", "if_none_match"))...)
	if err != nil {
		return m.fail(L.LState, err)
	}
	raw, err := json.Marshal(prompt)
	if err != nil {
		return m.fail(L.LState, err)
	}
	if n := m.pushJSON(L.LState, raw); n != 1 {
		return n
	}
	L.Push(lua.LString(etag))
	return 2
}

// Delete is prompts:delete(url [, {if_match}]): true on success.
func (p *Prompts) Delete(L *luar.LState) int {
	m := p.cl.m
	defer m.enter(L.LState)()
	if err := p.cl.c.DeletePrompt(Context(L.LState), L.CheckString(1), conditions(optionsArg(L.LState, 2, "if_match"))...); err != nil {
		return m.fail(L.LState, err)
	}
	L.Push(lua.LTrue)
	return 1
}

// Metadata is prompts:metadata(url [, {limit, token, recursive}]), as files:metadata.
func (p *Prompts) Metadata(L *luar.LState) int {
	return p.cl.m.metadata(L, p.cl.c.PromptMetadata)
}

// List is prompts:list(folder [, {recursive, limit}]), as files:list.
func (p *Prompts) List(L *luar.LState) int {
	return p.cl.m.list(L, p.cl.c.PromptMetadata)
}

// template is dial.template(text, vars): text with its {{name}} placeholders filled from vars
// ({{name|default}} falls back to the default). A placeholder without a value raises an error
// naming it.
func (m *Dial) template(L *lua.LState) int {
	text := L.CheckString(1)
	vars := map[string]any{}
	if t := L.OptTable(2, nil); t != nil && t.Len() == 0 {
		v, err := ToGo(L, t)
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
		L.RaiseError("dial.template: %s", strings.TrimPrefix(errorMessage(err), "dial: template: "))
	}
	L.Push(lua.LString(out))
	return 1
}
