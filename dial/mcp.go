package dial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// mcpProtocolVersion is the MCP revision the client speaks.
const mcpProtocolVersion = "2025-06-18"

// MCPError is a JSON-RPC error answered by a toolset's MCP server.
type MCPError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Error returns the server's message and code.
func (e *MCPError) Error() string { return fmt.Sprintf("dial: MCP error %d: %s", e.Code, e.Message) }

// MCPTool is one tool of a toolset as MCP's tools/list describes it.
type MCPTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"inputSchema,omitempty"`
}

// MCPSession is a session with a toolset's MCP server, spoken through Core's proxy
// (/v1/toolset/{id}/mcp, MCP's streamable HTTP transport: JSON-RPC over POST, answered as
// JSON or as server-sent events). It is safe for concurrent use. Close ends it.
type MCPSession struct {
	c    *Client
	path string
	cc   *callConfig

	mu        sync.Mutex
	sessionID string
	next      int
}

// OpenToolset starts an MCP session with toolset id: it sends initialize and the initialized
// notification.
func (c *Client) OpenToolset(ctx context.Context, id string, opts ...CallOption) (*MCPSession, error) {
	p, err := toolsetPath(id, "mcp")
	if err != nil {
		return nil, err
	}
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &MCPSession{c: c, path: p, cc: cc}
	params := map[string]any{
		"protocolVersion": mcpProtocolVersion,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "dialua", "version": "1"},
	}
	if _, err := s.call(ctx, "initialize", params); err != nil {
		return nil, err
	}
	if err := s.notify(ctx, "notifications/initialized"); err != nil {
		return nil, err
	}
	return s, nil
}

// ListTools returns every tool of the toolset (tools/list, following nextCursor).
func (s *MCPSession) ListTools(ctx context.Context) ([]MCPTool, error) {
	var all []MCPTool
	cursor := ""
	for {
		params := map[string]any{}
		if cursor != "" {
			params["cursor"] = cursor
		}
		raw, err := s.call(ctx, "tools/list", params)
		if err != nil {
			return nil, err
		}
		var page struct {
			Tools      []MCPTool `json:"tools"`
			NextCursor string    `json:"nextCursor"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, parseError(http.MethodPost, s.c.base.Path+s.path, err)
		}
		all = append(all, page.Tools...)
		if page.NextCursor == "" || page.NextCursor == cursor {
			return all, nil
		}
		cursor = page.NextCursor
	}
}

// CallTool calls a tool (tools/call) and returns MCP's result as received:
// {"content": [{"type": "text", "text": …}…], "isError": …}.
func (s *MCPSession) CallTool(ctx context.Context, name string, args json.RawMessage) (json.RawMessage, error) {
	if len(args) == 0 {
		args = json.RawMessage(`{}`)
	}
	return s.call(ctx, "tools/call", map[string]any{"name": name, "arguments": args})
}

// Functions returns the toolset's tools as functions for [Client.RunTools]: each declares the
// tool's name, description and input schema, and answers a call with the text of the tool's
// content (or its JSON when it is not all text); a result flagged isError is the tool's error.
func (s *MCPSession) Functions(ctx context.Context) ([]ToolFunction, error) {
	tools, err := s.ListTools(ctx)
	if err != nil {
		return nil, err
	}
	fns := make([]ToolFunction, len(tools))
	for i, t := range tools {
		var params any
		if len(t.InputSchema) > 0 {
			params = t.InputSchema
		}
		name := t.Name
		fns[i] = ToolFunction{Name: name, Description: t.Description, Parameters: params,
			Func: func(ctx context.Context, args json.RawMessage) (any, error) {
				raw, err := s.CallTool(ctx, name, args)
				if err != nil {
					return nil, err
				}
				return mcpResultContent(raw)
			}}
	}
	return fns, nil
}

