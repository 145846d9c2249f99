package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Toolset configures an MCP toolset: listed under /openai/toolsets and served, through
// /v1/toolset/{id}/mcp, by a built-in deterministic MCP server offering some of the tools of
// [MCPTools].
type Toolset struct {
	// ID is the toolset name used in URLs.
	ID string `json:"id"`
	// DisplayName and Description are listed as Core lists them.
	DisplayName string `json:"display_name,omitempty"`
	Description string `json:"description,omitempty"`
	// Tools names the built-in tools the toolset offers, in this order; empty offers all.
	Tools []string `json:"tools,omitempty"`
}

// mcpTool is a built-in tool of the emulator's MCP server.
type mcpTool struct {
	description string
	schema      string
	run         func(args map[string]any) (text string, isError bool)
}

// MCPTools are the built-in tools a [Toolset] may offer, by name:
//
//   - word_count {text}: the number of whitespace-separated words of text;
//   - reverse {text}: text with its characters in reverse order;
//   - add {a, b}: the sum of two numbers;
//   - fail {}: always a tool error ("isError": true) saying "the tool failed on purpose".
var MCPTools = []string{"word_count", "reverse", "add", "fail"}

var mcpTools = map[string]mcpTool{
	"word_count": {"Counts the words of a text.",
		`{"type":"object","properties":{"text":{"type":"string","description":"The text."}},"required":["text"]}`,
		func(a map[string]any) (string, bool) {
			s, _ := a["text"].(string)
			return fmt.Sprint(len(strings.Fields(s))), false
		}},
	"reverse": {"Reverses a text.",
		`{"type":"object","properties":{"text":{"type":"string","description":"The text."}},"required":["text"]}`,
		func(a map[string]any) (string, bool) {
			s, _ := a["text"].(string)
			r := []rune(s)
			slices.Reverse(r)
			return string(r), false
		}},
	"add": {"Adds two numbers.",
		`{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}`,
		func(a map[string]any) (string, bool) {
			x, ok1 := a["a"].(float64)
			y, ok2 := a["b"].(float64)
			if !ok1 || !ok2 {
				return "a and b must be numbers", true
			}
			return fmt.Sprint(x + y), false
		}},
	"fail": {"Always fails.", `{"type":"object","properties":{}}`,
		func(map[string]any) (string, bool) { return "the tool failed on purpose", true }},
}

// toolset is a configured toolset with its MCP sessions.
type toolset struct {
	Toolset
	listing map[string]any

	mu       sync.Mutex
	sessions map[string]bool
}

// addToolset registers t.
func (e *Emulator) addToolset(t Toolset) {
	if len(t.Tools) == 0 {
		t.Tools = slices.Clone(MCPTools)
	}
	name := t.DisplayName
	if name == "" {
		name = t.ID
	}
	l := map[string]any{
		"id": t.ID, "toolset": t.ID, "object": "toolset", "display_name": name,
		"reference": t.ID, "owner": "organization-owner", "status": "succeeded",
		"created_at": created, "updated_at": created, "transport": "HTTP",
		"allowed_tools": t.Tools, "description_keywords": []string{}, "max_retry_attempts": 1,
		"interfaces": []string{"mcp"},
	}
	if t.Description != "" {
		l["description"] = t.Description
	}
	e.toolsets[t.ID] = &toolset{Toolset: t, listing: l, sessions: map[string]bool{}}
	e.toolsetOrder = append(e.toolsetOrder, t.ID)
}

// serveToolsets answers the toolset endpoints: GET /openai/toolsets[/{id}], GET
// /v1/toolset/{id}/tools and /v1/toolset/{id}/mcp. It reports whether path was one of them.
func (e *Emulator) serveToolsets(w http.ResponseWriter, r *http.Request, c *caller, path string) bool {
	get := r.Method == http.MethodGet
	switch {
	case get && path == "openai/toolsets":
		data := []map[string]any{}
		for _, id := range e.toolsetOrder {
			if c.mayUse(id) {
				data = append(data, e.toolsets[id].listing)
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "object": "list"})
	case get && strings.HasPrefix(path, "openai/toolsets/"):
		if t := e.findToolset(w, c, strings.TrimPrefix(path, "openai/toolsets/")); t != nil {
			writeJSON(w, http.StatusOK, t.listing)
		}
	case strings.HasPrefix(path, "v1/toolset/") && strings.HasSuffix(path, "/tools") && get:
		if t := e.findToolset(w, c, strings.TrimSuffix(strings.TrimPrefix(path, "v1/toolset/"), "/tools")); t != nil {
			writeJSON(w, http.StatusOK, map[string]any{"tools": t.tools()})
		}
	case strings.HasPrefix(path, "v1/toolset/") && strings.HasSuffix(path, "/mcp"):
		if t := e.findToolset(w, c, strings.TrimSuffix(strings.TrimPrefix(path, "v1/toolset/"), "/mcp")); t != nil {
			t.serveMCP(w, r)
		}
	default:
		return false
	}
	return true
}

