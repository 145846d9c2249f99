package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/internal/jsonscan"
)

// goValues builds what encoding/json decodes into an any with UseNumber.
type goValues struct{}

func (goValues) Null() any                     { return nil }
func (goValues) Bool(b bool) any               { return b }
func (goValues) String(s string) any           { return s }
func (goValues) Number(lit []byte) (any, bool) { return json.Number(lit), true }
func (goValues) Array(vals []any) any          { return slices.Clone(vals) }
func (goValues) Object(keys []string, vals []any) any {
	m := map[string]any{}
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m
}

var seeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e3`, `-12.25E-2`, `"plain"`, `"a\"b\\c\/d"`,
	`"\b\f\n\r\t"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\udc00x"`, `"\u12"`,
	`{"a":1,"a":2}`, `{"a":[1,{"b":null}],"c":{}}`, ` [ 1 , 2 ] `, `[1,]`, `{"a":1,}`, `01`,
	`1.`, `.5`, `-`, `+1`, `"tab	inside"`, `[1 2]`, `{"a" 1}`, `{1:2}`, `tru`, `nul`,
	`"unterminated`, `[`, `{"a":`, `[1]x`, `"é"`, ``, ` `, `{"id":"x","choices":[{"delta":{"content":"y"}}]}`,
}

// FuzzScanMatchesEncodingJSON requires Scan to decode valid UTF-8 as encoding/json does, or to
// leave it, and Valid to accept exactly what Scan decodes.
func FuzzScanMatchesEncodingJSON(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return
		}
		got, ok := jsonscan.Scan[any](data, goValues{})
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		err := dec.Decode(&want)
		if err == nil && dec.More() {
			err = assert.AnError
		}
		assert.Equal(t, ok, jsonscan.Valid(data), "Valid and Scan disagree on %q", data)
		if !ok {
			return
		}
		require.NoError(t, err, "Scan accepted what encoding/json refuses: %q", data)
		assert.Equal(t, want, got, "%q", data)
	})
}

func TestReadString(t *testing.T) {
	t.Parallel()
	for lit, want := range map[string]string{`"a"`: "a", `"a\nb\u00e9"`: "a\nbé", `""`: "", `"a"b`: "a"} {
		got, end, ok := jsonscan.ReadString([]byte("x"), []byte(" "+lit), 1)
		require.True(t, ok, lit)
		assert.Equal(t, "x"+want, string(got))
		assert.Equal(t, 1+strings.Index(lit[1:], `"`)+2, end, "just past the literal in %s", lit)
	}
	for _, lit := range []string{`"a`, `a`, `"\ud800"`, "\"\x01\"", ``} {
		got, _, ok := jsonscan.ReadString([]byte("x"), []byte(lit), 0)
		assert.False(t, ok, lit)
		assert.Equal(t, "x", string(got), lit)
	}
}

func TestIsNumber(t *testing.T) {
	t.Parallel()
	for _, lit := range []string{"0", "-0", "12", "1.5", "-2e10", "3E+2"} {
		assert.True(t, jsonscan.IsNumber([]byte(lit)), lit)
	}
	for _, lit := range []string{"", "01", "+1", "1.", ".5", "1e", "-", "1 ", "0x1"} {
		assert.False(t, jsonscan.IsNumber([]byte(lit)), lit)
	}
}
