package runtime

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseResultLine(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]parsedResult{
		`{"key":"a","output":{"x":[1]}}` + "\n":                           {`"a"`, false, nil},
		`{"key":7,"output":null}`:                                         {`7`, false, nil},
		` { "output" : 1 , "key" : "\u0041" } ` + "\r\n":                  {`"A"`, false, nil},
		`{"key":"a","error":{"kind":"http","message":"x"}}` + "\n":        {`"a"`, true, nil},
		`{"key":"a","output":1,"checks":{"x":true,"y":false}}`:            {`"a"`, false, checkSet{"x": {true, ""}, "y": {false, ""}}},
		`{"key":"a","error":{},"checks":{"y":{"ok":false,"detail":"d"}}}`: {`"a"`, true, checkSet{"y": {false, "d"}}},
		`{"key":"a","output":1,"checks":{"z":{"ok":true}}}`:               {`"a"`, false, checkSet{"z": {true, ""}}},
	} {
		got, err := parseResult([]byte(line))
		require.NoError(t, err, line)
		assert.Equal(t, want, got, line)
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
		`{"key":1,"output":2,"z":0,"extra":true}`:                  `a member "extra"`,
		`{"key":1,"error":"boom"}`:                                 `"error" is not an object`,
		`{"key":[1],"output":2}`:                                   "key: a key must be a string or a number",
		`{"key":null,"output":2}`:                                  "key: a key must be a string or a number",
		`{"key":1,"output":2,"checks":[true]}`:                     `"checks" is not an object`,
		`{"key":1,"output":2,"checks":null}`:                       `"checks" is not an object`,
		`{"key":1,"output":2,"checks":{"a":1}}`:                    `check "a" is neither a boolean nor`,
		`{"key":1,"output":2,"checks":{"a":null}}`:                 `check "a" is neither`,
		`{"key":1,"output":2,"checks":{"a":{"detail":"d"}}}`:       `check "a" is neither`,
		`{"key":1,"output":2,"checks":{"a":{"ok":true,"more":1}}}`: `check "a" is neither`,
		`{"key":1,"error":"boom","checks":{}}`:                     `"error" is not an object`,
	} {
		_, err := parseResult([]byte(line))
		assert.ErrorContains(t, err, why, line)
	}
}

// Every line the writer writes is a result, and every part of one that a write cut short is
// taken for a torn line; other last lines are not.
func TestTornLine(t *testing.T) {
	t.Parallel()
	checks := []byte(`{"c":true}`)
	errLine, err := errorLine(`"k"`, map[string]any{"kind": "http", "message": "x"}, checks)
	require.NoError(t, err)
	for _, line := range [][]byte{outputLine(`"k"`, []byte(`{"a":"b"}`), nil), errLine,
		outputLine(`"k"`, []byte(`1`), checks)} {
		_, err := parseResult(line)
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
