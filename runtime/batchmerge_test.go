package runtime_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/runtime"
)

func TestMergeParts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	parts := filepath.Join(dir, "parts")
	store := runtime.DirParts(parts)
	for name, content := range map[string]string{
		"part-0-000000.jsonl": `{"key":"a","output":1}` + "\n" + `{"key":"b","error":{"kind":"x"}}` + "\n",
		"part-0-000001.jsonl": `{"key":"a","output":2}` + "\n" + `{"key":"z","output":0}`, // no final newline
		"part-1-000000.jsonl": `{"key":"b","output":3}` + "\n" + `{"key":"c","error":{"kind":"y"}}` + "\n",
		"notes.txt":           "not a part",
	} {
		require.NoError(t, store.Create(t.Context(), name, []byte(content)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"),
		[]byte(`{"id":"c"}`+"\n"+`{"id":"a"}`+"\n"+`{"id":"b"}`+"\n"), 0o644))
	var out bytes.Buffer
	sum, err := runtime.MergeParts(t.Context(), runtime.MergeOptions{Parts: store,
		Input: "in.jsonl", WorkDir: dir}, &out)
	require.NoError(t, err)
	assert.Equal(t, `{"key":"c","error":{"kind":"y"}}`+"\n"+`{"key":"a","output":2}`+"\n"+
		`{"key":"b","output":3}`+"\n", out.String(),
		"input order; the last success of a key, else its last failure")
	assert.Equal(t, runtime.MergeSummary{Records: 3, Written: 3, Duplicates: 2, Foreign: 1}, sum)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "in2.jsonl"),
		[]byte(`{"id":"a"}`+"\n"+`{"id":"d"}`+"\n"+`{"id":7}`+"\n"), 0o644))
	out.Reset()
	sum, err = runtime.MergeParts(t.Context(), runtime.MergeOptions{Parts: store,
		Input: "in2.jsonl", WorkDir: dir}, &out)
	require.NoError(t, err)
	assert.Equal(t, []string{`"d"`, `7`}, sum.Missing)
	assert.Zero(t, sum.Written)
	assert.Empty(t, out.String(), "nothing is written when a record has no result")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "dup.jsonl"),
		[]byte(`{"id":"a"}`+"\n"+`{"id":"a"}`+"\n"), 0o644))
	_, err = runtime.MergeParts(t.Context(), runtime.MergeOptions{Parts: store,
		Input: "dup.jsonl", WorkDir: dir}, &out)
	assert.ErrorContains(t, err, `duplicate key "a"`)
}
