package emulator_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawChunks decodes every event but [DONE] of a stream body as generic JSON.
func rawChunks(t *testing.T, body string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, data := range events(t, body) {
		if data == "[DONE]" {
			continue
		}
		var c map[string]any
		require.NoError(t, json.Unmarshal([]byte(data), &c), data)
		out = append(out, c)
	}
	return out
}

// n asks for n choices: the block answer has them all, each with its index, and a stream
// sends every delta for every choice.
func TestChatChoices(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	status, _, body := chat(t, srv, "echo", userHello+`,"n":3}`)
	require.Equal(t, 200, status, body)
	var resp struct {
		Choices []struct {
			Index   int `json:"index"`
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage map[string]int `json:"usage"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	require.Len(t, resp.Choices, 3)
	for i, c := range resp.Choices {
		assert.Equal(t, i, c.Index)
		assert.Equal(t, "hello big world", c.Message.Content)
		assert.Equal(t, "stop", c.FinishReason)
	}
	assert.Equal(t, 9, resp.Usage["completion_tokens"], "completion tokens count every choice")

	_, _, body = chat(t, srv, "echo", userHello+`,"n":2,"stream":true}`)
	texts := map[float64]string{}
	finished := 0
	for _, c := range rawChunks(t, body) {
		for _, ch := range c["choices"].([]any) {
			ch := ch.(map[string]any)
			delta := ch["delta"].(map[string]any)
			s, _ := delta["content"].(string)
			texts[ch["index"].(float64)] += s
			if ch["finish_reason"] != nil {
				finished++
			}
		}
	}
	assert.Equal(t, map[float64]string{0: "hello big world", 1: "hello big world"}, texts)
	assert.Equal(t, 2, finished)

	for _, bad := range []string{`0`, `129`, `1.5`, `"2"`} {
		status, _, body := chat(t, srv, "echo", userHello+`,"n":`+bad+`}`)
		assert.Equal(t, 400, status, bad)
		assert.Contains(t, body, `"param":"n"`, bad)
	}
}

// stream_options.include_usage gives OpenAI's form: usage null in every chunk, then a last
// chunk with no choices and the usage. Without it the finishing chunk carries the usage.
func TestChatStreamIncludeUsage(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	_, _, body := chat(t, srv, "echo", userHello+`,"stream":true,"stream_options":{"include_usage":true}}`)
	chunks := rawChunks(t, body)
	last := chunks[len(chunks)-1]
	assert.Equal(t, []any{}, last["choices"])
	assert.Equal(t, map[string]any{"prompt_tokens": 5.0, "completion_tokens": 3.0, "total_tokens": 8.0}, last["usage"])
	for _, c := range chunks[:len(chunks)-1] {
		u, ok := c["usage"]
		assert.True(t, ok && u == nil, "usage is null before the last chunk: %v", c)
		assert.Len(t, c["choices"], 1)
	}
	assert.True(t, strings.HasSuffix(body, "data: [DONE]\n\n"))

	_, _, body = chat(t, srv, "echo", userHello+`,"stream":true}`)
	chunks = rawChunks(t, body)
	last = chunks[len(chunks)-1]
	assert.Equal(t, "stop", last["choices"].([]any)[0].(map[string]any)["finish_reason"])
	assert.NotNil(t, last["usage"])
	for _, c := range chunks[:len(chunks)-1] {
		_, ok := c["usage"]
		assert.False(t, ok, "no usage member before the last chunk: %v", c)
	}
}

// An assistant message with tool calls and no text has "content": null, in the block answer
// and in the first chunk of a stream.
func TestChatToolCallContentNull(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	req := `{"messages":[{"role":"user","content":"Weather in Paris?"}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	_, _, body := chat(t, srv, "gpt-4o", req+`}`)
	var resp map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	msg := resp["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	content, ok := msg["content"]
	assert.True(t, ok && content == nil, "block: %s", body)
	assert.NotEmpty(t, msg["tool_calls"])

	_, _, body = chat(t, srv, "gpt-4o", req+`,"stream":true}`)
	first := rawChunks(t, body)[0]["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)
	content, ok = first["content"]
	assert.True(t, ok && content == nil, "stream: %v", first)
	assert.Equal(t, "assistant", first["role"])

	_, _, body = chat(t, srv, "echo", userHello+`,"stream":true}`)
	first = rawChunks(t, body)[0]["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)
	_, ok = first["content"]
	assert.False(t, ok, "a text answer's first chunk has no content member: %v", first)
}

// A deployment's max_prompt_tokens is enforced with DIAL's truncate_prompt_error; a model
// without configured limits has the listed default of 120000.
func TestChatMaxPromptTokens(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "small", Limits: &emulator.Limits{MaxPromptTokens: 5}}))
	status, _, body := chat(t, srv, "small", userHello+`}`)
	assert.Equal(t, 200, status, "5 words fit a limit of 5: %s", body)
	status, _, body = chat(t, srv, "small", `{"messages":[{"role":"system","content":"Be brief."},`+
		`{"role":"user","content":"hello big wide world"}]}`)
	require.Equal(t, 400, status)
	msg := "The requested maximum prompt tokens is 5. However, the system messages and the last user message " +
		"resulted in 6 tokens. Please reduce the length of the messages or increase the maximum prompt tokens."
	var e struct {
		Error map[string]string `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &e), body)
	assert.Equal(t, map[string]string{"message": msg, "type": "invalid_request_error", "param": "max_prompt_tokens",
		"code": "truncate_prompt_error", "display_message": msg}, e.Error)
	status, _, _ = chat(t, srv, "small", `{"messages":[{"role":"user","content":"a b c d e f"}],"stream":true}`)
	assert.Equal(t, 400, status, "a stream is refused before it starts")

	huge := strings.Repeat("word ", 2<<20) // 10 MiB, 2 Mi words
	status, _, body = chat(t, srv, "echo", `{"messages":[{"role":"user","content":"`+huge+`"}]}`)
	assert.Equal(t, 400, status)
	assert.Contains(t, body, "The requested maximum prompt tokens is 120000. However")

	_, _, list := get(t, srv, "/openai/models/small")
	assert.Contains(t, list, `"limits":{"max_prompt_tokens":5}`)
	_, _, list = get(t, srv, "/openai/models/echo")
	assert.Contains(t, list, `"limits":{"max_total_tokens":128000,"max_prompt_tokens":120000,"max_completion_tokens":8000}`)
}

// Older DIAL applications send the tool call's type in every chunk; merged by the application
// for a block answer it reads "functionfunction". The model refuses such a type in the history.
func TestChatLegacyToolType(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "old-app", ToolCalling: emulator.ToolsAuto, LegacyToolType: true}))
	req := `{"messages":[{"role":"user","content":"Weather in Paris?"}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	_, _, body := chat(t, srv, "old-app", req+`}`)
	assert.Contains(t, body, `"type":"functionfunction"`)
	_, _, body = chat(t, srv, "old-app", req+`,"stream":true}`)
	types := 0
	for _, c := range rawChunks(t, body) {
		for _, ch := range c["choices"].([]any) {
			calls, _ := ch.(map[string]any)["delta"].(map[string]any)["tool_calls"].([]any)
			for _, call := range calls {
				assert.Equal(t, "function", call.(map[string]any)["type"])
				types++
			}
		}
	}
	assert.Equal(t, 2, types, "both chunks of the call carry its type")

	echo := func(typ string) string {
		return `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[` +
			`{"id":"c1",` + typ + `"function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}`
	}
	status, _, body := chat(t, srv, "echo", echo(`"type":"functionfunction",`))
	assert.Equal(t, 400, status)
	assert.Contains(t, body, `"message":"Invalid value: 'functionfunction'. Supported values are: 'function' and 'custom'."`)
	assert.Contains(t, body, `"param":"messages[1].tool_calls[0].type"`)
	status, _, body = chat(t, srv, "echo", echo(``))
	assert.Equal(t, 400, status)
	assert.Contains(t, body, `"code":"missing_required_parameter"`)
	status, _, body = chat(t, srv, "echo", echo(`"type":"function",`))
	assert.Equal(t, 200, status, body)
}
