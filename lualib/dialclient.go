package lualib

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
)

// Client is the handle of a DIAL client: dial.default(), dial.client{…}, pool:client{…}.
// Its methods follow the Lua conventions of LUA_API.md: data in, plain tables out, and
// nil, message, err on an operational failure.
type Client struct {
	// Files is client.files, the file storage operations.
	Files *Files
	// Prompts is client.prompts, the prompts storage operations.
	Prompts *Prompts

	m *Dial
	c *dial.Client
}

func (m *Dial) newClient(c *dial.Client) *Client {
	cl := &Client{m: m, c: c}
	cl.Files = &Files{cl: cl}
	cl.Prompts = &Prompts{cl: cl}
	return cl
}

// String is what tostring shows: the server, never a credential.
func (c *Client) String() string { return "dial.client(" + c.c.BaseURL() + ")" }

// BaseURL is client:base_url(): the server root the client talks to.
func (c *Client) BaseURL(L *luar.LState) int {
	L.Push(lua.LString(c.c.BaseURL()))
	return 1
}

// listing pushes the result of a listing call as an array of plain tables.
func (c *Client) listing(L *luar.LState, list func(context.Context, ...dial.CallOption) ([]dial.Deployment, error)) int {
	defer c.m.enter(L.LState)()
	ds, err := list(Context(L.LState))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	t := MarkArray(L.LState, L.CreateTable(len(ds), 0))
	for _, d := range ds {
		v, err := FromJSON(L.LState, d.Raw)
		if err != nil {
			return c.m.fail(L.LState, errors.Join(dial.ErrParse, err))
		}
		t.Append(v)
	}
	L.Push(t)
	return 1
}

// one pushes the result of a call that gets one deployment, model or application by id.
func (c *Client) one(L *luar.LState, get func(context.Context, string, ...dial.CallOption) (*dial.Deployment, error)) int {
	defer c.m.enter(L.LState)()
	d, err := get(Context(L.LState), L.CheckString(1))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	return c.m.pushJSON(L.LState, d.Raw)
}

// Deployments is client:deployments(): every deployment the credentials may use.
func (c *Client) Deployments(L *luar.LState) int { return c.listing(L, c.c.ListDeployments) }

// Models is client:models().
func (c *Client) Models(L *luar.LState) int { return c.listing(L, c.c.ListModels) }

// Applications is client:applications().
func (c *Client) Applications(L *luar.LState) int { return c.listing(L, c.c.ListApplications) }

// Deployment is client:deployment(id).
func (c *Client) Deployment(L *luar.LState) int { return c.one(L, c.c.GetDeployment) }

// Model is client:model(id).
func (c *Client) Model(L *luar.LState) int { return c.one(L, c.c.GetModel) }

// Application is client:application(id); custom application ids contain '/'.
func (c *Client) Application(L *luar.LState) int { return c.one(L, c.c.GetApplication) }

// DeploymentConfiguration is client:deployment_configuration(id): the JSON Schema of the
// deployment's custom_fields.configuration, or nil when it has none.
func (c *Client) DeploymentConfiguration(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	raw, err := c.c.DeploymentConfiguration(Context(L.LState), L.CheckString(1))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	if raw == nil {
		L.Push(lua.LNil)
		return 1
	}
	return c.m.pushJSON(L.LState, raw)
}

// UserInfo is client:user_info(): roles and project (API key) or user claims (token).
func (c *Client) UserInfo(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	raw, err := c.c.UserInfo(Context(L.LState))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	return c.m.pushJSON(L.LState, raw)
}

// home pushes one of the caller's storage roots.
func (c *Client) home(L *luar.LState, get func(context.Context) (string, error)) int {
	defer c.m.enter(L.LState)()
	s, err := get(Context(L.LState))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	L.Push(lua.LString(s))
	return 1
}

// FilesHome is client:files_home(): "files/<bucket>/".
func (c *Client) FilesHome(L *luar.LState) int { return c.home(L, c.c.MyFilesHome) }

// ConversationsHome is client:conversations_home(): "conversations/<bucket>/".
func (c *Client) ConversationsHome(L *luar.LState) int { return c.home(L, c.c.MyConversationsHome) }

// PromptsHome is client:prompts_home(): "prompts/<bucket>/".
func (c *Client) PromptsHome(L *luar.LState) int { return c.home(L, c.c.MyPromptsHome) }

// Bucket is client:bucket(): the caller's bucket name.
func (c *Client) Bucket(L *luar.LState) int { return c.home(L, c.c.MyBucket) }

