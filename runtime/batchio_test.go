package runtime

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemberOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
		found            bool
	}{
		{"string id", `{"id":"a","x":1}`, `"a"`, true},
		{"number id last", ` { "x" : [1, {"id": 2}], "id" : -1.5e3 } `, `-1.5e3`, true},
		{"nested only", `{"x":{"id":1},"y":[{"id":2}]}`, "", false},
		{"escaped name", `{"\u0069d":"e"}`, `"e"`, true},
		{"quotes and braces in strings", `{"a":"}\"{","id":"}"}`, `"}"`, true},
		{"repeated: the last wins", `{"id":1,"id":2}`, `2`, true},
		{"null", `{"id":null}`, `null`, true},
		{"empty object", `{}`, "", false},
		{"array", `[{"id":1}]`, "", false},
		{"string", `"id"`, "", false},
		{"case matters", `{"ID":1,"Id":2}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.True(t, json.Valid([]byte(tt.data)))
			raw, ok, err := memberOf([]byte(tt.data), "id")
			require.NoError(t, err)
			assert.Equal(t, tt.found, ok)
			assert.Equal(t, tt.want, string(raw))
		})
	}
}

func TestCanonicalKey(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`"A"`: `"A"`, `"\u0041"`: `"A"`, `"<&>"`: `"<&>"`, `"é"`: `"é"`, ` 42 `: `42`,
		`-0.5`: `-0.5`,
	} {
		got, err := canonicalKey([]byte(raw))
		require.NoError(t, err, raw)
		assert.Equal(t, want, got, raw)
	}
	for _, raw := range []string{`true`, `[1]`, `{}`, ``, `"unterminated`} {
		_, err := canonicalKey([]byte(raw))
		assert.Error(t, err, raw)
	}
}

func TestShardOf(t *testing.T) {
	t.Parallel()
	// The FNV-1a 64-bit hash of the key's JSON text, modulo n, as docs/batch.md says: every
	// machine of a sharded run must compute the same.
	assert.Equal(t, 3, shardOf(`"doc-1"`, 8))
	assert.Equal(t, 6, shardOf(`7`, 8))
	assert.Equal(t, 2, shardOf(`"a.txt"`, 3))
	assert.Equal(t, 0, shardOf(`"a"`, 1))
	counts := make([]int, 4)
	for i := range 4000 {
		counts[shardOf(`"doc-`+strconv.Itoa(i)+`"`, 4)]++
	}
	for _, c := range counts {
		assert.Greater(t, c, 850, "shards are about even")
	}
}
