package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrToolLoop matches the error of [Client.RunTools] when the model still asks for tool calls
// after RunOptions.MaxSteps chat completions.
var ErrToolLoop = errors.New("dial: tool loop limit reached")

// DefaultMaxSteps bounds the chat completions of a [Client.RunTools] call whose
// RunOptions.MaxSteps is zero.
const DefaultMaxSteps = 10

// ToolFunc implements a tool. args is the JSON value the model sent as the call's arguments
// (an empty argument string arrives as {}). The result is encoded with encoding/json (a
// [json.RawMessage] is sent as it is) and becomes the content of the tool message: a JSON
// string is sent as its text, nil or JSON null as "", and any other value as its JSON. An
// error is not a failure of the run: its text goes back to the model as the tool's answer.
type ToolFunc func(ctx context.Context, args json.RawMessage) (any, error)

// ToolFunction is a function the model may call during [Client.RunTools]: the declaration
// offered in the request's "tools" and the Go function that answers the calls.
type ToolFunction struct {
	// Name is the function name the model calls; it must be unique within a run.
	Name string
	// Description tells the model what the function does; empty omits it.
	Description string
	// Parameters is the JSON Schema of the arguments: any value that encodes to one, such as a
	// map or a json.RawMessage. nil declares a function without parameters.
	Parameters any
	// Func answers the calls. It must not be nil.
	Func ToolFunc
}

// RunOptions configures [Client.RunTools]. The zero value runs up to [DefaultMaxSteps]
// completions in block form.
type RunOptions struct {
	// MaxSteps bounds the chat completions of the run; zero means [DefaultMaxSteps]. When the
	// completion number MaxSteps still calls tools, those calls are run (so the history stays
	// valid to continue from) and the run fails with an error matching [ErrToolLoop].
	MaxSteps int
	// Stream sends every completion with "stream": true and merges its chunks with
	// [ChatResponse.Accumulate].
	Stream bool
	// OnChunk, when Stream is set, is called with every chunk in order, on the caller's
	// goroutine, after the chunk has been merged. Returning false closes the stream and ends
	// the run at once without error: the result then holds the response merged so far,
	// appended to Messages, its tool calls not run, and Stopped is set.
	OnChunk func(ChatChunk) bool
	// CallOptions apply to every chat completion of the run (headers, api-version, retries).
	CallOptions []CallOption
	// Toolsets are MCP toolsets whose tools are offered beside the tools given: the run opens
	// a session with each (see [Client.OpenToolset]), declares its tools and calls them
	// through Core. A name given twice is an error.
	Toolsets []string
}

// RunResult is the outcome of [Client.RunTools].
type RunResult struct {
	// Response is the last complete chat completion: on success the model's final answer. It is
	// nil when no completion finished.
	Response *ChatResponse
	// Messages is the whole history: the request's messages, then each assistant message
	// (tool calls included) and the tool messages answering it, then the final answer. It is
	// ready to be the messages of a next request. Every message is kept as JSON, with every
	// member the caller or the server put in it.
	Messages []json.RawMessage
	// Steps counts the chat completions sent.
	Steps int
	// Usage sums the usage of every completion of the run, where the server reported it.
	Usage Usage
	// Stopped reports that RunOptions.OnChunk ended the run.
	Stopped bool
}

// RunTools runs the tool-call loop: it sends req to deployment with tools declared in its
// "tools", calls the functions the model asks for, sends their results back as "tool"
// messages, and repeats until the model answers without a tool call. req's own tools and
// other members are kept; a tool that req already declares (by function name) keeps req's
// declaration and is answered by the ToolFunction of that name.
//
// Tool functions run one after the other, in the order of the model's calls, on the
// caller's goroutine; RunTools starts no goroutine that calls them. Every call of a step is
// answered before the next completion. A call of a function not in tools, arguments that
// are not JSON, and a function's error are answered with a tool message saying so
// ("error: …"), which the model sees; they do not end the run.
//
// The result is never nil: on error it holds the history up to the failure, and errors
// are those of [Client.Chat] and [Client.ChatStream], an error matching [ErrToolLoop], or
// the context's error when ctx ends while a tool runs. Only the first choice of a response
// is followed.
func (c *Client) RunTools(ctx context.Context, deployment string, req ChatRequest, tools []ToolFunction, opts RunOptions) (*RunResult, error) {
	body, err := marshalBody(req)
	if err != nil {
		return &RunResult{}, err
	}
	return c.RunToolsRaw(ctx, deployment, body, tools, opts)
}

