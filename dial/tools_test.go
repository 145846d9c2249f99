package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// weatherTool answers like get_weather of scripts/agent.lua: {city = args.city, celsius = 21}.
func weatherTool(calls *[]string) ToolFunction {
	return ToolFunction{
		Name:        "get_weather",
		Description: "Current weather for a city",
		Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},` +
			`"required":["city"]}`),
		Func: func(_ context.Context, args json.RawMessage) (any, error) {
			var a struct{ City string }
			if err := json.Unmarshal(args, &a); err != nil {
				return nil, err
			}
			if calls != nil {
				*calls = append(*calls, "get_weather:"+a.City)
			}
			return map[string]any{"city": a.City, "celsius": 21}, nil
		},
	}
}

// timeTool has no parameters and returns a string.
func timeTool(calls *[]string) ToolFunction {
	return ToolFunction{
		Name: "get_time",
		Func: func(context.Context, json.RawMessage) (any, error) {
			*calls = append(*calls, "get_time")
			return "12:00", nil
		},
	}
}

// decodeMessages decodes a history for assertions.
func decodeMessages(t *testing.T, raw []json.RawMessage) []Message {
	t.Helper()
	out := make([]Message, len(raw))
	for i, m := range raw {
		require.NoError(t, json.Unmarshal(m, &out[i]), "message %d: %s", i, m)
	}
	return out
}

// captureChat records the bodies of chat requests to deployment before the emulator answers.
func captureChat(srv *emulatortest.Server, deployment string) func() [][]byte {
	return captureChatTo(srv, deployment, srv.Emulator)
}

// captureChatTo records the bodies of chat requests to deployment before next answers.
func captureChatTo(srv *emulatortest.Server, deployment string, next http.Handler) func() [][]byte {
	var mu sync.Mutex
	var bodies [][]byte
	srv.Handle("POST /openai/deployments/"+deployment+"/chat/completions",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, b)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
			next.ServeHTTP(w, r)
		}))
	return func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return bodies
	}
}

// The tool loop of scripts/agent.lua in block and stream form: the model calls both tools at
// once, both run in order on this goroutine, and the answer is built from their results.
func TestRunTools(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "block", true: "stream"}[stream]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := emulatortest.NewServer(t)
			c, _ := newTestClient(t, srv)
			var calls []string
			chunks := 0
			opts := RunOptions{MaxSteps: 8, Stream: stream}
			if stream {
				opts.OnChunk = func(ChatChunk) bool { chunks++; return true }
			}
			res, err := c.RunTools(t.Context(), "gpt-4o", userMsg("What is the weather in Paris?"),
				[]ToolFunction{weatherTool(&calls), timeTool(&calls)}, opts)
			require.NoError(t, err)
			assert.Equal(t, []string{"get_weather:Paris", "get_time"}, calls)
			assert.Equal(t, 2, res.Steps)
			assert.False(t, res.Stopped)
			// The emulator counts words: 6 prompt words in the first step, then 8 prompt and
			// 6 completion words in the second.
			assert.Equal(t, 14, res.Usage.PromptTokens, "usage sums every step")
			assert.Equal(t, 6, res.Usage.CompletionTokens)
			assert.Equal(t, 20, res.Usage.TotalTokens)
			assert.Equal(t, "get_weather returned {\"celsius\":21,\"city\":\"Paris\"}\n"+
				"get_time returned 12:00", res.Response.Text())
			if stream {
				assert.Greater(t, chunks, 3)
			}

			msgs := decodeMessages(t, res.Messages)
			require.Len(t, msgs, 5)
			assert.Equal(t, RoleUser, msgs[0].Role)
			assert.Equal(t, RoleAssistant, msgs[1].Role)
			require.Len(t, msgs[1].ToolCalls, 2)
			assert.Nil(t, msgs[1].ToolCalls[0].Index, "history messages carry no stream index")
			assert.Equal(t, "get_weather", msgs[1].ToolCalls[0].Function.Name)
			assert.JSONEq(t, `{"city":"Paris"}`, msgs[1].ToolCalls[0].Function.Arguments)
			assert.Equal(t, RoleTool, msgs[2].Role)
			assert.Equal(t, msgs[1].ToolCalls[0].ID, msgs[2].ToolCallID)
			assert.Equal(t, `{"celsius":21,"city":"Paris"}`, msgs[2].Content)
			assert.Equal(t, msgs[1].ToolCalls[1].ID, msgs[3].ToolCallID)
			assert.Equal(t, "12:00", msgs[3].Content)
			assert.Equal(t, RoleAssistant, msgs[4].Role)
			assert.Equal(t, res.Response.Text(), msgs[4].Content)
		})
	}
}

// RunToolsRaw sends the request's members and messages as they are, declares the tools
// after the request's own, and keeps a declaration the request already has.
func TestRunToolsRawKeepsMembers(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	bodies := captureChat(srv, "gpt-4o")
	c, _ := newTestClient(t, srv)
	req := json.RawMessage(`{"messages":[{"role":"user","content":"Weather in Oslo?","x_note":1}],` +
		`"seed":7,"stream":true,"x_custom":{"a":[1,2]},` +
		`"tools":[{"type":"function","function":{"name":"get_weather","description":"mine"}}]}`)
	res, err := c.RunToolsRaw(t.Context(), "gpt-4o", req,
		[]ToolFunction{weatherTool(nil), timeTool(new([]string))}, RunOptions{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"role":"user","content":"Weather in Oslo?","x_note":1}`, string(res.Messages[0]))

	sent := bodies()
	require.Len(t, sent, 2)
	var first struct {
		Seed     int             `json:"seed"`
		Stream   bool            `json:"stream"`
		XCustom  json.RawMessage `json:"x_custom"`
		Messages []json.RawMessage
		Tools    []Tool
	}
	require.NoError(t, json.Unmarshal(sent[0], &first))
	assert.Equal(t, 7, first.Seed)
	assert.False(t, first.Stream, "block form")
	assert.JSONEq(t, `{"a":[1,2]}`, string(first.XCustom))
	assert.JSONEq(t, string(res.Messages[0]), string(first.Messages[0]))
	require.Len(t, first.Tools, 2)
	assert.Equal(t, "mine", first.Tools[0].Function.Description, "the request's declaration is kept")
	assert.Equal(t, "get_time", first.Tools[1].Function.Name)
	assert.Equal(t, map[string]any{"type": "object", "properties": map[string]any{}},
		first.Tools[1].Function.Parameters)
}

