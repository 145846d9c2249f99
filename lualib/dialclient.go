package lualib

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// clientHandle is the handle of a DIAL client: dial.default(), dial.client{…}, pool:client{…}.
// Its methods follow the conventions of README.md (Lua API reference): data in, plain tables
// out, and nil, message, err on an operational failure.
type clientHandle struct {
	m *Dial
	c *dial.Client
	// files, prompts, applications, conversations, shares, invitations and permissions are
	// the Lua values of the client's fields of those names.
	files, prompts, applications, conversations *lua.LUserData
	shares, invitations, permissions            *lua.LUserData
}

// newClient returns the Lua value of a client handle of c.
func (m *Dial) newClient(L *lua.LState, c *dial.Client) *lua.LUserData {
	cl := &clientHandle{m: m, c: c}
	cl.files = filesType.new(L, &filesHandle{cl: cl})
	cl.prompts = promptsType.new(L, &promptsHandle{cl: cl})
	cl.applications = applicationsType.new(L, &applicationsHandle{cl: cl})
	cl.conversations = conversationsType.new(L, &conversationsHandle{cl: cl})
	cl.shares = sharesType.new(L, &sharesHandle{cl: cl})
	cl.invitations = invitationsType.new(L, &invitationsHandle{cl: cl})
	cl.permissions = permissionsType.new(L, &permissionsHandle{cl: cl})
	return clientType.new(L, cl)
}

// String is what tostring shows: the server, never a credential.
func (c *clientHandle) String() string { return "dial.client(" + c.c.BaseURL() + ")" }

// BaseURL is client:base_url(): the server root the client talks to.
func (c *clientHandle) BaseURL(L *luar.LState) int {
	L.Push(lua.LString(c.c.BaseURL()))
	return 1
}

// listing pushes the result of a listing call as an array of plain tables.
func (c *clientHandle) listing(L *luar.LState, list func(context.Context, ...dial.CallOption) ([]dial.Deployment, error)) int {
	defer c.m.enter(L.LState)()
	ds, err := list(luabridge.Context(L.LState))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	t := luabridge.MarkArray(L.LState, L.CreateTable(len(ds), 0))
	for _, d := range ds {
		v, err := luabridge.FromJSON(L.LState, d.Raw)
		if err != nil {
			return c.m.fail(L.LState, errors.Join(dial.ErrParse, err))
		}
		t.Append(v)
	}
	L.Push(t)
	return 1
}

// one pushes the result of a call that gets one deployment, model or application by id.
func (c *clientHandle) one(L *luar.LState, get func(context.Context, string, ...dial.CallOption) (*dial.Deployment, error)) int {
	defer c.m.enter(L.LState)()
	d, err := get(luabridge.Context(L.LState), L.CheckString(1))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	return c.m.pushJSON(L.LState, d.Raw)
}

// Deployments is client:deployments(): every deployment the credentials may use.
func (c *clientHandle) Deployments(L *luar.LState) int { return c.listing(L, c.c.ListDeployments) }

// Models is client:models().
func (c *clientHandle) Models(L *luar.LState) int { return c.listing(L, c.c.ListModels) }

// Deployment is client:deployment(id).
func (c *clientHandle) Deployment(L *luar.LState) int { return c.one(L, c.c.GetDeployment) }

// Model is client:model(id).
func (c *clientHandle) Model(L *luar.LState) int { return c.one(L, c.c.GetModel) }

// Application is client:application(id); custom application ids contain '/'.
func (c *clientHandle) Application(L *luar.LState) int { return c.one(L, c.c.GetApplication) }