// RunToolsRaw is [Client.RunTools] for a request built elsewhere (from a Lua table, say): req
// must be a JSON object with a "messages" array. Its members, and the members of its
// messages, are sent as they are, so nothing this package does not know is lost.
func (c *Client) RunToolsRaw(ctx context.Context, deployment string, req json.RawMessage, tools []ToolFunction, opts RunOptions) (*RunResult, error) {
	res := &RunResult{}
	base, msgs, err := splitRunRequest(req)
	if err != nil {
		return res, err
	}
	if len(opts.Toolsets) > 0 {
		var closeSets func()
		if tools, closeSets, err = c.withToolsets(ctx, tools, opts.Toolsets); err != nil {
			res.Messages = msgs
			return res, err
		}
		defer closeSets()
	}
	funcs, err := declareTools(base, tools)
	if err != nil {
		return res, err
	}
	maxSteps := opts.MaxSteps
	switch {
	case maxSteps == 0:
		maxSteps = DefaultMaxSteps
	case maxSteps < 0:
		return res, fmt.Errorf("dial: RunTools: negative MaxSteps %d", maxSteps)
	}
	res.Messages = msgs
	for {
		history, err := json.Marshal(res.Messages)
		if err != nil {
			return res, fmt.Errorf("dial: RunTools: encoding messages: %w", err)
		}
		base["messages"] = history
		body, err := json.Marshal(base)
		if err != nil {
			return res, fmt.Errorf("dial: RunTools: encoding request: %w", err)
		}
		resp, stopped, err := c.runStep(ctx, deployment, body, opts)
		res.Steps++
		if err != nil {
			return res, err
		}
		res.Response = resp
		if u := resp.Usage; u != nil {
			res.Usage.PromptTokens += u.PromptTokens
			res.Usage.CompletionTokens += u.CompletionTokens
			res.Usage.TotalTokens += u.TotalTokens
		}
		msg, calls, err := assistantTurn(resp)
		if err != nil {
			return res, err
		}
		res.Messages = append(res.Messages, msg)
		if stopped {
			res.Stopped = true
			return res, nil
		}
		if len(calls) == 0 {
			return res, nil
		}
		for _, call := range calls {
			if err := ctx.Err(); err != nil {
				return res, fmt.Errorf("dial: RunTools: %w", err)
			}
			res.Messages = append(res.Messages, toolMessage(call.ID, runTool(ctx, funcs, call)))
		}
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("dial: RunTools: %w", err)
		}
		if res.Steps >= maxSteps {
			return res, fmt.Errorf("%w: the model still calls tools after %d completions",
				ErrToolLoop, res.Steps)
		}
	}
}