// A tool's error, a call of an unknown tool and arguments that are not JSON are answered to
// the model, which sees them; the run goes on.
func TestRunToolsFailuresGoToTheModel(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{
		ID: "bad-args", ToolCalls: json.RawMessage(`[{"id":"c1","type":"function",` +
			`"function":{"name":"get_weather","arguments":"{\"city\": Paris"}}]`),
	}))
	c, _ := newTestClient(t, srv)

	t.Run("tool error", func(t *testing.T) {
		t.Parallel()
		failing := ToolFunction{Name: "get_weather", Func: func(context.Context, json.RawMessage) (any, error) {
			return nil, errors.New("no station in Paris")
		}}
		res, err := c.RunTools(t.Context(), "gpt-4o", userMsg("What is the weather in Paris?"),
			[]ToolFunction{failing}, RunOptions{})
		require.NoError(t, err)
		msgs := decodeMessages(t, res.Messages)
		assert.Equal(t, "error: no station in Paris", msgs[2].Content)
		assert.Equal(t, "get_weather returned error: no station in Paris", res.Response.Text())
	})

	t.Run("unknown tool", func(t *testing.T) {
		t.Parallel()
		req := userMsg("What is the weather in Paris?")
		req.Tools = []Tool{{Type: "function", Function: &FunctionDefinition{Name: "ghost"}}}
		var calls []string
		res, err := c.RunTools(t.Context(), "gpt-4o", req, []ToolFunction{weatherTool(&calls)}, RunOptions{})
		require.NoError(t, err)
		msgs := decodeMessages(t, res.Messages)
		require.Len(t, msgs, 5)
		assert.Equal(t, `error: unknown tool "ghost"`, msgs[2].Content)
		assert.Equal(t, []string{"get_weather:Paris"}, calls)
		assert.Contains(t, res.Response.Text(), `ghost returned error: unknown tool "ghost"`)
	})

	t.Run("arguments not JSON", func(t *testing.T) {
		t.Parallel()
		var calls []string
		res, err := c.RunTools(t.Context(), "bad-args", userMsg("Weather?"),
			[]ToolFunction{weatherTool(&calls)}, RunOptions{MaxSteps: 1})
		require.ErrorIs(t, err, ErrToolLoop, "the deployment always calls")
		assert.Empty(t, calls, "the function is not called")
		msgs := decodeMessages(t, res.Messages)
		require.Len(t, msgs, 3)
		assert.Equal(t, "c1", msgs[2].ToolCallID)
		assert.Contains(t, msgs[2].Content, "error: the arguments of get_weather are not valid JSON")
	})
}