// chatCall is a chat request read from a Lua table: the keys the module consumes, and the
// rest as the JSON body sent to DIAL.
type chatCall struct {
	deployment string
	body       json.RawMessage
	stream     bool
	onChunk    *lua.LFunction
	opts       []dial.CallOption
}

// controlKeys are the request keys the module consumes instead of sending.
var controlKeys = map[string]bool{"deployment": true, "stream": true, "on_chunk": true, "api_version": true}

// readChat reads the request table v, given as argument n (where labels the request in
// error messages: "" for a request on its own, "request 3: " in a list). Every key other than
// deployment, stream, on_chunk and api_version goes to DIAL as it is.
func (m *Dial) readChat(L *lua.LState, n int, v lua.LValue, where string) chatCall {
	t, ok := v.(*lua.LTable)
	if !ok {
		L.ArgError(n, where+"request table expected, got "+v.Type().String())
	}
	var call chatCall
	body := L.NewTable()
	t.ForEach(func(k, v lua.LValue) {
		key, isString := k.(lua.LString)
		if !isString || !controlKeys[string(key)] {
			body.RawSet(k, v)
			return
		}
		switch string(key) {
		case "deployment":
			s, ok := v.(lua.LString)
			if !ok || s == "" {
				L.ArgError(n, where+"'deployment' must be a non-empty string")
			}
			call.deployment = string(s)
		case "stream":
			b, ok := v.(lua.LBool)
			if !ok {
				L.ArgError(n, where+"'stream' must be a boolean")
			}
			call.stream = bool(b)
		case "on_chunk":
			fn, ok := v.(*lua.LFunction)
			if !ok {
				L.ArgError(n, where+"'on_chunk' must be a function")
			}
			call.onChunk = fn
		case "api_version":
			s, ok := v.(lua.LString)
			if !ok {
				L.ArgError(n, where+"'api_version' must be a string")
			}
			call.opts = append(call.opts, dial.APIVersion(string(s)))
		}
	})
	if call.deployment == "" {
		L.ArgError(n, where+"'deployment' is required")
	}
	if _, ok := body.RawGetString("messages").(*lua.LTable); !ok {
		L.ArgError(n, where+"'messages' must be a table of messages")
	}
	raw, err := ToJSON(L, body)
	if err != nil {
		L.ArgError(n, where+err.Error())
	}
	call.body = raw
	return call
}

// countUsage adds a response's usage to the run's total; nil counts nothing.
func (m *Dial) countUsage(u *dial.Usage) {
	if m.cfg.Usage != nil && u != nil {
		m.cfg.Usage.Add(int64(u.PromptTokens), int64(u.CompletionTokens), int64(u.TotalTokens))
	}
}

// countUsageTable adds the usage member of a response decoded into Lua values to the run's
// total.
func (m *Dial) countUsageTable(v lua.LValue) {
	t, ok := v.(*lua.LTable)
	if m.cfg.Usage == nil || !ok {
		return
	}
	u, ok := t.RawGetString("usage").(*lua.LTable)
	if !ok {
		return
	}
	n := func(key string) int64 {
		x, _ := u.RawGetString(key).(lua.LNumber)
		return int64(x)
	}
	m.cfg.Usage.Add(n("prompt_tokens"), n("completion_tokens"), n("total_tokens"))
}

// decodeResponse decodes a response body into Lua values and counts its usage.
func (m *Dial) decodeResponse(L *lua.LState, raw []byte) (lua.LValue, error) {
	v, err := FromJSON(L, raw)
	if err != nil {
		return nil, errors.Join(dial.ErrParse, err)
	}
	m.countUsageTable(v)
	return v, nil
}

// pushResponse pushes a response body decoded into Lua values, counting its usage, or fails
// with a parse error.
func (m *Dial) pushResponse(L *lua.LState, raw []byte) int {
	v, err := m.decodeResponse(L, raw)
	if err != nil {
		return m.fail(L, err)
	}
	L.Push(v)
	return 1
}

// Chat is client:chat{…}: a chat completion. With stream = true or an on_chunk callback the
// answer is streamed: on_chunk gets every chunk on this thread (returning false stops the
// stream) and the result is the response merged from the chunks. A mid-stream error returns
// nil, message, err with err.during_stream = true and err.partial, the response so far.
func (c *Client) Chat(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	return c.chat(L.LState, c.m.readChat(L.LState, 1, L.Get(1), ""))
}