// splitRunRequest decodes the members of a request object and its messages.
func splitRunRequest(req json.RawMessage) (map[string]json.RawMessage, []json.RawMessage, error) {
	if !isJSONObject(req) {
		return nil, nil, errors.New("dial: RunTools: request body must be a JSON object")
	}
	var base map[string]json.RawMessage
	if err := json.Unmarshal(req, &base); err != nil {
		return nil, nil, fmt.Errorf("dial: RunTools: %w", err)
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(base["messages"], &msgs); err != nil || len(msgs) == 0 {
		return nil, nil, errors.New(`dial: RunTools: the request needs a non-empty "messages" ` +
			"array")
	}
	for i, m := range msgs {
		if !isJSONObject(m) {
			return nil, nil, fmt.Errorf("dial: RunTools: message %d is not a JSON object", i)
		}
	}
	delete(base, "stream")
	return base, msgs, nil
}

// declareTools adds the declarations of tools that base does not declare yet to its "tools"
// array and returns the functions by name.
func declareTools(base map[string]json.RawMessage, tools []ToolFunction) (map[string]ToolFunc, error) {
	var declared []json.RawMessage
	if raw, ok := base["tools"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &declared); err != nil {
			return nil, errors.New(`dial: RunTools: the request's "tools" is not an array`)
		}
	}
	names := map[string]bool{}
	for _, d := range declared {
		var t struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if json.Unmarshal(d, &t) == nil && t.Function.Name != "" {
			names[t.Function.Name] = true
		}
	}
	funcs := make(map[string]ToolFunc, len(tools))
	for _, t := range tools {
		switch {
		case t.Name == "":
			return nil, errors.New("dial: RunTools: a tool has no name")
		case t.Func == nil:
			return nil, fmt.Errorf("dial: RunTools: tool %q has no function", t.Name)
		case funcs[t.Name] != nil:
			return nil, fmt.Errorf("dial: RunTools: tool %q is given twice", t.Name)
		}
		funcs[t.Name] = t.Func
		if names[t.Name] {
			continue
		}
		params := t.Parameters
		if params == nil {
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		def, err := json.Marshal(Tool{Type: "function", Function: &FunctionDefinition{
			Name: t.Name, Description: t.Description, Parameters: params,
		}})
		if err != nil {
			return nil, fmt.Errorf("dial: RunTools: tool %q: %w", t.Name, err)
		}
		declared = append(declared, def)
	}
	if len(declared) > 0 {
		raw, err := json.Marshal(declared)
		if err != nil {
			return nil, fmt.Errorf("dial: RunTools: %w", err)
		}
		base["tools"] = raw
	}
	return funcs, nil
}

// runStep sends one completion, in block or stream form, and returns the response and
// whether OnChunk stopped the stream.
func (c *Client) runStep(ctx context.Context, deployment string, body []byte, opts RunOptions) (*ChatResponse, bool, error) {
	if !opts.Stream {
		data, r, err := c.chatBlock(ctx, deployment, body, opts.CallOptions)
		if err != nil {
			return nil, false, err
		}
		var resp ChatResponse
		if err := json.Unmarshal(data, &resp); err != nil {
			return nil, false, parseError(r.method, c.base.Path+r.path, err)
		}
		return &resp, false, nil
	}
	s, err := c.ChatStreamRaw(ctx, deployment, body, opts.CallOptions...)
	if err != nil {
		return nil, false, err
	}
	defer s.Close()
	resp := &ChatResponse{}
	for s.Next() {
		ch := s.Current()
		if err := resp.Accumulate(ch); err != nil {
			return nil, false, err
		}
		if opts.OnChunk != nil && !opts.OnChunk(ch) {
			return resp, true, nil
		}
	}
	if err := s.Err(); err != nil {
		return nil, false, err
	}
	return resp, false, nil
}

// assistantTurn returns the first choice's message as JSON, as the server sent it (merged,
// for a stream), and its tool calls.
func assistantTurn(resp *ChatResponse) (json.RawMessage, []ToolCall, error) {
	if len(resp.Choices) == 0 {
		return nil, nil, fmt.Errorf("%w: the response has no choices", ErrParse)
	}
	raw, err := resp.JSON()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	var doc struct {
		Choices []struct {
			Message json.RawMessage `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	msg := json.RawMessage(`{"role":"assistant","content":""}`)
	if len(doc.Choices) > 0 && isJSONObject(doc.Choices[0].Message) {
		msg = echoToolCallTypes(doc.Choices[0].Message)
	}
	return msg, slices.Clone(resp.Choices[0].Message.ToolCalls), nil
}

// echoToolCallTypes returns the assistant message m ready to go back in the history: a tool
// call whose "type" is missing, or is "function" repeated, gets the type "function". Older DIAL
// applications send the type in every chunk of a call and merge the chunks of a block answer
// into "functionfunction", which the model then refuses. Any other m is returned as it is.
func echoToolCallTypes(m json.RawMessage) json.RawMessage {
	var obj map[string]json.RawMessage
	if !bytes.Contains(m, []byte(`"tool_calls"`)) || json.Unmarshal(m, &obj) != nil {
		return m
	}
	var calls []map[string]json.RawMessage
	if json.Unmarshal(obj["tool_calls"], &calls) != nil {
		return m
	}
	changed := false
	for _, call := range calls {
		if call == nil {
			continue
		}
		if raw, ok := call["type"]; ok && !isNull(raw) {
			var typ string
			if json.Unmarshal(raw, &typ) != nil || typ == "function" || !repeatedFunction(typ) {
				continue
			}
		}
		call["type"] = json.RawMessage(`"function"`)
		changed = true
	}
	if !changed {
		return m
	}
	var err error
	if obj["tool_calls"], err = json.Marshal(calls); err != nil {
		return m
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return m
	}
	return out
}

// repeatedFunction reports whether s is "function" once or more.
func repeatedFunction(s string) bool {
	const fn = "function"
	return s != "" && len(s)%len(fn) == 0 && strings.Count(s, fn) == len(s)/len(fn)
}

// runTool answers one tool call: the function's result, or a text saying why there is none.
func runTool(ctx context.Context, funcs map[string]ToolFunc, call ToolCall) string {
	name := call.Function.Name
	f := funcs[name]
	if f == nil {
		return fmt.Sprintf("error: unknown tool %q", name)
	}
	args := json.RawMessage(bytes.TrimSpace([]byte(call.Function.Arguments)))
	if len(args) == 0 {
		args = json.RawMessage(`{}`)
	}
	if !json.Valid(args) {
		var v any
		err := json.Unmarshal(args, &v)
		return fmt.Sprintf("error: the arguments of %s are not valid JSON: %v", name, err)
	}
	v, err := f(ctx, args)
	if err != nil {
		return "error: " + err.Error()
	}
	content, err := toolContent(v)
	if err != nil {
		return fmt.Sprintf("error: the result of %s cannot be encoded: %v", name, err)
	}
	return content
}

// toolContent turns a tool's result into the text of a tool message.
func toolContent(v any) (string, error) {
	var raw []byte
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.RawMessage:
		raw = bytes.TrimSpace(x)
		if len(raw) > 0 && !json.Valid(raw) {
			return "", errors.New("invalid JSON")
		}
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		raw = bytes.TrimSpace(buf.Bytes())
	}
	if isNull(raw) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	return string(raw), nil
}

// toolMessage builds the tool message answering the call id.
func toolMessage(id, content string) json.RawMessage {
	b, _ := json.Marshal(struct {
		Role       string `json:"role"`
		ToolCallID string `json:"tool_call_id"`
		Content    string `json:"content"`
	}{"tool", id, content})
	return b
}