// findToolset finds the toolset of an escaped id, or answers 404 (403 when the caller may not
// use it) and returns nil.
func (e *Emulator) findToolset(w http.ResponseWriter, c *caller, escaped string) *toolset {
	id, err := url.PathUnescape(escaped)
	t := e.toolsets[id]
	switch {
	case err != nil || t == nil:
		plain(w, http.StatusNotFound, "Toolset is not found: "+id)
		return nil
	case !c.mayUse(id):
		plain(w, http.StatusForbidden, "Forbidden toolset: "+id)
		return nil
	}
	return t
}

// tools describes the toolset's tools as MCP's tools/list does.
func (t *toolset) tools() []map[string]any {
	out := make([]map[string]any, 0, len(t.Tools))
	for _, name := range t.Tools {
		tool := mcpTools[name]
		out = append(out, map[string]any{"name": name, "description": tool.description,
			"inputSchema": json.RawMessage(tool.schema)})
	}
	return out
}

// rpcRequest is a JSON-RPC request or notification (without id).
type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// serveMCP is the toolset's MCP server on the streamable HTTP transport: initialize opens a
// session (Mcp-Session-Id) that later requests must name; notifications are answered 202;
// tools/list answers JSON and tools/call answers one server-sent event; DELETE ends the
// session. Errors are JSON-RPC errors (-32601 unknown method, -32602 unknown tool).
func (t *toolset) serveMCP(w http.ResponseWriter, r *http.Request) {
	sid := r.Header.Get("Mcp-Session-Id")
	switch r.Method {
	case http.MethodPost:
	case http.MethodDelete:
		if !t.endSession(sid) {
			plain(w, http.StatusNotFound, "Session not found")
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	default:
		plain(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	var req rpcRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(body, &req) != nil || req.JSONRPC != "2.0" || req.Method == "" {
		writeJSON(w, http.StatusBadRequest, rpcError(nil, -32700, "Parse error"))
		return
	}
	if req.Method != "initialize" {
		switch {
		case sid == "":
			plain(w, http.StatusBadRequest, "Bad Request: Mcp-Session-Id header is required")
			return
		case !t.hasSession(sid):
			plain(w, http.StatusNotFound, "Session not found")
			return
		}
	}
	if req.ID == nil {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	switch req.Method {
	case "initialize":
		var p struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		_ = json.Unmarshal(req.Params, &p)
		w.Header().Set("Mcp-Session-Id", t.newSession())
		writeJSON(w, http.StatusOK, rpcResult(req.ID, map[string]any{
			"protocolVersion": p.ProtocolVersion, "capabilities": map[string]any{"tools": map[string]any{}},
			"serverInfo": map[string]any{"name": "dialua-emulator-mcp", "version": Version},
		}))
	case "tools/list":
		writeJSON(w, http.StatusOK, rpcResult(req.ID, map[string]any{"tools": t.tools()}))
	case "tools/call":
		var p struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		}
		_ = json.Unmarshal(req.Params, &p)
		tool, ok := mcpTools[p.Name]
		if !ok || !slices.Contains(t.Tools, p.Name) {
			writeJSON(w, http.StatusOK, rpcError(req.ID, -32602, "Unknown tool: "+p.Name))
			return
		}
		text, isError := tool.run(p.Arguments)
		data, _ := json.Marshal(rpcResult(req.ID, map[string]any{
			"content": []map[string]any{{"type": "text", "text": text}}, "isError": isError}))
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "event: message\ndata: %s\n\n", data)
	default:
		writeJSON(w, http.StatusOK, rpcError(req.ID, -32601, "Method not found: "+req.Method))
	}
}

func rpcResult(id json.RawMessage, result any) map[string]any {
	return map[string]any{"jsonrpc": "2.0", "id": id, "result": result}
}

func rpcError(id json.RawMessage, code int, msg string) map[string]any {
	return map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": msg}}
}

// newSession starts a session and returns its id.
func (t *toolset) newSession() string {
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sessions[id] = true
	return id
}

func (t *toolset) hasSession(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sessions[id]
}

// endSession ends a session and reports whether it existed.
func (t *toolset) endSession(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	ok := t.sessions[id]
	delete(t.sessions, id)
	return ok
}

// Sessions returns the number of open MCP sessions of toolset id: tests check that clients
// end theirs.
func (e *Emulator) Sessions(id string) int {
	t := e.toolsets[id]
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sessions)
}

// validateToolsets checks toolset ids and tool names.
func validateToolsets(ts []Toolset) error {
	ids := map[string]bool{}
	for _, t := range ts {
		if t.ID == "" || strings.HasPrefix(t.ID, "/") || strings.HasSuffix(t.ID, "/") || ids[t.ID] {
			return fmt.Errorf("emulator config: invalid or duplicate toolset id %q", t.ID)
		}
		ids[t.ID] = true
		for _, name := range t.Tools {
			if _, ok := mcpTools[name]; !ok {
				return fmt.Errorf("emulator config: toolset %q: unknown tool %q (known: %s)",
					t.ID, name, strings.Join(MCPTools, ", "))
			}
		}
	}
	return nil
}