// A model that never stops calling tools ends the run after MaxSteps completions with
// ErrToolLoop; the history so far is returned, its last calls answered.
func TestRunToolsLoopLimit(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{
		ID: "loop", ToolCalling: emulator.ToolsAlways,
	}))
	c, _ := newTestClient(t, srv)
	for _, tc := range []struct {
		name     string
		maxSteps int
		stream   bool
		want     int
	}{
		{"explicit", 3, false, 3},
		{"default", 0, false, DefaultMaxSteps},
		{"stream", 2, true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls []string
			res, err := c.RunTools(t.Context(), "loop", userMsg("Weather in Rome?"),
				[]ToolFunction{weatherTool(&calls)}, RunOptions{MaxSteps: tc.maxSteps, Stream: tc.stream})
			require.ErrorIs(t, err, ErrToolLoop)
			assert.Contains(t, err.Error(), "dial: tool loop limit reached")
			require.NotNil(t, res)
			assert.Equal(t, tc.want, res.Steps)
			assert.Len(t, calls, tc.want)
			assert.Len(t, res.Messages, 1+2*tc.want)
			last := decodeMessages(t, res.Messages[len(res.Messages)-1:])[0]
			assert.Equal(t, RoleTool, last.Role)
		})
	}
}

// OnChunk returning false ends the run at once, without running the calls it was making.
func TestRunToolsOnChunkStops(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	var calls []string
	n := 0
	res, err := c.RunTools(t.Context(), "gpt-4o", userMsg("Weather in Paris?"),
		[]ToolFunction{weatherTool(&calls)}, RunOptions{Stream: true, OnChunk: func(ChatChunk) bool {
			n++
			return n < 2
		}})
	require.NoError(t, err)
	assert.True(t, res.Stopped)
	assert.Equal(t, 2, n)
	assert.Equal(t, 1, res.Steps)
	assert.Empty(t, calls)
	assert.Len(t, res.Messages, 2)
}

// A context cancelled by a tool ends the run with the context's error.
func TestRunToolsContextCancelled(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stop := ToolFunction{Name: "get_weather", Func: func(context.Context, json.RawMessage) (any, error) {
		cancel()
		return nil, context.Canceled
	}}
	res, err := c.RunTools(ctx, "gpt-4o", userMsg("Weather in Paris?"), []ToolFunction{stop}, RunOptions{})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, res.Steps)
}

func TestRunToolsValidation(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ok := weatherTool(nil)
	const user = `{"messages":[{"role":"user"}]}`
	tests := []struct {
		name  string
		req   string
		tools []ToolFunction
		steps int
		want  string
	}{
		{"not an object", `[1]`, nil, 0, "must be a JSON object"},
		{"no messages", `{"messages":[]}`, nil, 0, `non-empty "messages"`},
		{"message not an object", `{"messages":["hi"]}`, nil, 0, "message 0"},
		{"tools not an array", `{"messages":[{"role":"user"}],"tools":{}}`, nil, 0, "not an array"},
		{"unnamed tool", user, []ToolFunction{{Func: ok.Func}}, 0, "no name"},
		{"no function", user, []ToolFunction{{Name: "f"}}, 0, "no function"},
		{"twice", user, []ToolFunction{ok, ok}, 0, "given twice"},
		{"negative steps", user, nil, -1, "negative MaxSteps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := c.RunToolsRaw(t.Context(), "gpt-4o", json.RawMessage(tc.req), tc.tools,
				RunOptions{MaxSteps: tc.steps})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "dial: RunTools: ")
			require.NotNil(t, res)
			assert.Zero(t, res.Steps)
		})
	}
}