// DeploymentConfiguration is client:deployment_configuration(id): the JSON Schema of the
// deployment's custom_fields.configuration, or nil when it has none.
func (c *clientHandle) DeploymentConfiguration(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	raw, err := c.c.DeploymentConfiguration(luabridge.Context(L.LState), L.CheckString(1))
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
func (c *clientHandle) UserInfo(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	raw, err := c.c.UserInfo(luabridge.Context(L.LState))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	return c.m.pushJSON(L.LState, raw)
}

// home pushes one of the caller's storage roots.
func (c *clientHandle) home(L *luar.LState, get func(context.Context) (string, error)) int {
	defer c.m.enter(L.LState)()
	s, err := get(luabridge.Context(L.LState))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	L.Push(lua.LString(s))
	return 1
}

// FilesHome is client:files_home(): "files/<bucket>/".
func (c *clientHandle) FilesHome(L *luar.LState) int { return c.home(L, c.c.MyFilesHome) }

// ConversationsHome is client:conversations_home(): "conversations/<bucket>/".
func (c *clientHandle) ConversationsHome(L *luar.LState) int {
	return c.home(L, c.c.MyConversationsHome)
}

// PromptsHome is client:prompts_home(): "prompts/<bucket>/".
func (c *clientHandle) PromptsHome(L *luar.LState) int { return c.home(L, c.c.MyPromptsHome) }

// Bucket is client:bucket(): the caller's bucket name.
func (c *clientHandle) Bucket(L *luar.LState) int { return c.home(L, c.c.MyBucket) }

// chatCall is a chat request read from a Lua table: the keys the module consumes, and the
// rest as the JSON body sent to DIAL.
type chatCall struct {
	deployment string
	body       json.RawMessage
	stream     bool
	onChunk    *lua.LFunction
	opts       []dial.CallOption
	attach     []dial.AttachmentSource // uploaded and added to the last user message by attach
}

// controlKeys are the request keys the module consumes instead of sending.
var controlKeys = []string{"deployment", "stream", "on_chunk", "api_version", "headers", "attachments"}

// isControlKey reports whether key is one of controlKeys.
func isControlKey(key string) bool { return slices.Contains(controlKeys, key) }

// readChat reads the request table v, given as argument n (where labels the request in
// error messages: "" for a request on its own, "request 3: " in a list). Every key other than
// deployment, stream, on_chunk, api_version and headers goes to DIAL as it is.
func (m *Dial) readChat(L *lua.LState, n int, v lua.LValue, where string) chatCall {
	t, ok := v.(*lua.LTable)
	if !ok {
		L.ArgError(n, where+"request table expected, got "+v.Type().String())
	}
	var call chatCall
	for _, key := range controlKeys {
		v := t.RawGetString(key)
		if v == lua.LNil {
			continue
		}
		switch key {
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
		case "headers":
			call.opts = append(call.opts, headerOptions(L, n, where, v)...)
		case "attachments":
			call.attach = m.readAttachments(L, n, v, where)
		}
	}
	if call.deployment == "" {
		L.ArgError(n, where+"'deployment' is required")
	}
	if _, ok := t.RawGetString("messages").(*lua.LTable); !ok {
		L.ArgError(n, where+"'messages' must be a table of messages")
	}
	raw, err := luabridge.ToJSONWithout(L, t, isControlKey)
	if err != nil {
		L.ArgError(n, where+err.Error())
	}
	call.body = raw
	return call
}

// countUsage adds a response's usage from deployment on c to the run's total; nil counts
// nothing.
func (m *Dial) countUsage(c *dial.Client, deployment string, u *dial.Usage) {
	if m.cfg.Usage != nil && u != nil {
		m.cfg.Usage.Add(int64(u.PromptTokens), int64(u.CompletionTokens), int64(u.TotalTokens))
		m.cfg.Usage.addFor(c, deployment, int64(u.PromptTokens), int64(u.CompletionTokens), !m.scripted[c])
	}
}

// countUsageTable adds the usage member of a response from deployment on c, decoded into Lua
// values, to the run's total.
func (m *Dial) countUsageTable(c *dial.Client, deployment string, v lua.LValue) {
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
	m.cfg.Usage.addFor(c, deployment, n("prompt_tokens"), n("completion_tokens"), !m.scripted[c])
}

// decodeResponse decodes a response body from deployment on c into Lua values and counts its
// usage.
func (m *Dial) decodeResponse(L *lua.LState, c *dial.Client, deployment string, raw []byte) (lua.LValue, error) {
	v, err := luabridge.FromJSON(L, raw)
	if err != nil {
		return nil, errors.Join(dial.ErrParse, err)
	}
	m.countUsageTable(c, deployment, v)
	return v, nil
}

// pushResponse pushes a response body from deployment on c decoded into Lua values, counting
// its usage, or fails with a parse error.
func (m *Dial) pushResponse(L *lua.LState, c *dial.Client, deployment string, raw []byte) int {
	v, err := m.decodeResponse(L, c, deployment, raw)
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
func (c *clientHandle) Chat(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	return c.chat(L.LState, c.m.readChat(L.LState, 1, L.Get(1), ""))
}

// chat runs call, streamed when it asks for it, and pushes the response or the failure.
func (c *clientHandle) chat(L *lua.LState, call chatCall) int {
	if err := c.attach(luabridge.Context(L), &call); err != nil {
		return c.m.fail(L, err)
	}
	if call.stream || call.onChunk != nil {
		return c.chatStream(L, call)
	}
	raw, err := c.c.ChatRaw(luabridge.Context(L), call.deployment, call.body, call.opts...)
	if err != nil {
		return c.m.fail(L, err)
	}
	return c.m.pushResponse(L, c.c, call.deployment, raw)
}

// chatStream runs a streamed chat on this thread and pushes the merged response.
func (c *clientHandle) chatStream(L *lua.LState, call chatCall) int {
	s, err := c.c.ChatStreamJSON(luabridge.Context(L), call.deployment, call.body, call.opts...)
	if err != nil {
		return c.m.fail(L, err)
	}
	defer s.Close()
	var acc dial.ChatMerge
	for s.Next() {
		// The chunk is only read here: FromJSON copies what it keeps.
		chunk := s.Peek()
		if err := acc.Add(chunk); err != nil {
			return c.m.fail(L, err)
		}
		if call.onChunk == nil {
			continue
		}
		v, err := luabridge.FromJSON(L, chunk.Raw)
		if err != nil {
			return c.m.fail(L, errors.Join(dial.ErrParse, err))
		}
		// An error raised by the callback propagates to the script as it is.
		if err := c.m.callback(L, call.onChunk, 1, v); err != nil {
			L.Error(err.(*lua.ApiError).Object, 0)
		}
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
	c.m.countUsage(c.c, call.deployment, usage)
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
		v, err = luabridge.FromGo(L, tree)
	} else {
		var raw []byte
		if raw, err = acc.JSON(); err == nil {
			v, err = luabridge.FromJSON(L, raw)
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
func (c *clientHandle) Ask(L *luar.LState) int {
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
	msgs := luabridge.MarkArray(L.LState, L.NewTable())
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
// breaks early), unless DialConfig.KeepStreams keeps it for later runs. Reading a stream
// closed before its end raises "stream closed".
func (c *clientHandle) Stream(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	call := c.m.readChat(L.LState, 1, L.Get(1), "")
	if call.onChunk != nil {
		L.ArgError(1, "'on_chunk' belongs to client:chat; client:stream is an iterator")
	}
	if err := c.attach(luabridge.Context(L.LState), &call); err != nil {
		L.Error(c.m.errorTable(L.LState, err), 1)
	}
	ctx, cancel := luabridge.Context(L.LState), context.CancelFunc(func() {})
	if c.m.cfg.KeepStreams {
		// The stream outlives the run; each read is tied to the run doing it (see next).
		ctx, cancel = context.WithCancel(context.WithoutCancel(ctx))
	}
	s, err := c.c.ChatStreamJSON(ctx, call.deployment, call.body, call.opts...)
	if err != nil {
		cancel()
		L.Error(c.m.errorTable(L.LState, err), 1)
	}
	st := &streamHandle{m: c.m, s: s, cancel: cancel, c: c.c, deployment: call.deployment}
	c.m.streams[st] = struct{}{}
	L.Push(L.NewFunction(func(L *lua.LState) int { return st.next(L) }))
	L.Push(streamType.new(L.LState, st))
	return 2
}

// streamHandle is the handle of a chat stream opened by client:stream{…}.
type streamHandle struct {
	m          *Dial
	s          *dial.Stream[dial.ChunkJSON]
	cancel     context.CancelFunc // ends the stream's own context, when it outlives its run
	c          *dial.Client       // the client and deployment of the stream, for its usage
	deployment string
	acc        dial.ChatMerge
	closed     bool
	ended      bool // the last chunk was read: reading on gives nil
}

// String is what tostring shows.
func (s *streamHandle) String() string { return "dial.stream" }

// next pushes the next chunk, or nil at the end; a stream error raises, and so does reading
// a stream closed before its end.
func (s *streamHandle) next(L *lua.LState) int {
	switch {
	case s.ended:
		L.Push(lua.LNil)
		return 1
	case s.closed:
		L.RaiseError("dial: stream closed (by stream:close() or at the end of the run that opened it)")
	}
	if s.m.cfg.KeepStreams {
		// Interrupting the run doing the read (Ctrl-C) stops a stream that outlives its run.
		defer context.AfterFunc(luabridge.Context(L), s.cancel)()
	}
	if !s.s.Next() {
		err := s.s.Err()
		s.ended = err == nil
		s.close()
		if err != nil {
			L.Error(s.m.errorTable(L, err), 1)
		}
		L.Push(lua.LNil)
		return 1
	}
	chunk := s.s.Peek() // only read here: FromJSON copies what it keeps
	if err := s.acc.Add(chunk); err != nil {
		s.close()
		L.Error(s.m.errorTable(L, err), 1)
	}
	v, err := luabridge.FromJSON(L, chunk.Raw)
	if err != nil {
		s.close()
		L.Error(s.m.errorTable(L, errors.Join(dial.ErrParse, err)), 1)
	}
	L.Push(v)
	return 1
}

// close releases the connection and forgets the stream; it may be called again.
func (s *streamHandle) close() {
	if !s.closed {
		s.closed = true
		s.s.Close()
		s.cancel()
		if u, err := s.acc.Usage(); err == nil {
			s.m.countUsage(s.c, s.deployment, u)
		}
	}
	delete(s.m.streams, s)
}

// Next is stream:next(): the next chunk, or nil at the end.
func (s *streamHandle) Next(L *luar.LState) int { return s.next(L.LState) }

// Close is stream:close(): stop reading and release the connection.
func (s *streamHandle) Close(L *luar.LState) int {
	s.close()
	L.Push(lua.LTrue)
	return 1
}

// Response is stream:response(): the response merged from the chunks read so far.
func (s *streamHandle) Response(L *luar.LState) int {
	v, err := merged(L.LState, &s.acc)
	if err != nil {
		return s.m.fail(L.LState, err)
	}
	L.Push(v)
	return 1
}

// Embeddings is client:embeddings{deployment = …, input = …}: every key but deployment,
// api_version and headers is sent as it is.
func (c *clientHandle) Embeddings(L *luar.LState) int {
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
		case "headers":
			opts = append(opts, headerOptions(L.LState, 1, "", v)...)
		default:
			body.RawSet(k, v)
		}
	})
	if deployment == "" {
		L.ArgError(1, "'deployment' is required")
	}
	raw, err := luabridge.ToJSON(L.LState, body)
	if err != nil {
		L.ArgError(1, err.Error())
	}
	resp, err := c.c.EmbeddingsRaw(luabridge.Context(L.LState), deployment, raw, opts...)
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	return c.m.pushResponse(L.LState, c.c, deployment, resp)
}

// ChatMany is client:chat_many(requests [, {concurrency = n}]): the requests run concurrently
// in Go and the results come back in input order, each {response = …} or {error = err}.
// Streaming is not offered here; credential functions still run on this thread.
func (c *clientHandle) ChatMany(L *luar.LState) int {
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
		if err := c.attach(luabridge.Context(L.LState), &calls[i]); err != nil {
			return c.m.fail(L.LState, err)
		}
	}
	out := luabridge.MarkArray(L.LState, L.CreateTable(n, 0))
	luabridge.Offload(L.LState, func(ctx context.Context) {
		sem := make(chan struct{}, concurrency)
		var wg sync.WaitGroup
		for i := range calls {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				call := calls[i]
				calls[i] = chatCall{} // the request body is not needed once sent
				raw, err := c.c.ChatRaw(ctx, call.deployment, call.body, call.opts...)
				// Each answer becomes Lua values on the script's thread as it arrives, and its
				// bytes go: the answers are never all held twice.
				_ = luabridge.OnThread(ctx, func() {
					out.RawSetInt(i+1, c.chatManyItem(L.LState, call.deployment, raw, err))
				})
			})
		}
		wg.Wait()
	})
	for i := 1; i <= n; i++ {
		if out.RawGetInt(i) == lua.LNil { // the script's context ended before it was converted
			out.RawSetInt(i, c.chatManyItem(L.LState, "", nil, luabridge.Context(L.LState).Err()))
		}
	}
	L.Push(out)
	return 1
}

// chatManyItem is one result of chat_many on deployment: {response = …}, or {error = err}
// when the request or the decoding of raw failed.
func (c *clientHandle) chatManyItem(L *lua.LState, deployment string, raw json.RawMessage, err error) *lua.LTable {
	item := L.NewTable()
	if err == nil {
		var v lua.LValue
		if v, err = c.m.decodeResponse(L, c.c, deployment, raw); err == nil {
			item.RawSetString("response", v)
			return item
		}
	}
	item.RawSetString("error", c.m.errorTable(L, err))
	return item
}

// credential adapts a Lua credential function to the dial package: it runs on the Lua thread
// before each attempt (through luabridge.OnThread when the request runs elsewhere) and may return
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
		if terr := luabridge.OnThread(ctx, func() { token, ttl, err = m.callCredential(fn) }); terr != nil {
			return "", terr
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
	if err := m.callback(L, fn, 2); err != nil {
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
