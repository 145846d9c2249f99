package dial

import (
	"encoding/json"
	"testing"

	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Streams in OpenAI's include_usage form (usage null in every chunk, then a chunk with no
// choices and the usage) and with n choices merge into a complete response.
func TestChatStreamIncludeUsageAndChoices(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	two := 2
	req := userMsg("one two three")
	req.N = &two
	req.StreamOptions = &StreamOptions{IncludeUsage: true}
	s, err := c.ChatStream(t.Context(), "echo", req)
	require.NoError(t, err)
	defer s.Close()
	var full ChatResponse
	var last ChatChunk
	for s.Next() {
		last = s.Current()
		require.NoError(t, full.Accumulate(last))
	}
	require.NoError(t, s.Err())
	assert.Empty(t, last.Choices, "the usage chunk has no choices")
	assert.Equal(t, "", last.Text())
	require.Len(t, full.Choices, 2)
	for i, ch := range full.Choices {
		assert.Equal(t, i, ch.Index)
		assert.Equal(t, "one two three", ch.Message.Content)
		assert.Equal(t, "stop", ch.FinishReason)
	}
	require.NotNil(t, full.Usage)
	assert.Equal(t, Usage{PromptTokens: 3, CompletionTokens: 6, TotalTokens: 9}, *full.Usage)
	raw, err := full.JSON()
	require.NoError(t, err)
	var check struct {
		Usage   map[string]int    `json:"usage"`
		Choices []json.RawMessage `json:"choices"`
	}
	require.NoError(t, json.Unmarshal(raw, &check), "%s", raw)
	assert.Equal(t, map[string]int{"prompt_tokens": 3, "completion_tokens": 6, "total_tokens": 9}, check.Usage)
	assert.Len(t, check.Choices, 2)

	// The tool loop counts the usage of such streams too.
	res, err := c.RunToolsRaw(t.Context(), "gpt-4o",
		json.RawMessage(`{"messages":[{"role":"user","content":"Weather in Rome?"}],"stream_options":{"include_usage":true}}`),
		[]ToolFunction{weatherTool(nil)}, RunOptions{Stream: true})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Steps)
	assert.Positive(t, res.Usage.TotalTokens)
	assert.Equal(t, res.Usage.PromptTokens+res.Usage.CompletionTokens, res.Usage.TotalTokens)
}
