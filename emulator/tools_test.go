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

const weatherTools = `"tools":[
 {"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
  "properties":{"city":{"type":"string"},"days":{"type":"integer"},"metric":{"type":"boolean"},
  "unit":{"type":"string","enum":["celsius","fahrenheit"]}}}}},
 {"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"zone":{"type":"string"}}}}}]`

// blockMessage decodes the first choice of a block chat response.
func blockMessage(t *testing.T, body string) (msg map[string]any, finish string) {
	t.Helper()
	var resp struct {
		Choices []struct {
			FinishReason string         `json:"finish_reason"`
			Message      map[string]any `json:"message"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &resp), body)
	require.Len(t, resp.Choices, 1)
	return resp.Choices[0].Message, resp.Choices[0].FinishReason
}

func TestToolCallingBlock(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	ask := `{"messages":[{"role":"user","content":"What is the weather in Paris for 3 days?"}],` + weatherTools
	status, _, body := chat(t, srv, "gpt-4o", ask+`}`)
	require.Equal(t, 200, status, body)
	msg, finish := blockMessage(t, body)
	assert.Equal(t, "tool_calls", finish)
	assert.Nil(t, msg["content"])
	calls := msg["tool_calls"].([]any)
	require.Len(t, calls, 2, "every offered tool is called at once")
	first := calls[0].(map[string]any)
	assert.NotContains(t, first, "index")
	assert.Equal(t, "function", first["type"])
	fn := first["function"].(map[string]any)
	assert.Equal(t, "get_weather", fn["name"])
	assert.JSONEq(t, `{"city":"Paris","days":3,"metric":true,"unit":"celsius"}`, fn["arguments"].(string))
	assert.Equal(t, "get_time", calls[1].(map[string]any)["function"].(map[string]any)["name"])

	_, _, body = chat(t, srv, "gpt-4o", ask+`,"tool_choice":{"type":"function","function":{"name":"get_time"}}}`)
	msg, _ = blockMessage(t, body)
	require.Len(t, msg["tool_calls"], 1, "tool_choice names the one tool")
	_, _, body = chat(t, srv, "gpt-4o", ask+`,"tool_choice":"none"}`)
	msg, finish = blockMessage(t, body)
	assert.Equal(t, "stop", finish)
	assert.Equal(t, "What is the weather in Paris for 3 days?", msg["content"])
	_, _, body = chat(t, srv, "echo", ask+`}`)
	_, finish = blockMessage(t, body)
	assert.Equal(t, "stop", finish, "echo does not call tools")

	id0 := first["id"].(string)
	id1 := calls[1].(map[string]any)["id"].(string)
	assistant, err := json.Marshal(map[string]any{"role": "assistant", "content": nil, "tool_calls": calls})
	require.NoError(t, err)
	followUp := `{"messages":[{"role":"user","content":"What is the weather in Paris?"},` + string(assistant) +
		`,{"role":"tool","tool_call_id":"` + id0 + `","content":"{\"celsius\":21}"}` +
		`,{"role":"tool","tool_call_id":"` + id1 + `","content":"12:00"}],` + weatherTools + `}`
	_, _, body = chat(t, srv, "gpt-4o", followUp)
	msg, finish = blockMessage(t, body)
	assert.Equal(t, "stop", finish, "after tool results the model answers")
	assert.Equal(t, "get_weather returned {\"celsius\":21}\nget_time returned 12:00", msg["content"])
}

func TestToolCallingStreamAndLoop(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "loop", ToolCalling: emulator.ToolsAlways}))
	ask := `{"messages":[{"role":"user","content":"weather in Oslo"}],"stream":true,` + weatherTools + `}`
	_, _, body := chat(t, srv, "gpt-4o", ask)
	chunks, done := decodeStream(t, body)
	require.True(t, done)
	args := map[float64]string{}
	names := map[float64]string{}
	for _, c := range chunks {
		calls, _ := c.Choices[0].Delta["tool_calls"].([]any)
		for _, call := range calls {
			call := call.(map[string]any)
			idx := call["index"].(float64)
			fn := call["function"].(map[string]any)
			if n, ok := fn["name"].(string); ok {
				names[idx] += n
			}
			args[idx] += fn["arguments"].(string)
		}
	}
	assert.Equal(t, map[float64]string{0: "get_weather", 1: "get_time"}, names)
	assert.JSONEq(t, `{"city":"Oslo","days":3,"metric":true,"unit":"celsius"}`, args[0],
		"argument pieces merge by index")
	assert.JSONEq(t, `{"zone":"Oslo"}`, args[1])
	assert.Equal(t, "tool_calls", *chunks[len(chunks)-1].Choices[0].FinishReason)

	toolTurn := `{"messages":[{"role":"user","content":"go"},{"role":"assistant","tool_calls":[{"id":"c1",` +
		`"type":"function","function":{"name":"get_time","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"x"}],` +
		weatherTools + `}`
	_, _, body = chat(t, srv, "loop", toolTurn)
	_, finish := blockMessage(t, body)
	assert.Equal(t, "tool_calls", finish, "the always mode keeps calling tools")
	_, _, body = chat(t, srv, "gpt-4o", toolTurn)
	msg, finish := blockMessage(t, body)
	assert.Equal(t, "stop", finish)
	assert.True(t, strings.HasPrefix(msg["content"].(string), "get_time returned x"))
}