// chat runs call, streamed when it asks for it, and pushes the response or the failure.
func (c *Client) chat(L *lua.LState, call chatCall) int {
	if call.stream || call.onChunk != nil {
		return c.chatStream(L, call)
	}
	raw, err := c.c.ChatRaw(Context(L), call.deployment, call.body, call.opts...)
	if err != nil {
		return c.m.fail(L, err)
	}
	return c.m.pushResponse(L, raw)
}

// chatStream runs a streamed chat on this thread and pushes the merged response.
func (c *Client) chatStream(L *lua.LState, call chatCall) int {
	s, err := c.c.ChatStreamJSON(Context(L), call.deployment, call.body, call.opts...)
	if err != nil {
		return c.m.fail(L, err)
	}
	defer s.Close()
	var acc dial.ChatMerge
	for s.Next() {
		chunk := s.Current()
		if err := acc.Add(chunk); err != nil {
			return c.m.fail(L, err)
		}
		if call.onChunk == nil {
			continue
		}
		v, err := FromJSON(L, chunk.Raw)
		if err != nil {
			return c.m.fail(L, errors.Join(dial.ErrParse, err))
		}
		// Unprotected: an error raised by the callback propagates to the script as it is.
		L.CallByParam(lua.P{Fn: call.onChunk, NRet: 1}, v)
		stop := L.Get(-1) == lua.LFalse
		L.Pop(1)
		if stop {
			break
		}
	}
	resp, rerr := merged(L, &acc)
	if err := s.Err(); err != nil {
		n := c.m.fail(L, err)
		if rerr == nil {
			L.Get(-1).(*lua.LTable).RawSetString("partial", resp)
		}
		return n
	}
	if rerr != nil {
		return c.m.fail(L, rerr)
	}
	usage, err := acc.Usage()
	if err != nil {
		return c.m.fail(L, err)
	}
	c.m.countUsage(usage)
	L.Push(resp)
	return 1
}

// merged converts the response merged so far into Lua values, straight from the merge, so
// that a long answer's text is not copied (an empty merge through its JSON). Errors match
// [dial.ErrParse].
func merged(L *lua.LState, acc *dial.ChatMerge) (lua.LValue, error) {
	var v lua.LValue
	var err error
	if tree := acc.Value(); tree != nil {
		v, err = FromGo(L, tree)
	} else {
		var raw []byte
		if raw, err = acc.JSON(); err == nil {
			v, err = FromJSON(L, raw)
		}
	}
	if err != nil {
		return nil, errors.Join(dial.ErrParse, err)
	}
	return v, nil
}

// Ask is client:ask(deployment, prompt [, options]): the answer's text and the whole
// response. Options are request fields as in client:chat, including stream, on_chunk and
// api_version, except system, which becomes a system message before the prompt.
func (c *Client) Ask(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	deployment := L.CheckString(1)
	prompt := L.CheckString(2)
	req := L.NewTable()
	switch opts := L.Get(3).(type) {
	case *lua.LNilType:
	case *lua.LTable:
		opts.ForEach(req.RawSet)
	default:
		L.ArgError(3, "options table expected")
	}
	msgs := MarkArray(L.LState, L.NewTable())
	if system := req.RawGetString("system"); system != lua.LNil {
		msgs.Append(message(L.LState, "system", system))
		req.RawSetString("system", lua.LNil)
	}
	msgs.Append(message(L.LState, "user", lua.LString(prompt)))
	req.RawSetString("messages", msgs)
	req.RawSetString("deployment", lua.LString(deployment))
	if n := c.chat(L.LState, c.m.readChat(L.LState, 3, req, "")); n != 1 {
		return n
	}
	resp := L.Get(-1)
	L.Insert(lua.LString(answerText(resp)), L.GetTop())
	return 2
}

// message returns the chat message table {role = role, content = content}.
func message(L *lua.LState, role string, content lua.LValue) *lua.LTable {
	t := L.CreateTable(0, 2)
	t.RawSetString("role", lua.LString(role))
	t.RawSetString("content", content)
	return t
}

// answerText is the content of the first choice's message of a decoded chat response, or ""
// when it has none.
func answerText(resp lua.LValue) string {
	t, _ := resp.(*lua.LTable)
	if t == nil {
		return ""
	}
	choices, _ := t.RawGetString("choices").(*lua.LTable)
	if choices == nil {
		return ""
	}
	choice, _ := choices.RawGetInt(1).(*lua.LTable)
	if choice == nil {
		return ""
	}
	msg, _ := choice.RawGetString("message").(*lua.LTable)
	if msg == nil {
		return ""
	}
	s, _ := msg.RawGetString("content").(lua.LString)
	return string(s)
}

