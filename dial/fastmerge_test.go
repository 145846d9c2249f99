package dial

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// mergeGeneral merges chunks by the general rule only (no fast path).
func mergeGeneral(chunks [][]byte) (string, error) {
	tree := map[string]any{}
	var m merger
	for _, c := range chunks {
		v, err := decodeTree(c)
		if err != nil {
			return "", err
		}
		chunk, ok := v.(map[string]any)
		if !ok {
			return "", errNotObject
		}
		if err := m.mergeChatChunk(tree, chunk); err != nil {
			return "", err
		}
	}
	return string(encodeTree(tree, true)), nil
}

// FuzzFastMergeChat merges a sequence of chunks (one per line) with the fast path and by the
// general rule alone, and requires the same merged JSON, or an error from both; the merge's
// Value must be its JSON decoded.
func FuzzFastMergeChat(f *testing.F) {
	seeds := []string{
		"{\"id\":\"a\",\"object\":\"chat.completion.chunk\",\"created\":1,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n" +
			"{\"id\":\"a\",\"object\":\"chat.completion.chunk\",\"created\":1,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"h\\u00e9\\n\"},\"finish_reason\":null}]}\n" +
			"{\"id\":\"b\",\"object\":\"x\",\"created\":2,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"i\"},\"finish_reason\":\"stop\"}],\"usage\":{\"total_tokens\":3}}",
		"{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n" +
			"{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n" +
			"{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"x\"}}]}}]}",
		"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\",\"content\":\"c\"}}]}",
		"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n{\"choices\":[{\"index\":0,\"delta\":{\"content\":1}}]}",
		"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xff\"}}]}",
		"{\"choices\":[{\"index\":0,\"delta\":{\"x\":true,\"n\":null}}]}\n{\"choices\":[{\"index\":0,\"delta\":{\"x\":false,\"n\":null,\"m\":null,\"k\":[]}}]}",
		"{\"a\":[1]}\n{\"a\":[2]}", "{\"a\":[]}\n{\"a\":[]}", "{\"a\":{}}\n{\"a\":{\"b\":-0.5e3}}\n{\"a\":{\"b\":01}}",
		"{\"choices\":[{\"index\":0,\"delta\":{}}]}\n{\"choices\":[{\"index\":0,\"message\":{\"content\":\"m\"}}]}",
		"{\"choices\":[{\"index\":0,\"delta\":{}}]}\n{\"choices\":[{\"delta\":{\"content\":\"m\"}}]}",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("testdata/*.sse")
	more, _ := filepath.Glob("testdata/*/*.sse")
	for _, file := range append(files, more...) {
		b, _ := os.ReadFile(file)
		var chunks [][]byte
		for _, line := range bytes.Split(b, []byte("\n")) {
			if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok && string(d) != "[DONE]" {
				chunks = append(chunks, d)
			}
		}
		f.Add(bytes.Join(chunks, []byte("\n")))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		chunks := bytes.Split(data, []byte("\n"))
		want, wantErr := mergeGeneral(chunks)
		var acc ChatMerge
		var err error
		for _, c := range chunks {
			if err = acc.Add(ChunkJSON{Raw: c}); err != nil {
				break
			}
		}
		if wantErr != nil {
			require.Error(t, err, "the fast path merged what the general rule refuses: %q", data)
			return
		}
		require.NoError(t, err, "%q", data)
		got, err := acc.JSON()
		require.NoError(t, err)
		assert.Equal(t, want, string(got), "%q", data)
		decoded, err := decodeTree(got)
		require.NoError(t, err)
		assert.Equal(t, decoded, acc.Value(), "Value and JSON differ for %q", data)
	})
}

