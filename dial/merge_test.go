package dial

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mergeCase is one golden case of merge_chunks-test-cases.json.
type mergeCase struct {
	Chunks      []json.RawMessage `json:"chunks"`
	Result      json.RawMessage   `json:"result"`
	Error       string            `json:"error"`
	Description string            `json:"description"`
}

func loadMergeCases(t *testing.T, path string) []mergeCase {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var cases []mergeCase
	require.NoError(t, json.Unmarshal(data, &cases))
	require.NotEmpty(t, cases)
	return cases
}

// TestMergeChunksGolden runs every case of DIAL Core's and aidial-sdk's merge_chunks golden
// files. Error cases must fail; messages differ between the two files, so only the error's
// kind and, for type errors, the path are checked.
func TestMergeChunksGolden(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"testdata/merge/dial-core.json", "testdata/merge/dial-sdk.json"} {
		cases := loadMergeCases(t, file)
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				t.Run(tc.Description, func(t *testing.T) {
					t.Parallel()
					got, err := MergeChunks(tc.Chunks...)
					if tc.Error != "" {
						require.Error(t, err, "want %q", tc.Error)
						assert.ErrorIs(t, err, ErrParse)
						if strings.Contains(tc.Error, "a.b") {
							assert.Contains(t, err.Error(), "a.b")
						}
						return
					}
					require.NoError(t, err)
					assert.JSONEq(t, string(tc.Result), string(got))
				})
			}
		})
	}
}