// Stream is client:stream{…}: an iterator over the chunks of a streamed chat, for a generic
// for, and the stream's handle as second value. A request that fails raises its err table,
// since a for loop has nowhere to put nil, msg, err; so does the iterator on a mid-stream
// error. The stream closes at its end, on stream:close(), or when the run ends (a loop that
// breaks early).
func (c *Client) Stream(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	call := c.m.readChat(L.LState, 1, L.Get(1), "")
	if call.onChunk != nil {
		L.ArgError(1, "'on_chunk' belongs to client:chat; client:stream is an iterator")
	}
	s, err := c.c.ChatStreamJSON(Context(L.LState), call.deployment, call.body, call.opts...)
	if err != nil {
		L.Error(c.m.errorTable(L.LState, err), 1)
	}
	st := &Stream{m: c.m, s: s}
	c.m.streams[st] = struct{}{}
	L.Push(L.NewFunction(func(L *lua.LState) int { return st.next(L) }))
	L.Push(luar.New(L.LState, st))
	return 2
}

// Stream is the handle of a chat stream opened by client:stream{…}.
type Stream struct {
	m      *Dial
	s      *dial.Stream[dial.ChunkJSON]
	acc    dial.ChatMerge
	closed bool
}

// String is what tostring shows.
func (s *Stream) String() string { return "dial.stream" }

// next pushes the next chunk, or nil at the end; a stream error raises.
func (s *Stream) next(L *lua.LState) int {
	if s.closed {
		L.Push(lua.LNil)
		return 1
	}
	if !s.s.Next() {
		err := s.s.Err()
		s.close()
		if err != nil {
			L.Error(s.m.errorTable(L, err), 1)
		}
		L.Push(lua.LNil)
		return 1
	}
	chunk := s.s.Current()
	if err := s.acc.Add(chunk); err != nil {
		s.close()
		L.Error(s.m.errorTable(L, err), 1)
	}
	v, err := FromJSON(L, chunk.Raw)
	if err != nil {
		s.close()
		L.Error(s.m.errorTable(L, errors.Join(dial.ErrParse, err)), 1)
	}
	L.Push(v)
	return 1
}

// close releases the connection and forgets the stream; it may be called again.
func (s *Stream) close() {
	if !s.closed {
		s.closed = true
		s.s.Close()
		if u, err := s.acc.Usage(); err == nil {
			s.m.countUsage(u)
		}
	}
	delete(s.m.streams, s)
}

// Next is stream:next(): the next chunk, or nil at the end.
func (s *Stream) Next(L *luar.LState) int { return s.next(L.LState) }

// Close is stream:close(): stop reading and release the connection.
func (s *Stream) Close(L *luar.LState) int {
	s.close()
	L.Push(lua.LTrue)
	return 1
}

// Response is stream:response(): the response merged from the chunks read so far.
func (s *Stream) Response(L *luar.LState) int {
	v, err := merged(L.LState, &s.acc)
	if err != nil {
		return s.m.fail(L.LState, err)
	}
	L.Push(v)
	return 1
}

// Embeddings is client:embeddings{deployment = …, input = …}: every key but deployment and
// api_version is sent as it is.
func (c *Client) Embeddings(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	t := L.CheckTable(1)
	body := L.NewTable()
	var deployment string
	var opts []dial.CallOption
	t.ForEach(func(k, v lua.LValue) {
		switch k.String() {
		case "deployment":
			deployment = lua.LVAsString(v)
		case "api_version":
			opts = append(opts, dial.APIVersion(lua.LVAsString(v)))
		default:
			body.RawSet(k, v)
		}
	})
	if deployment == "" {
		L.ArgError(1, "'deployment' is required")
	}
	raw, err := ToJSON(L.LState, body)
	if err != nil {
		L.ArgError(1, err.Error())
	}
	resp, err := c.c.EmbeddingsRaw(Context(L.LState), deployment, raw, opts...)
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	return c.m.pushResponse(L.LState, resp)
}

