package runtime_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/runtime"
)

// An output file that holds anything but results is refused before anything runs, named with
// the line and the reason, and left byte for byte as it was, --retry-errors or not.
func TestBatchRefusesForeignOutput(t *testing.T) {
	t.Parallel()
	result := "{\"key\":\"r1\",\"error\":{\"kind\":\"x\",\"message\":\"y\"}}\n"
	tests := []struct{ name, content, want string }{
		{"settings file", "{\"theme\":\"dark\"}\n", `:1: not a batch result (no "key" member)`},
		{"settings file without a newline", `{"theme": "dark"}`,
			":1: the last line is not a whole result"},
		{"indented JSON", "{\n  \"theme\": \"dark\"\n}\n", ":1: not a batch result (not JSON"},
		{"a line with a member more", result + "{\"key\":\"r2\",\"output\":1,\"at\":3}\n",
			`:2: not a batch result (a member "at")`},
		{"a key line, not a result, last", result + `{"key":"r2","value":1}`,
			":2: the last line is not a whole result"},
		{"a blank line", result + "\n" + result, ":2: not a batch result (not JSON"},
		{"text", "hello\nworld\n", ":1: not a batch result (not JSON"},
	}
	for _, tt := range tests {
		for _, retry := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s retry=%v", tt.name, retry), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				writeLines(t, dir, 3)
				out := filepath.Join(dir, "settings.json")
				require.NoError(t, os.WriteFile(out, []byte(tt.content), 0o600))
				var warnings []string
				sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
					Source: []byte("return function(r) return r.n end"), Input: "in.jsonl",
					Output: "settings.json", RetryErrors: retry,
					Warn: func(m string) { warnings = append(warnings, m) }})
				require.Error(t, err)
				assert.Equal(t, "batch: output "+out+tt.want, err.Error()[:len("batch: output ")+
					len(out)+len(tt.want)])
				assert.Contains(t, err.Error(), "it is left as it is")
				assert.Zero(t, sum.Succeeded+sum.Failed)
				assert.Empty(t, warnings)
				data, err := os.ReadFile(out)
				require.NoError(t, err)
				assert.Equal(t, tt.content, string(data), "the file is untouched")
				entries, err := os.ReadDir(dir)
				require.NoError(t, err)
				assert.Len(t, entries, 2, "no file is added beside it")
			})
		}
	}
}

// Only a last line without a newline that starts like a result is cut off, with a warning.
func TestBatchCutsTornLastLine(t *testing.T) {
	t.Parallel()
	for _, torn := range []string{`{"key":"r2","outp`, `{"ke`, `{"key":"r2","output":2}`} {
		dir := t.TempDir()
		writeLines(t, dir, 3)
		out := filepath.Join(dir, "out.jsonl")
		require.NoError(t, os.WriteFile(out, []byte("{\"key\":\"r1\",\"output\":\"old\"}\n"+torn),
			0o644))
		var warnings []string
		sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
			Source: []byte("return function(r) return r.n end"), Input: "in.jsonl",
			Output: "out.jsonl", Warn: func(m string) { warnings = append(warnings, m) }})
		require.NoError(t, err, torn)
		assert.Equal(t, 1, sum.Skipped, torn)
		assert.Equal(t, 2, sum.Succeeded, torn)
		assert.Equal(t, []string{fmt.Sprintf("output %s:2: cut off a torn last line of %d bytes, "+
			"left by a run that stopped while writing it", out,
			len(torn))}, warnings)
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, "{\"key\":\"r1\",\"output\":\"old\"}\n{\"key\":\"r2\",\"output\":2}\n"+
			"{\"key\":\"r3\",\"output\":3}\n", string(data), torn)
	}
}

// A finished run leaves its output in input order, even when records finish out of order.
func TestBatchFinishesInInputOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 12)
	out := filepath.Join(dir, "out.jsonl")
	require.NoError(t, os.WriteFile(out, []byte("{\"key\":\"gone\",\"output\":0}\n"+
		"{\"key\":\"r9\",\"output\":9}\n"), 0o640))
	// The first record is slow, so the others finish before it.
	script := `local t = require("testutil")
return function(r) if r.n == 1 then t.sleep(200) end ; return r.n end`
	sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte(script), Input: "in.jsonl", Output: "out.jsonl", Workers: 3})
	require.NoError(t, err)
	assert.Equal(t, 11, sum.Succeeded)
	var want strings.Builder
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&want, "{\"key\":\"r%d\",\"output\":%d}\n", i, i)
	}
	want.WriteString("{\"key\":\"gone\",\"output\":0}\n") // not in the input: kept, last
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, want.String(), string(data))
	st, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), st.Mode().Perm(), "the rewritten file keeps its mode")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary file is left")
}

// A folder input that holds the output does not take the output, or a link to it, for a
// record, in the first run or a resumed one.
func TestBatchFolderHoldsOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	require.NoError(t, os.MkdirAll(docs, 0o755))
	for _, name := range []string{"a.txt", "b.txt", "c.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(docs, name), []byte(name), 0o644))
	}
	out := filepath.Join(docs, "out.jsonl")
	// A run stopped after one record, whose output is in the folder.
	require.NoError(t, os.WriteFile(out, []byte("{\"key\":\"b.txt\",\"output\":\"b.txt\"}\n"), 0o644))
	require.NoError(t, os.Symlink(out, filepath.Join(docs, "link.jsonl")))
	opts := runtime.BatchOptions{Script: "s.lua", Source: []byte("return function(f) return f.name end"),
		Input: "docs", Output: "docs/out.jsonl", Workers: 2}
	sum, err := runBatch(t, t.Context(), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, runtime.BatchSummary{Records: 3, Skipped: 1, Succeeded: 2, Elapsed: sum.Elapsed}, sum)
	want := "{\"key\":\"a.txt\",\"output\":\"a.txt\"}\n{\"key\":\"b.txt\",\"output\":\"b.txt\"}\n" +
		"{\"key\":\"c.txt\",\"output\":\"c.txt\"}\n"
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, want, string(data))

	// Through the link, nothing is left to do, and the lines put out of order are put back in
	// order in the file the link points to.
	lines := strings.SplitAfter(want, "\n")
	require.NoError(t, os.WriteFile(out, []byte(lines[2]+lines[0]+lines[1]), 0o644))
	opts.Output = "docs/link.jsonl"
	sum, err = runBatch(t, t.Context(), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, runtime.BatchSummary{Records: 3, Skipped: 3, Elapsed: sum.Elapsed}, sum)
	data, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, want, string(data))
	target, err := os.Readlink(filepath.Join(docs, "link.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, out, target, "the link stays a link")
}