func TestMergeChunksExtra(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		chunks []string
		want   string
		err    bool
	}{
		{"nested index cleanup", []string{`{"s":[{"index":0,"a":[{"index":1,"x":"p"}]}]}`,
			`{"s":[{"index":0,"a":[{"index":1,"x":"q"}]}]}`}, `{"s":[{"a":[{},{"x":"pq"}]}]}`, false},
		{"big numbers keep precision", []string{`{"n":1}`, `{"n":12345678901234567890}`},
			`{"n":12345678901234567890}`, false},
		{"html stays unescaped", []string{`{"s":"<a"}`, `{"s":"&b>"}`}, `{"s":"<a&b>"}`, false},
		{"null member kept", []string{`{"a":null}`}, `{"a":null}`, false},
		{"bool into number", []string{`{"a":1}`, `{"a":true}`}, ``, true},
		{"negative index", []string{`{"a":[{"index":-1}]}`}, ``, true},
		{"huge index", []string{`{"a":[{"index":100000000}]}`}, ``, true},
		{"not JSON", []string{`{"a":`}, ``, true},
		{"no chunks", nil, `null`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := make([]json.RawMessage, len(tt.chunks))
			for i, c := range tt.chunks {
				raw[i] = json.RawMessage(c)
			}
			got, err := MergeChunks(raw...)
			if tt.err {
				assert.ErrorIs(t, err, ErrParse)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

// sseData returns the data of every event of an SSE transcript except [DONE].
func sseData(t *testing.T, path string) []json.RawMessage {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	dec := newSSEDecoder(bufio.NewReader(f), 1<<20)
	var out []json.RawMessage
	for {
		ev, err := dec.next()
		if err != nil {
			break
		}
		if string(ev.data) == "[DONE]" {
			continue
		}
		out = append(out, bytes.Clone(ev.data))
	}
	return out
}

func accumulate(t *testing.T, path string) *ChatResponse {
	t.Helper()
	var resp ChatResponse
	for _, data := range sseData(t, path) {
		ch, err := decodeChunk(data)
		require.NoError(t, err)
		require.NoError(t, resp.Accumulate(ch))
	}
	return &resp
}

// The reference's test_completions_streaming: content concatenates to "5", the last chunk
// carries finish_reason "stop" and usage 11/1/12.
func TestAccumulateVanilla(t *testing.T) {
	t.Parallel()
	resp := accumulate(t, "testdata/aidial-client/chat.completions.stream.vanilla.sse")
	assert.Equal(t, "chatcmpl-test", resp.ID)
	assert.Equal(t, "chat.completion", resp.Object)
	assert.Equal(t, "gpt-35-turbo", resp.Model)
	require.Len(t, resp.Choices, 1)
	assert.Equal(t, "5", resp.Text())
	assert.Equal(t, RoleAssistant, resp.Choices[0].Message.Role)
	assert.Equal(t, "stop", resp.Choices[0].FinishReason)
	require.NotNil(t, resp.Usage)
	assert.Equal(t, Usage{PromptTokens: 11, CompletionTokens: 1, TotalTokens: 12}, *resp.Usage)
	raw, err := resp.JSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"chatcmpl-test","object":"chat.completion","created":1723806872,
		"model":"gpt-35-turbo","system_fingerprint":null,
		"choices":[{"index":0,"finish_reason":"stop","logprobs":null,
			"message":{"role":"assistant","content":"5"}}],
		"usage":{"completion_tokens":1,"prompt_tokens":11,"total_tokens":12}}`, string(raw))
}

// The reference's test_completions_streaming_tool_call: argument deltas concatenate, content
// stays empty, finish_reason "tool_calls", usage 20/10/30.
func TestAccumulateToolCall(t *testing.T) {
	t.Parallel()
	resp := accumulate(t, "testdata/aidial-client/chat.completions.stream.tool_call.sse")
	require.Len(t, resp.Choices, 1)
	msg := resp.Choices[0].Message
	assert.Empty(t, msg.Content)
	require.Len(t, msg.ToolCalls, 1)
	tc := msg.ToolCalls[0]
	assert.Equal(t, "call_giAQRJYhG7UEMKwTU5dkuOKq", tc.ID)
	assert.Equal(t, "function", tc.Type)
	assert.Equal(t, "web_search", tc.Function.Name)
	assert.Equal(t, `{"request":"current weather in Paris"}`, tc.Function.Arguments)
	assert.Nil(t, tc.Index)
	assert.Equal(t, "tool_calls", resp.Choices[0].FinishReason)
	assert.Equal(t, 30, resp.Usage.TotalTokens)
	raw, err := resp.JSON()
	require.NoError(t, err)
	var generic struct {
		Choices []struct {
			Message struct {
				ToolCalls []map[string]any `json:"tool_calls"`
			} `json:"message"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal(raw, &generic))
	require.Len(t, generic.Choices[0].Message.ToolCalls, 1)
	assert.NotContains(t, generic.Choices[0].Message.ToolCalls[0], "index")
	assert.Equal(t, "call_giAQRJYhG7UEMKwTU5dkuOKq", generic.Choices[0].Message.ToolCalls[0]["id"])
}

// DIAL Core's own SSE sample: a role chunk, 27 content chunks, a finish chunk and [DONE].
func TestAccumulateCoreSample(t *testing.T) {
	t.Parallel()
	resp := accumulate(t, "testdata/core_chat_stream.sse")
	assert.Equal(t, "As an AI language model, I don't have emotions, but I'm functioning perfectly well. "+
		"How can I assist you today?", resp.Text())
	assert.Equal(t, "stop", resp.Choices[0].FinishReason)
	assert.Equal(t, RoleAssistant, resp.Choices[0].Message.Role)
	data, err := os.ReadFile("testdata/core_chat_response.json")
	require.NoError(t, err)
	var block ChatResponse
	require.NoError(t, json.Unmarshal(data, &block))
	assert.Equal(t, block.Model, resp.Model)
	assert.Equal(t, "chat.completion", block.Object)
}

// custom_content attachments and stages merge by index, stage content concatenates, status
// arrives later, unknown members survive everywhere, and indices disappear from the result.
func TestAccumulateCustomContent(t *testing.T) {
	t.Parallel()
	chunks := []string{
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"app","choices":[{"index":0,"delta":{"role":"assistant","custom_content":{"stages":[{"index":0,"name":"Search"}]}}}],"trace":"t-1"}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"app","choices":[{"index":0,"delta":{"custom_content":{"stages":[{"index":0,"content":"looking "}]}}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"app","choices":[{"index":0,"delta":{"custom_content":{"stages":[{"index":0,"content":"up","status":"completed"}],"attachments":[{"index":1,"title":"b","url":"files/B/b.txt"}]}}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"app","choices":[{"index":0,"delta":{"content":"Done","reasoning_content":"r1","custom_content":{"attachments":[{"index":0,"title":"a","url":"files/B/a.txt"}],"state":{"step":2}}}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"app","choices":[{"index":0,"delta":{"content":".","reasoning_content":"r2"},"finish_reason":"stop","extra_choice":1}],"statistics":{"usage_per_model":[{"index":0,"model":"m","prompt_tokens":1,"completion_tokens":2,"total_tokens":3}]},"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`,
	}
	var resp ChatResponse
	for _, c := range chunks {
		ch, err := decodeChunk([]byte(c))
		require.NoError(t, err)
		require.NoError(t, resp.Accumulate(ch))
	}
	msg := resp.Choices[0].Message
	assert.Equal(t, "Done.", msg.Content)
	require.NotNil(t, msg.CustomContent)
	require.Len(t, msg.CustomContent.Stages, 1)
	st := msg.CustomContent.Stages[0]
	assert.Equal(t, "Search", st.Name)
	assert.Equal(t, "looking up", st.Content)
	assert.Equal(t, "completed", st.Status)
	assert.Nil(t, st.Index)
	require.Len(t, msg.CustomContent.Attachments, 2)
	assert.Equal(t, "a", msg.CustomContent.Attachments[0].Title)
	assert.Equal(t, "b", msg.CustomContent.Attachments[1].Title)
	assert.JSONEq(t, `{"step":2}`, string(msg.CustomContent.State))
	assert.JSONEq(t, `"r1r2"`, string(msg.Extra["reasoning_content"]))
	assert.JSONEq(t, `1`, string(resp.Choices[0].Extra["extra_choice"]))
	assert.JSONEq(t, `"t-1"`, string(resp.Extra["trace"]))
	require.NotNil(t, resp.Statistics)
	assert.Equal(t, "m", resp.Statistics.UsagePerModel[0].Model)
	assert.Nil(t, resp.Statistics.UsagePerModel[0].Index)

	raw, err := resp.JSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"c1","object":"chat.completion","created":1,"model":"app","trace":"t-1",
		"choices":[{"index":0,"finish_reason":"stop","extra_choice":1,"message":{"role":"assistant",
			"content":"Done.","reasoning_content":"r1r2","custom_content":{
				"stages":[{"name":"Search","content":"looking up","status":"completed"}],
				"attachments":[{"title":"a","url":"files/B/a.txt"},{"title":"b","url":"files/B/b.txt"}],
				"state":{"step":2}}}}],
		"statistics":{"usage_per_model":[{"model":"m","prompt_tokens":1,"completion_tokens":2,"total_tokens":3}]},
		"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`, string(raw))
}

func TestAccumulateErrors(t *testing.T) {
	t.Parallel()
	var resp ChatResponse
	a, err := decodeChunk([]byte(`{"choices":[{"index":0,"delta":{"content":"x"}}]}`))
	require.NoError(t, err)
	require.NoError(t, resp.Accumulate(a))
	b, err := decodeChunk([]byte(`{"choices":[{"index":0,"delta":{"content":[{"type":"text","text":"y"}]}}]}`))
	require.NoError(t, err)
	assert.ErrorIs(t, resp.Accumulate(b), ErrParse)

	// A chunk built in Go (no Raw) is encoded first.
	var built ChatResponse
	require.NoError(t, built.Accumulate(ChatChunk{ID: "x", Choices: []ChunkChoice{{Delta: Message{Content: "hi"}}}}))
	assert.Equal(t, "hi", built.Text())
}

// TestMergedString grows a string past several blocks, in pieces of many sizes written both
// ways, and checks its length and text all along: strings it returned stay as they were while
// it grows on, reading it while it grows is cheap, and Reset empties it.
func TestMergedString(t *testing.T) {
	var b mergedString
	var want strings.Builder
	var returned []string
	for i, n := range []int{0, 1, 7, spillAt - 9, 3, 5, 2*blockSize + 11, 1, blockSize, 100} {
		piece := strings.Repeat(string(rune('a'+i)), n)
		if i%2 == 0 {
			b.WriteString(piece)
		} else {
			b.Write([]byte(piece))
		}
		want.WriteString(piece)
		require.Equal(t, want.Len(), b.Len(), "after piece %d", i)
		if i%3 == 0 {
			returned = append(returned, b.String())
			require.Equal(t, want.String(), returned[len(returned)-1], "after piece %d", i)
		}
	}
	assert.Equal(t, want.String(), b.String())
	assert.Equal(t, b.String(), b.String())
	// Once joined, the string grows in place: reading it after each write costs nothing more.
	allocs := testing.AllocsPerRun(1000, func() {
		b.WriteString("z")
		_ = b.String()
	})
	assert.Less(t, allocs, 0.1)
	want.WriteString(strings.Repeat("z", 1001)) // AllocsPerRun's warm-up run, then 1000
	assert.Equal(t, want.String(), b.String())
	for i, s := range returned {
		assert.True(t, strings.HasPrefix(want.String(), s) && (i == 0 || len(s) > len(returned[i-1])),
			"string %d changed", i)
	}
	b.Reset()
	assert.Equal(t, 0, b.Len())
	assert.Equal(t, "", b.String())
	b.WriteString("again")
	assert.Equal(t, "again", b.String())
}

// TestLongStringBlocksGivenBack checks that the blocks of a long string are given back when
// it is joined, reset, or dropped unread. It is not parallel: it counts every block taken.
func TestLongStringBlocksGivenBack(t *testing.T) {
	before := blocksInUse.Load()
	text := strings.Repeat("x", 3*blockSize+1)
	b := newMergedString(text)
	assert.Equal(t, before+4, blocksInUse.Load(), "3 blocks and a bit")
	assert.Equal(t, len(text), b.Len())
	assert.Equal(t, text, b.String())
	assert.Equal(t, before, blocksInUse.Load(), "joined")

	b = newMergedString(text)
	b.Reset()
	assert.Equal(t, before, blocksInUse.Load(), "reset")
	b.WriteString(text[:spillAt+1])
	assert.Equal(t, before+1, blocksInUse.Load(), "spilled again after a reset")
	assert.Equal(t, text[:spillAt+1], b.String())

	func() { newMergedString(text) }()
	assert.Equal(t, before+4, blocksInUse.Load())
	for range 100 {
		runtime.GC() // the cleanup of the dropped string runs after a collection finds it
		if blocksInUse.Load() == before {
			break
		}
		runtime.Gosched()
	}
	assert.Equal(t, before, blocksInUse.Load(), "dropped unread")
}
