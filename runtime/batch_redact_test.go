package runtime_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/runtime"
)

// TestBatchRedactsErrorRecords checks that every string of an error record passes through
// BatchOptions.Redact: a raised error with its traceback, and a returned message with an error
// table whose nested values and keys hold the secret.
func TestBatchRedactsErrorRecords(t *testing.T) {
	t.Parallel()
	const secret = "sk-batch-secret-1"
	dir := t.TempDir()
	writeLines(t, dir, 3)
	script := `local secret = ...
return function(r)
  if r.n == 1 then error("raised with " .. secret) end
  if r.n == 2 then
    return nil, "returned " .. secret, { kind = "http", detail = { list = { secret }, n = 2 }, [secret] = true }
  end
  return r.n
end`
	_, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte(script), Input: "in.jsonl", Output: "out.jsonl", Ordered: true,
		Redact: func(s string) string { return strings.ReplaceAll(s, secret, "[x]") }}, secret)
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dir, "out.jsonl"))
	require.NoError(t, err)
	assert.NotContains(t, string(data), secret)
	res := readResults(t, filepath.Join(dir, "out.jsonl"))
	require.Len(t, res, 3)
	assert.Contains(t, res[0].Error["message"], "raised with [x]")
	assert.Equal(t, "returned [x]", res[1].Error["message"])
	assert.Equal(t, map[string]any{"list": []any{"[x]"}, "n": float64(2)}, res[1].Error["detail"])
	assert.Equal(t, true, res[1].Error["[x]"])
	assert.JSONEq(t, "3", string(res[2].Output))
}
