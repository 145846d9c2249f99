package runtime

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseResultLine(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]struct {
		key    string
		failed bool
	}{
		`{"key":"a","output":{"x":[1]}}` + "\n":                    {`"a"`, false},
		`{"key":7,"output":null}`:                                  {`7`, false},
		` { "output" : 1 , "key" : "\u0041" } ` + "\r\n":           {`"A"`, false},
		`{"key":"a","error":{"kind":"http","message":"x"}}` + "\n": {`"a"`, true},
	} {
		key, failed, err := parseResultLine([]byte(line))
		require.NoError(t, err, line)
		assert.Equal(t, want.key, key, line)
		assert.Equal(t, want.failed, failed, line)
	}
	for line, why := range map[string]string{
		"\n":                              "not JSON",
		`{"theme":"dark"`:                 "not JSON",
		`[{"key":1,"output":2}]`:          "not a JSON object",
		`null`:                            "not a JSON object",
		`"key"`:                           "not a JSON object",
		`{"theme":"dark"}`:                `no "key" member`,
		`{"key":1}`:                       `neither "output" nor "error"`,
		`{"key":1,"value":2}`:             `neither "output" nor "error"`,
		`{"key":1,"output":2,"error":{}}`: `both "output" and "error"`,
		`{"key":1,"output":2,"z":0,"extra":true}`: `a member "extra"`,
		`{"key":1,"error":"boom"}`:                `"error" is not an object`,
		`{"key":[1],"output":2}`:                  "key: a key must be a string or a number",
		`{"key":null,"output":2}`:                 "key: a key must be a string or a number",
	} {
		_, _, err := parseResultLine([]byte(line))
		assert.ErrorContains(t, err, why, line)
	}
}

// Every line the writer writes is a result, and every part of one that a write cut short is
// taken for a torn line; other last lines are not.
func TestTornLine(t *testing.T) {
	t.Parallel()
	errLine, err := errorLine(`"k"`, map[string]any{"kind": "http", "message": "x"})
	require.NoError(t, err)
	for _, line := range [][]byte{outputLine(`"k"`, []byte(`{"a":"b"}`)), errLine} {
		_, _, err := parseResultLine(line)
		require.NoError(t, err, "%s", line)
		for n := 1; n < len(line); n++ {
			assert.True(t, tornLine(line[:n]), "%s", line[:n])
		}
	}
	for _, line := range []string{`{"theme":"dark"}`, `{"key":"k","value":1}`, `[1]`, `x`,
		"\x00\x00", `{"id":"k"`, ` {"key":1,"out`} {
		assert.False(t, tornLine([]byte(line)), line)
	}
}