// mcpResultContent turns a tools/call result into a tool message's content: the texts of its
// content joined by newlines when every part is text, else the content array as JSON. A
// result flagged isError is returned as the error instead.
func mcpResultContent(raw json.RawMessage) (any, error) {
	var res struct {
		Content []json.RawMessage `json:"content"`
		IsError bool              `json:"isError"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("MCP tool result: %w", err)
	}
	texts := make([]string, 0, len(res.Content))
	for _, part := range res.Content {
		var p struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if json.Unmarshal(part, &p) != nil || p.Type != "text" {
			whole, err := json.Marshal(res.Content)
			if err != nil {
				return nil, fmt.Errorf("MCP tool result: %w", err)
			}
			texts = []string{string(whole)}
			break
		}
		texts = append(texts, p.Text)
	}
	text := strings.Join(texts, "\n")
	if res.IsError {
		return nil, errors.New(text)
	}
	return text, nil
}

// Close ends the session (DELETE with its session id, when the server gave one).
func (s *MCPSession) Close(ctx context.Context) error {
	s.mu.Lock()
	id := s.sessionID
	s.mu.Unlock()
	if id == "" {
		return nil
	}
	r := &request{method: http.MethodDelete, path: s.path, cc: s.cc, header: s.headers(id)}
	_, _, err := s.c.call(ctx, r)
	return err
}

// headers are the MCP headers of a request in session id.
func (s *MCPSession) headers(id string) http.Header {
	h := http.Header{"Accept": {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {mcpProtocolVersion}}
	if id != "" {
		h.Set("Mcp-Session-Id", id)
	}
	return h
}

// notify sends a JSON-RPC notification; the server answers 202 without a body.
func (s *MCPSession) notify(ctx context.Context, method string) error {
	body, err := marshalBody(map[string]any{"jsonrpc": "2.0", "method": method})
	if err != nil {
		return err
	}
	s.mu.Lock()
	id := s.sessionID
	s.mu.Unlock()
	_, _, err = s.c.call(ctx, &request{method: http.MethodPost, path: s.path, cc: s.cc,
		header: s.headers(id), body: jsonBody(body)})
	return err
}

// call sends one JSON-RPC request and returns its result, or the server's error as an
// [*MCPError].
func (s *MCPSession) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	s.mu.Lock()
	s.next++
	id, sid := s.next, s.sessionID
	s.mu.Unlock()
	body, err := marshalBody(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	r := &request{method: http.MethodPost, path: s.path, cc: s.cc, header: s.headers(sid), body: jsonBody(body)}
	resp, err := s.c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("Mcp-Session-Id"); got != "" && method == "initialize" {
		s.mu.Lock()
		s.sessionID = got
		s.mu.Unlock()
	}
	msg, err := s.readResponse(resp, id)
	if err != nil {
		return nil, err
	}
	if msg.Error != nil {
		return nil, msg.Error
	}
	return msg.Result, nil
}

// rpcResponse is a JSON-RPC response.
type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *MCPError       `json:"error"`
}

// readResponse reads the response to request id: a JSON body, or the first server-sent event
// that answers id (requests and notifications from the server before it are skipped).
func (s *MCPSession) readResponse(resp *http.Response, id int) (*rpcResponse, error) {
	where := s.c.base.Path + s.path
	want := fmt.Sprint(id)
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct != "text/event-stream" {
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		var msg rpcResponse
		if err := json.Unmarshal(data, &msg); err != nil {
			return nil, parseError(http.MethodPost, where, err)
		}
		return &msg, nil
	}
	dec := newSSEDecoder(resp.Body, s.c.cfg.maxLine)
	for {
		ev, err := dec.next()
		if err == io.EOF {
			return nil, parseError(http.MethodPost, where,
				fmt.Errorf("the event stream ended without the answer to request %s", want))
		}
		if err != nil {
			return nil, err
		}
		var msg rpcResponse
		if json.Unmarshal(ev.data, &msg) == nil && string(msg.ID) == want {
			return &msg, nil
		}
	}
}

// withToolsets adds the functions of toolsets to tools, opening a session with each; the
// returned function closes the sessions.
func (c *Client) withToolsets(ctx context.Context, tools []ToolFunction, toolsets []string) ([]ToolFunction, func(), error) {
	var sessions []*MCPSession
	closeAll := func() {
		for _, s := range sessions {
			_ = s.Close(context.WithoutCancel(ctx))
		}
	}
	for _, id := range toolsets {
		s, err := c.OpenToolset(ctx, id)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("dial: toolset %s: %w", id, err)
		}
		sessions = append(sessions, s)
		fns, err := s.Functions(ctx)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("dial: toolset %s: %w", id, err)
		}
		tools = append(slices.Clip(tools), fns...)
	}
	return tools, closeAll, nil
}