// ChatMany is client:chat_many(requests [, {concurrency = n}]): the requests run concurrently
// in Go and the results come back in input order, each {response = …} or {error = err}.
// Streaming is not offered here; credential functions still run on this thread.
func (c *Client) ChatMany(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	list := L.CheckTable(1)
	o := optionsArg(L.LState, 2, "concurrency")
	concurrency := 8
	if n, ok := o.number("concurrency"); ok {
		if n < 1 {
			L.ArgError(2, "option 'concurrency' must be at least 1")
		}
		concurrency = int(n)
	}
	n := list.Len()
	calls := make([]chatCall, n)
	for i := range calls {
		calls[i] = c.m.readChat(L.LState, 1, list.RawGetInt(i+1), fmt.Sprintf("request %d: ", i+1))
		if calls[i].onChunk != nil || calls[i].stream {
			L.ArgError(1, fmt.Sprintf("request %d: chat_many does not stream", i+1))
		}
	}
	// Each result is converted on this thread as it arrives, and its bytes (and the request's)
	// dropped, so the raw answers are not all held at once. A worker hands its result over
	// before it frees its place for the next request.
	type result struct {
		i   int
		raw json.RawMessage
		err error
	}
	d := &dispatcher{calls: make(chan func())}
	ctx := context.WithValue(Context(L.LState), dispatchKey{}, d)
	done := make(chan result)
	sem := make(chan struct{}, concurrency)
	go func() {
		for i := range calls {
			sem <- struct{}{}
			go func() {
				call := calls[i]
				calls[i] = chatCall{}
				raw, err := c.c.ChatRaw(ctx, call.deployment, call.body, call.opts...)
				done <- result{i, raw, err}
				<-sem
			}()
		}
	}()
	out := MarkArray(L.LState, L.CreateTable(n, 0))
	for finished := 0; finished < n; {
		select {
		case f := <-d.calls:
			f()
		case r := <-done:
			finished++
			item := L.NewTable()
			if r.err != nil {
				item.RawSetString("error", c.m.errorTable(L.LState, r.err))
			} else if v, err := c.m.decodeResponse(L.LState, r.raw); err != nil {
				item.RawSetString("error", c.m.errorTable(L.LState, err))
			} else {
				item.RawSetString("response", v)
			}
			out.RawSetInt(r.i+1, item)
		}
	}
	L.Push(out)
	return 1
}

// dispatchKey marks the context of requests made off the Lua thread (chat_many), carrying the
// dispatcher that runs Lua calls back on it.
type dispatchKey struct{}

// dispatcher runs functions on the Lua thread for goroutines that must not touch the state.
type dispatcher struct{ calls chan func() }

// do runs f on the Lua thread and waits for it, or gives up when ctx ends.
func (d *dispatcher) do(ctx context.Context, f func()) error {
	finished := make(chan struct{})
	select {
	case d.calls <- func() { f(); close(finished) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-finished
	return nil
}

// credential adapts a Lua credential function to the dial package: it runs on the Lua thread
// before each attempt (dispatched there when the request runs elsewhere) and may return
// token, seconds to cache the token that long.
func (m *Dial) credential(fn *lua.LFunction) dial.CredentialFunc {
	var (
		mu      sync.Mutex
		cached  string
		expires time.Time
	)
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if cached != "" && time.Now().Before(expires) {
			return cached, nil
		}
		var (
			token string
			ttl   time.Duration
			err   error
		)
		call := func() { token, ttl, err = m.callCredential(fn) }
		if d, ok := ctx.Value(dispatchKey{}).(*dispatcher); ok {
			if derr := d.do(ctx, call); derr != nil {
				return "", derr
			}
		} else {
			call()
		}
		if err != nil {
			return "", err
		}
		cached, expires = "", time.Time{}
		if ttl > 0 {
			cached, expires = token, time.Now().Add(ttl)
		}
		return token, nil
	}
}

// callCredential calls a credential function on the current thread: it must return a
// non-empty string, optionally followed by a lifetime in seconds.
func (m *Dial) callCredential(fn *lua.LFunction) (string, time.Duration, error) {
	L := m.thread
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 2, Protect: true}); err != nil {
		var apiErr *lua.ApiError
		msg := err.Error()
		if errors.As(err, &apiErr) {
			msg = apiErr.Object.String()
		}
		return "", 0, fmt.Errorf("credential function failed: %s", msg)
	}
	token, ttl := L.Get(-2), L.Get(-1)
	L.Pop(2)
	s, ok := token.(lua.LString)
	if !ok || s == "" {
		return "", 0, fmt.Errorf("credential function returned %s instead of a credential", token.Type())
	}
	var life time.Duration
	if n, ok := ttl.(lua.LNumber); ok && n > 0 {
		life = time.Duration(float64(n) * float64(time.Second))
	}
	return string(s), life, nil
}