// TestFastMergeTakesUsualChunks checks that the usual chunks do take the fast path.
func TestFastMergeTakesUsualChunks(t *testing.T) {
	t.Parallel()
	tree := map[string]any{}
	var m merger
	first := []byte(`{"id":"a","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`)
	require.False(t, m.fastMergeChat(tree, first), "an empty tree takes the general merge")
	require.NoError(t, m.mergeChatJSON(tree, first))
	for _, c := range []string{
		`{"id":"a","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"x\ny"},"finish_reason":null}]}`,
		`{"id":"a","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
	} {
		assert.True(t, m.fastMergeChat(tree, []byte(c)), c)
	}
	assert.Equal(t, `{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"x\ny","role":"assistant"}}],"created":1,"id":"a","model":"m","object":"chat.completion"}`,
		string(encodeTree(tree, true)))
}

// TestChunkJSONFinished checks the finish_reason sniffing that lets a stream end without
// [DONE].
func TestChunkJSONFinished(t *testing.T) {
	t.Parallel()
	for chunk, want := range map[string]bool{
		`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`:                   true,
		`{"choices":[{"index":0,"delta":{}},{"index":1,"finish_reason":"length"}]}`:     true,
		`{"choices":[{"index":0,"delta":{},"finish_reason":null}]}`:                     false,
		`{"choices":[{"index":0,"delta":{},"finish_reason":""}]}`:                       false,
		`{"choices":[{"index":0,"delta":{"content":"\"finish_reason\":\"stop\""}}]}`:    false,
		`{"choices":[{"index":0,"delta":{"custom_content":{"finish_reason":"stop"}}}]}`: false,
		`{"finish_reason":"stop","choices":[]}`:                                         false,
		`{"choices":[{"index":0,"finish_reason" :  "stop"}]}`:                           true,
		`{"choices":[{"index":0,"finish\u005freason":"stop"}]}`:                         true,
		`{"choices":[{"index":0,"delta":{"content":"\u00e9"},"finish_reason":null}]}`:   false,
	} {
		c, err := decodeChunkJSON([]byte(chunk))
		require.NoError(t, err)
		assert.Equal(t, want, c.finished(), chunk)
	}
}

// FuzzMayFinish checks that the quick look of mayFinish misses no chunk that has a
// finish_reason.
func FuzzMayFinish(f *testing.F) {
	f.Add([]byte(`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`))
	f.Add([]byte(`{"choices":[{"index":0,"finish\u005freason":"stop"}]}`))
	f.Add([]byte(`{"choices":[{"index":0,"delta":{"content":"\"finish_reason\":\"x\""},"finish_reason":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if hasFinishReason(data) && !mayFinish(data) {
			t.Fatalf("mayFinish misses the finish_reason of %q", data)
		}
	})
}

// TestChatStreamJSONChunks reads a long answer with ChatStreamJSON, merging every chunk with
// Peek and keeping what Current returns: the kept chunks stay intact while the stream
// reuses its buffer (the last one also after the end), and the merge, whose answer is long
// enough to go to blocks, equals the merge of the kept chunks and the typed stream's
// accumulated answer.
func TestChatStreamJSONChunks(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "long", Reply: "héllo wörld, ", Chunks: 20000, ChunkSize: 13}))
	c, _ := newTestClient(t, srv)
	s, err := c.ChatStreamJSON(t.Context(), "long", json.RawMessage(`{"messages":[{"role":"user","content":"go"}]}`))
	require.NoError(t, err)
	defer s.Close()
	var merged, again ChatMerge
	var kept []ChunkJSON
	for s.Next() {
		require.NoError(t, merged.Add(s.Peek()))
		kept = append(kept, s.Current())
	}
	require.NoError(t, s.Err())
	assert.Equal(t, kept[len(kept)-1], s.Current(), "the last chunk outlives the end of the stream")
	for _, ch := range kept {
		require.NoError(t, again.Add(ch))
	}
	got, err := merged.JSON()
	require.NoError(t, err)
	want, err := again.JSON()
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	typed, err := c.ChatStream(t.Context(), "long", userMsg("go"))
	require.NoError(t, err)
	defer typed.Close()
	var r ChatResponse
	for typed.Next() {
		require.NoError(t, r.Accumulate(typed.Current()))
	}
	require.NoError(t, typed.Err())
	assert.Greater(t, len(r.Text()), spillAt, "the answer goes to blocks")
	assert.Equal(t, r.Text(), answer(t, got))
}

// TestPeekMergeAllocations checks that a stream that is only merged allocates nothing per
// chunk: the chunks are neither copied nor decoded into values, and the answer grows in
// blocks.
func TestPeekMergeAllocations(t *testing.T) {
	const chunks = 4000
	var sse strings.Builder
	sse.WriteString("data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n")
	for range chunks {
		sse.WriteString("data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"0123456789\"},\"finish_reason\":null}]}\n\n")
	}
	sse.WriteString("data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	allocs := testing.AllocsPerRun(3, func() {
		s := newStream(io.NopCloser(strings.NewReader(sse.String())), 1<<20, http.MethodPost, "/x", nil,
			chunkJSONDecoder(), ChunkJSON.finished)
		s.own = ChunkJSON.own
		var acc ChatMerge
		for s.Next() {
			if err := acc.Add(s.Peek()); err != nil {
				panic(err)
			}
		}
		if acc.Value() == nil || s.Err() != nil {
			panic("no merge")
		}
	})
	assert.Less(t, allocs/chunks, 0.1, "%.0f allocations for %d chunks", allocs, chunks)
}