// An HTTP error ends the run with the *APIError and the history so far.
func TestRunToolsAPIError(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	res, err := c.RunTools(t.Context(), "no-such-model", userMsg("hi"), nil, RunOptions{})
	require.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, 1, res.Steps)
	assert.Nil(t, res.Response)
	assert.Len(t, res.Messages, 1)
}

func TestToolContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, ""},
		{"string", "plain <text>", "plain <text>"},
		{"number", 21.5, "21.5"},
		{"map", map[string]any{"b": "<x>", "a": 1}, `{"a":1,"b":"<x>"}`},
		{"raw object", json.RawMessage(` {"k": [1, 2]} `), `{"k": [1, 2]}`},
		{"raw string", json.RawMessage(`"quoted"`), "quoted"},
		{"raw null", json.RawMessage(`null`), ""},
		{"bool", true, "true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := toolContent(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := toolContent(json.RawMessage(`{oops`))
	assert.Error(t, err)
	_, err = toolContent(func() {})
	assert.Error(t, err)
}

// An older DIAL application sends a tool call's type in every chunk: its own block answer
// says "functionfunction", which the model refuses in the history. The run sends "function"
// back, in block and stream form, and keeps every other member of the message.
func TestRunToolsLegacyToolType(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "old-app", ToolCalling: emulator.ToolsAuto, LegacyToolType: true,
			CustomContent: json.RawMessage(`{"state":{"step":1}}`)}))
	c, _ := newTestClient(t, srv)
	for _, stream := range []bool{false, true} {
		res, err := c.RunTools(t.Context(), "old-app", userMsg("Weather in Oslo?"),
			[]ToolFunction{weatherTool(nil)}, RunOptions{Stream: stream})
		require.NoError(t, err, "stream %v", stream)
		assert.Equal(t, 2, res.Steps)
		assert.Equal(t, `get_weather returned {"celsius":21,"city":"Oslo"}`, res.Response.Text())
		var asked struct {
			Content       *string                      `json:"content"`
			CustomContent json.RawMessage              `json:"custom_content"`
			ToolCalls     []map[string]json.RawMessage `json:"tool_calls"`
		}
		require.NoError(t, json.Unmarshal(res.Messages[1], &asked), "%s", res.Messages[1])
		require.Len(t, asked.ToolCalls, 1)
		assert.JSONEq(t, `"function"`, string(asked.ToolCalls[0]["type"]))
		assert.JSONEq(t, `"get_weather"`, string(mustMember(t, asked.ToolCalls[0]["function"], "name")))
		assert.JSONEq(t, `{"state":{"step":1}}`, string(asked.CustomContent))
	}
}

func TestEchoToolCallTypes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"role":"assistant","tool_calls":[{"id":"a","type":"functionfunction"},{"id":"b","type":"function"}]}`: `{"role":"assistant","tool_calls":[{"id":"a","type":"function"},{"id":"b","type":"function"}]}`,
		`{"role":"assistant","tool_calls":[{"id":"a"},{"id":"b","type":null}]}`:                                 `{"role":"assistant","tool_calls":[{"id":"a","type":"function"},{"id":"b","type":"function"}]}`,
		`{"role":"assistant","tool_calls":[{"id":"a","type":"functionfunctionfunction","x":[1]}],"y":2}`:        `{"role":"assistant","tool_calls":[{"id":"a","type":"function","x":[1]}],"y":2}`,
	} {
		assert.JSONEq(t, want, string(echoToolCallTypes(json.RawMessage(in))), in)
	}
	for _, same := range []string{
		`{"role":"assistant","content":"hi"}`,
		`{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function"}]}`,
		`{"role":"assistant","tool_calls":[{"id":"a","type":"custom"}]}`,
		`{"role":"assistant","tool_calls":[{"id":"a","type":"functionfunc"}]}`,
		`{"role":"assistant","tool_calls":"odd"}`,
	} {
		assert.Equal(t, same, string(echoToolCallTypes(json.RawMessage(same))), "kept byte for byte")
	}
}
