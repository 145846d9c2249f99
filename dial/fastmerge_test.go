package dial

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
