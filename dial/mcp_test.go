package dial

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

func TestToolsetListing(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	sets, err := c.ListToolsets(ctx)
	require.NoError(t, err)
	require.Len(t, sets, 1)
	assert.Equal(t, "text-tools", sets[0].ID)
	assert.Contains(t, string(sets[0].Raw), `"allowed_tools":["word_count","reverse"]`)
	one, err := c.GetToolset(ctx, "text-tools")
	require.NoError(t, err)
	assert.Contains(t, string(one.Raw), `"transport":"HTTP"`)
	_, err = c.GetToolset(ctx, "nope")
	require.ErrorIs(t, err, ErrNotFound)
	tools, err := c.ToolsetTools(ctx, "text-tools")
	require.NoError(t, err)
	var list struct {
		Tools []MCPTool `json:"tools"`
	}
	require.NoError(t, json.Unmarshal(tools, &list))
	require.Len(t, list.Tools, 2)
	assert.Equal(t, "word_count", list.Tools[0].Name)
	assert.Contains(t, string(list.Tools[0].InputSchema), `"text"`)
}

// TestMCPSession speaks MCP through the toolset proxy: a session id from initialize, tools/list
// answered as JSON, tools/call answered as an event stream, errors, and the session's end.
func TestMCPSession(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.Toolsets = append(cfg.Toolsets, emulator.Toolset{ID: "all"})
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	s, err := c.OpenToolset(ctx, "all")
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Emulator.Sessions("all"))
	tools, err := s.ListTools(ctx)
	require.NoError(t, err)
	names := make([]string, len(tools))
	for i, tool := range tools {
		names[i] = tool.Name
	}
	assert.Equal(t, emulator.MCPTools, names)
	res, err := s.CallTool(ctx, "add", json.RawMessage(`{"a": 2, "b": 40}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"content":[{"type":"text","text":"42"}],"isError":false}`, string(res))
	_, err = s.CallTool(ctx, "nope", nil)
	var mcpErr *MCPError
	require.ErrorAs(t, err, &mcpErr)
	assert.Equal(t, -32602, mcpErr.Code)
	assert.Equal(t, "Unknown tool: nope", mcpErr.Message)

	fns, err := s.Functions(ctx)
	require.NoError(t, err)
	byName := map[string]ToolFunction{}
	for _, f := range fns {
		byName[f.Name] = f
	}
	out, err := byName["reverse"].Func(ctx, json.RawMessage(`{"text": "abc"}`))
	require.NoError(t, err)
	assert.Equal(t, "cba", out)
	_, err = byName["fail"].Func(ctx, nil)
	require.EqualError(t, err, "the tool failed on purpose", "isError is the tool's error")

	require.NoError(t, s.Close(ctx))
	assert.Equal(t, 0, srv.Emulator.Sessions("all"))
	_, err = s.ListTools(ctx)
	require.ErrorIs(t, err, ErrNotFound, "the session is over")
}

// TestRunToolsWithToolset offers a toolset's MCP tools beside a Go tool: the model calls both,
// the MCP tool through Core, and the sessions are closed when the run ends.
func TestRunToolsWithToolset(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	shout := ToolFunction{Name: "shout", Parameters: json.RawMessage(
		`{"type":"object","properties":{"text":{"type":"string"}}}`),
		Func: func(_ context.Context, args json.RawMessage) (any, error) {
			var a struct{ Text string }
			_ = json.Unmarshal(args, &a)
			return strings.ToUpper(a.Text), nil
		}}
	res, err := c.RunTools(ctx, "gpt-4o", userMsg("Count the words of Paris"), []ToolFunction{shout},
		RunOptions{Toolsets: []string{"text-tools"}})
	require.NoError(t, err)
	require.Len(t, res.Messages, 6, "the question, the 3 calls, their 3 answers, the final answer")
	var toolAnswers []string
	for _, m := range res.Messages {
		var msg struct{ Role, Content string }
		require.NoError(t, json.Unmarshal(m, &msg))
		if msg.Role == "tool" {
			toolAnswers = append(toolAnswers, msg.Content)
		}
	}
	assert.Equal(t, []string{"PARIS", "1", "siraP"}, toolAnswers)
	assert.Equal(t, 0, srv.Emulator.Sessions("text-tools"))

	failed, err := c.RunTools(ctx, "gpt-4o", userMsg("x"), nil, RunOptions{Toolsets: []string{"nope"}})
	require.ErrorContains(t, err, "toolset nope")
	assert.Len(t, failed.Messages, 1, "the history holds the request")
	_, err = c.RunTools(ctx, "gpt-4o", userMsg("x"), []ToolFunction{{Name: "reverse", Func: shout.Func}},
		RunOptions{Toolsets: []string{"text-tools"}})
	require.ErrorContains(t, err, `tool "reverse" is given twice`)
	assert.Equal(t, 0, srv.Emulator.Sessions("text-tools"))
}

func TestMCPResultContent(t *testing.T) {
	t.Parallel()
	v, err := mcpResultContent(json.RawMessage(`{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`))
	require.NoError(t, err)
	assert.Equal(t, "a\nb", v)
	v, err = mcpResultContent(json.RawMessage(`{"content":[{"type":"text","text":"a"},{"type":"image","data":"AA==","mimeType":"image/png"}]}`))
	require.NoError(t, err)
	assert.JSONEq(t, `[{"type":"text","text":"a"},{"type":"image","data":"AA==","mimeType":"image/png"}]`, v.(string),
		"content that is not all text goes to the model as JSON")
	_, err = mcpResultContent(json.RawMessage(`{"content":[{"type":"text","text":"no such city"}],"isError":true}`))
	require.EqualError(t, err, "no such city")
	_, err = mcpResultContent(json.RawMessage(`[]`))
	require.ErrorContains(t, err, "MCP tool result")
}
