package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// TestMCPProtocol checks the MCP server's answers to what a well-behaved client never sends.
func TestMCPProtocol(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	mcp := "/v1/toolset/text-tools/mcp"
	post := func(body string, headers ...string) stResult {
		return stDo(t, srv, http.MethodPost, mcp, strings.NewReader(body), headers...)
	}
	init := post(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}`)
	require.Equal(t, 200, init.status)
	sid := init.header.Get("Mcp-Session-Id")
	require.NotEmpty(t, sid)
	assert.Contains(t, init.body, `"protocolVersion":"2025-06-18"`)
	assert.Contains(t, init.body, `"capabilities":{"tools":{}}`)

	r := post(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	assert.Equal(t, 400, r.status, "a session id is required after initialize")
	assert.Equal(t, "Bad Request: Mcp-Session-Id header is required", r.body)
	r = post(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, "Mcp-Session-Id", "other")
	assert.Equal(t, 404, r.status)
	r = post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, "Mcp-Session-Id", sid)
	assert.Equal(t, 202, r.status)
	r = post(`{"jsonrpc":"2.0","id":3,"method":"prompts/list"}`, "Mcp-Session-Id", sid)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"Method not found: prompts/list"}}`, r.body)
	r = post(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}`, "Mcp-Session-Id", sid)
	assert.Contains(t, r.body, "Unknown tool: add", "a tool the toolset does not offer")
	r = post(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"word_count","arguments":{"text":"a b c"}}}`, "Mcp-Session-Id", sid)
	assert.Equal(t, "text/event-stream", r.header.Get("Content-Type"))
	assert.Equal(t, `event: message`+"\n"+`data: {"id":5,"jsonrpc":"2.0","result":{"content":[{"text":"3","type":"text"}],"isError":false}}`+"\n\n", r.body)
	r = post(`not json`)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.body, "Parse error")
	assert.Equal(t, 405, stDo(t, srv, http.MethodGet, mcp, nil).status)
	assert.Equal(t, 200, stDo(t, srv, http.MethodDelete, mcp, nil, "Mcp-Session-Id", sid).status)
	assert.Equal(t, 404, stDo(t, srv, http.MethodDelete, mcp, nil, "Mcp-Session-Id", sid).status)

	r = stDo(t, srv, http.MethodGet, "/v1/toolset/nope/tools", nil)
	assert.Equal(t, 404, r.status)
	assert.Equal(t, "Toolset is not found: nope", r.body)
	restricted := stDoKey(t, emulator.RestrictedKey, http.MethodGet, srv.URL+"/openai/toolsets/text-tools", nil)
	assert.Equal(t, 403, restricted.status)
}

func TestToolsetConfig(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.Toolsets = append(cfg.Toolsets, emulator.Toolset{ID: "x", Tools: []string{"teleport"}})
	_, err := emulator.New(cfg)
	require.ErrorContains(t, err, `toolset "x": unknown tool "teleport"`)
	cfg.Toolsets = []emulator.Toolset{{ID: "a"}, {ID: "a"}}
	_, err = emulator.New(cfg)
	require.ErrorContains(t, err, `duplicate toolset id "a"`)
}
