package dial

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeSeeds are wire values the one-pass decoder must decode exactly as encoding/json
// does, or leave to it.
var decodeSeeds = []string{
	`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null,"logprobs":null}]}`,
	`{"id":"c","choices":[{"index":1,"delta":{"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"total_tokens":2,"x":[1]}}`,
	`{"choices":[{"delta":{"content":"é ☃ \u00e9 \n","custom_content":{"attachments":[{"index":0,"title":"a","url":"u"}],"state":{"s":1}},"zz":true}}],"extra":{"k":null}}`,
	`{"ID":"upper","Created":2,"choices":[]}`, `{"id":"a","id":"b"}`, `{"created":1.5}`, `{"created":"1"}`,
	`{"created":+1}`, `{"created":01}`, `{"created":-0}`, `{"created":9223372036854775808}`,
	`{"choices":null,"usage":null,"model":null}`, `{"choices":[null]}`, `{"choices":[1]}`,
	`{"choices":[{"delta":{"content":["x"]}}]}`, `{"choices":[{"delta":{"content":[{"type":"text","text":"t"}]}}]}`,
	`{"choices":[{"delta":{"content":5}}]}`, "{\"id\":\"a\x01\"}", "{\"i\x01d\":1}", `{"\u0069d":"esc"}`,
	`{"id":"\ud800"}`, "{\"id\":\"\xff\"}", `{"a":1 "b":2}`, `{"a":1,}`, `{"a":[1,]}`, `{"a":tru}`,
	`{"a":{"b":1}`, `{"a":1}x`, ` { "id" : "s" } `, `null`, `[]`, `1`, ``, `{`, `{"usage":{"prompt_tokens":true}}`,
	`{"usage":{"prompt_tokens_details":{"cached_tokens":3}}}`, `{"statistics":{"usage_per_model":[{"index":0,"model":"m"}]}}`,
}

// FuzzOneUnmarshalPass decodes chunks, responses and requests with the one-pass decoder and
// with encoding/json (referenceDecode) and requires the same values and the same failures.
func FuzzOneUnmarshalPass(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("testdata/*/*.json")
	sse, _ := filepath.Glob("testdata/*.sse")
	more, _ := filepath.Glob("testdata/*/*.sse")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	for _, file := range append(sse, more...) {
		b, _ := os.ReadFile(file)
		for _, line := range bytes.Split(b, []byte("\n")) {
			if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				f.Add(d)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, newValue := range []func() json.Unmarshaler{
			func() json.Unmarshaler { return &ChatChunk{} },
			func() json.Unmarshaler { return &ChatResponse{} },
			func() json.Unmarshaler { return &ChatRequest{} },
		} {
			fast := newValue()
			fastErr := unmarshalWire(data, fast)
			referenceDecode.Store(true)
			ref := newValue()
			refErr := json.Unmarshal(data, ref)
			referenceDecode.Store(false)
			if refErr != nil {
				require.Error(t, fastErr, "%T accepted %q", fast, data)
				continue
			}
			require.NoError(t, fastErr, "%T refused %q", fast, data)
			assert.True(t, reflect.DeepEqual(ref, fast), "%T of %q:\n%+v\n%+v", fast, data, ref, fast)
		}
	})
}

// FuzzPlainMessage requires the short encoding of a plain message (role and string content)
// to equal the encoding by the struct tags.
func FuzzPlainMessage(f *testing.F) {
	for _, s := range []string{"", "go", "a\"b\\c", "<tag> & more", "é ☃", "\xff", "line\u2028sep", "\x01"} {
		f.Add("user", s)
	}
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, role, content string) {
		m := Message{Role: Role(role), Content: content}
		require.True(t, m.plain())
		want, err := marshalMessage(m)
		require.NoError(t, err)
		got, err := m.MarshalJSON()
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	})
}
