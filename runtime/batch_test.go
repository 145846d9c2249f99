package runtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
	"github.com/dialua/dialua/runtime"
)

// testutilModule gives test scripts sleep(ms), which watches the run's context as every Go
// function that waits must.
func testutilModule() runtime.Module {
	return runtime.Preload("testutil", func(L *lua.LState) int {
		t := L.NewTable()
		L.SetFuncs(t, map[string]lua.LGFunction{
			"sleep": func(L *lua.LState) int {
				d := time.Duration(float64(L.CheckNumber(1)) * float64(time.Millisecond))
				timer := time.NewTimer(d)
				defer timer.Stop()
				select {
				case <-timer.C:
				case <-luabridge.Context(L).Done():
					L.RaiseError("sleep: %v", luabridge.Context(L).Err())
				}
				return 0
			},
		})
		L.Push(t)
		return 1
	})
}

// batchResult is one output line as a test reads it.
type batchResult struct {
	Key    json.RawMessage `json:"key"`
	Output json.RawMessage `json:"output"`
	Error  map[string]any  `json:"error"`
}

// readResults reads an output file, checking that every line is whole and that no key
// repeats, and returns the results in file order.
func readResults(t *testing.T, path string) []batchResult {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	if len(data) > 0 {
		require.True(t, bytes.HasSuffix(data, []byte("\n")), "the output ends with a newline")
	}
	var out []batchResult
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r batchResult
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "line %q", sc.Text())
		require.NotEmpty(t, r.Key)
		require.False(t, seen[string(r.Key)], "key %s appears twice", r.Key)
		seen[string(r.Key)] = true
		out = append(out, r)
	}
	return out
}

// byKey indexes results by the JSON text of their keys.
func byKey(rs []batchResult) map[string]batchResult {
	m := make(map[string]batchResult, len(rs))
	for _, r := range rs {
		m[string(r.Key)] = r
	}
	return m
}

// writeLines writes a JSONL file of n records {"id": "r<i>", "n": i} and returns its path.
func writeLines(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "{\"id\":\"r%d\",\"n\":%d}\n", i, i)
	}
	p := filepath.Join(dir, "in.jsonl")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

// runBatch runs a batch with the test module in dir.
func runBatch(t *testing.T, ctx context.Context, dir string, opts runtime.BatchOptions,
	args ...string) (runtime.BatchSummary, error) {
	t.Helper()
	cfg := runtime.Config{WorkDir: dir, Args: args, Modules: []runtime.Module{testutilModule()}}
	return runtime.RunBatch(ctx, cfg, opts)
}

func TestBatchResults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := `{"id": "a", "x": 1}
{"id": 7, "x": 2}

{"x": 3}
"just a string"
{"id": null, "fail": "raise"}
{"id": "ret", "fail": "return"}
{"id": "status", "fail": "status"}
{"id": "tbl", "fail": "table"}
{"id": "exit", "fail": "exit"}
{"id": "fn", "fail": "function"}
{"id": "nothing", "fail": "nothing"}
{"id": "caf\u00e9 <&>", "x": 4}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte(input), 0o644))
	script := `
local json = require("json")
return function(r)
  if type(r) ~= "table" then return {got = r} end
  if r.fail == "raise" then error("boom") end
  if r.fail == "return" then return nil, "went wrong", {kind = "http", status = 429, retryable = true} end
  if r.fail == "status" then return nil, "not found", 404 end
  if r.fail == "table" then error({kind = "custom", code = 12}) end
  if r.fail == "exit" then os.exit(3) end
  if r.fail == "function" then return {f = function() end} end
  if r.fail == "nothing" then return end
  return {x = r.x * 10, id = r.id or json.null}
end`
	sum, err := runtime.RunBatch(t.Context(), runtime.Config{WorkDir: dir}, runtime.BatchOptions{
		Script: "s.lua", Source: []byte(script), Input: "in.jsonl", Output: "out.jsonl",
		Workers: 3})
	require.NoError(t, err)
	assert.Equal(t, 12, sum.Records)
	assert.Equal(t, 6, sum.Succeeded, "a, 7, 4, string, nothing, café")
	assert.Equal(t, 6, sum.Failed)
	assert.True(t, sum.Complete())
	assert.True(t, sum.AnyFailed())

	res := byKey(readResults(t, filepath.Join(dir, "out.jsonl")))
	require.Len(t, res, 12)
	assert.JSONEq(t, `{"id":"a","x":10}`, string(res[`"a"`].Output))
	assert.JSONEq(t, `{"id":7,"x":20}`, string(res[`7`].Output), "a number id stays a number")
	assert.JSONEq(t, `{"id":null,"x":30}`, string(res[`4`].Output), "line numbers count blank lines")
	assert.JSONEq(t, `{"got":"just a string"}`, string(res[`5`].Output))
	assert.JSONEq(t, `{"id":"café <&>","x":40}`, string(res[`"café <&>"`].Output))
	assert.Equal(t, "null", string(res[`"nothing"`].Output))

	raised := res[`6`].Error
	assert.Equal(t, "runtime", raised["kind"])
	assert.Equal(t, "s.lua:5: boom", raised["message"])
	assert.Contains(t, raised["traceback"], "stack traceback:")
	assert.Equal(t, map[string]any{"kind": "http", "message": "went wrong", "status": 429.0,
		"retryable": true}, res[`"ret"`].Error)
	assert.Equal(t, map[string]any{"kind": "script", "message": "not found", "status": 404.0},
		res[`"status"`].Error)
	tbl := res[`"tbl"`].Error
	assert.Equal(t, "custom", tbl["kind"])
	assert.Equal(t, 12.0, tbl["code"])
	assert.Equal(t, "(error object is a table value)", tbl["message"])
	assert.Equal(t, "exit", res[`"exit"`].Error["kind"])
	assert.Equal(t, "output", res[`"fn"`].Error["kind"])
	assert.Contains(t, res[`"fn"`].Error["message"], "function")

	raw, err := os.ReadFile(filepath.Join(dir, "out.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `{"key":"café <&>","output":`, "keys are written as given, unescaped")
}

func TestBatchLoadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 3)
	tests := []struct {
		name, script, want string
		kind               runtime.ErrorKind
	}{
		{"no function", "return 42", "must return the function", -1},
		{"nothing", "local x = 1", "not a nil value", -1},
		{"syntax", "return function(", "s.lua:1:", runtime.KindSyntax},
		{"raises", "error('no config')", "s.lua:1: no config", runtime.KindRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := tt.name + ".jsonl"
			_, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
				Source: []byte(tt.script), Input: "in.jsonl", Output: out, Workers: 4})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			var se *runtime.ScriptError
			if tt.kind >= 0 {
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.kind, se.Kind)
			}
			data, _ := os.ReadFile(filepath.Join(dir, out))
			assert.Empty(t, data)
		})
	}
}

func TestBatchInputErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, input, want string }{
		{"duplicate id", "{\"id\":\"x\"}\n{\"id\":\"x\"}\n", `record 2: duplicate key "x"`},
		{"escaped duplicate", "{\"id\":\"A\"}\n{\"id\":\"\\u0041\"}\n", `duplicate key "A"`},
		{"id clashes with a line number", "{\"id\":2}\n{\"n\":1}\n", "duplicate key 2"},
		{"invalid JSON", "{\"id\":1}\n{oops\n", "in.jsonl:2: invalid JSON"},
		{"bad id", "{\"id\":[1]}\n", "in.jsonl:1: id: a key must be a string or a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte(tt.input), 0o644))
			_, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
				Source: []byte("return function(r) return r end"), Input: "in.jsonl",
				Output: "out.jsonl"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	dir := t.TempDir()
	_, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte("return print"), Input: "missing.jsonl", Output: "out.jsonl"})
	assert.ErrorIs(t, err, os.ErrNotExist)
	writeLines(t, dir, 1)
	_, err = runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte("return print"), Input: "in.jsonl", Output: "in.jsonl"})
	assert.ErrorContains(t, err, "the output is the input")
	_, err = runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte("return print"), Input: "in.jsonl", Output: "o", Shard: 3, Shards: 3})
	assert.ErrorContains(t, err, "shard 3 out of range")

}

func TestBatchFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	require.NoError(t, os.MkdirAll(filepath.Join(docs, "sub"), 0o755))
	for name, text := range map[string]string{"b.txt": "bee", "a.txt": "ay", ".hidden": "no",
		"sub/c.txt": "no"} {
		require.NoError(t, os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644))
	}
	script := `return function(f)
  local h = assert(io.open(f.path))
  local s = h:read("*a")
  h:close()
  return {name = f.name, text = s}
end`
	sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte(script), Input: "docs", Output: "out.jsonl", Ordered: true})
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Succeeded)
	res := readResults(t, filepath.Join(dir, "out.jsonl"))
	require.Len(t, res, 2)
	assert.Equal(t, `"a.txt"`, string(res[0].Key))
	assert.JSONEq(t, `{"name":"a.txt","text":"ay"}`, string(res[0].Output))
	assert.JSONEq(t, `{"name":"b.txt","text":"bee"}`, string(res[1].Output))
}

// Each worker loads the script once and keeps its state for all its records.
func TestBatchReusesWorkerStates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 60)
	script := `
local state = tostring({})   -- differs between states
local calls = 0
local t = require("testutil")
return function(r)
  calls = calls + 1
  t.sleep(1)
  return {state = state, calls = calls, arg = arg[1]}
end`
	sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte(script), Input: "in.jsonl", Output: "out.jsonl", Workers: 4}, "x")
	require.NoError(t, err)
	assert.Equal(t, 60, sum.Succeeded)
	states := map[string]int{}
	for _, r := range readResults(t, filepath.Join(dir, "out.jsonl")) {
		var out struct {
			State string
			Calls int
			Arg   string
		}
		require.NoError(t, json.Unmarshal(r.Output, &out))
		states[out.State] = max(states[out.State], out.Calls)
		assert.Equal(t, "x", out.Arg)
	}
	assert.LessOrEqual(t, len(states), 4)
	total := 0
	for _, calls := range states {
		total += calls
	}
	assert.Equal(t, 60, total, "every call of a state is counted once")
}

func TestBatchOrdered(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 200)
	// Early records are slow, so without ordering they would finish last.
	script := `local t = require("testutil")
return function(r) t.sleep((r.n * 7) % 5) ; return r.n end`
	sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte(script), Input: "in.jsonl", Output: "out.jsonl", Workers: 8, Ordered: true})
	require.NoError(t, err)
	assert.Equal(t, 200, sum.Succeeded)
	res := readResults(t, filepath.Join(dir, "out.jsonl"))
	require.Len(t, res, 200)
	for i, r := range res {
		assert.Equal(t, fmt.Sprintf(`"r%d"`, i+1), string(r.Key))
	}
}

// A rerun skips what is done, cuts off a torn last line and does the rest.
func TestBatchResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 10)
	out := filepath.Join(dir, "out.jsonl")
	prior := `{"key":"r1","output":"old"}
{"key":"r2","error":{"kind":"http","message":"x"}}
{"key":"r3","output":"old"}
{"key":"r4","outp`
	require.NoError(t, os.WriteFile(out, []byte(prior), 0o644))
	var progress []runtime.BatchProgress
	opts := runtime.BatchOptions{Script: "s.lua", Source: []byte("return function(r) return r.n end"),
		Input: "in.jsonl", Output: "out.jsonl", Workers: 2,
		Progress: func(p runtime.BatchProgress) { progress = append(progress, p) }}
	sum, err := runBatch(t, t.Context(), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, runtime.BatchSummary{Records: 10, Skipped: 3, SkippedFailed: 1, Succeeded: 7,
		Elapsed: sum.Elapsed}, sum)
	assert.True(t, sum.AnyFailed(), "the earlier failure is still in the output")
	res := byKey(readResults(t, out))
	require.Len(t, res, 10)
	assert.Equal(t, `"old"`, string(res[`"r1"`].Output))
	assert.Equal(t, "4", string(res[`"r4"`].Output), "the torn record ran again")
	assert.NotNil(t, res[`"r2"`].Error)
	require.NotEmpty(t, progress)
	assert.Equal(t, 7, progress[0].Total)
	assert.Zero(t, progress[0].Done)
	last := progress[len(progress)-1]
	assert.Equal(t, 7, last.Done)
	assert.Equal(t, 7, last.Total)
	assert.Positive(t, last.Rate)

	// Nothing is left to do: a rerun writes nothing.
	before, _ := os.ReadFile(out)
	sum, err = runBatch(t, t.Context(), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, 10, sum.Skipped)
	after, _ := os.ReadFile(out)
	assert.Equal(t, before, after)

	// --retry-errors runs r2 again; the file ends with one line per key, in input order.
	opts.RetryErrors = true
	sum, err = runBatch(t, t.Context(), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, 1, sum.Succeeded)
	assert.Equal(t, 9, sum.Skipped)
	assert.False(t, sum.AnyFailed())
	rs := readResults(t, out)
	require.Len(t, rs, 10)
	for i, r := range rs {
		assert.Equal(t, fmt.Sprintf(`"r%d"`, i+1), string(r.Key))
		assert.Nil(t, r.Error)
	}
}

func TestBatchShards(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 300)
	const shards = 3
	all := map[string]bool{}
	for i := range shards {
		out := fmt.Sprintf("out-%d.jsonl", i)
		sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
			Source: []byte("return function(r) return r.n end"), Input: "in.jsonl", Output: out,
			Workers: 2, Shard: i, Shards: shards})
		require.NoError(t, err)
		assert.Greater(t, sum.Records, 50, "shard %d is roughly a third", i)
		for _, r := range readResults(t, filepath.Join(dir, out)) {
			assert.False(t, all[string(r.Key)], "%s in two shards", r.Key)
			all[string(r.Key)] = true
		}
	}
	assert.Len(t, all, 300)
}

func TestBatchRecordTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 6)
	script := `local t = require("testutil")
return function(r)
  if r.n == 2 then while true do end end
  if r.n == 4 then t.sleep(10000) end
  return r.n
end`
	start := time.Now()
	sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte(script), Input: "in.jsonl", Output: "out.jsonl", Workers: 2,
		RecordTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 4, sum.Succeeded)
	assert.Equal(t, 2, sum.Failed)
	res := byKey(readResults(t, filepath.Join(dir, "out.jsonl")))
	for _, k := range []string{`"r2"`, `"r4"`} {
		require.NotNil(t, res[k].Error, k)
		assert.Equal(t, "timeout", res[k].Error["kind"])
		assert.Contains(t, res[k].Error["message"], "record timed out after 100ms")
	}
}

// Canceling stops the run without a torn or failed line; a rerun finishes the job.
func TestBatchCancel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 400)
	script := `local t = require("testutil")
return function(r) t.sleep(2) return r.n end`
	ctx, cancel := context.WithCancel(t.Context())
	var once sync.Once
	opts := runtime.BatchOptions{Script: "s.lua", Source: []byte(script), Input: "in.jsonl",
		Output: "out.jsonl", Workers: 8, Ordered: true,
		Progress: func(p runtime.BatchProgress) {
			if p.Done >= 40 {
				once.Do(cancel)
			}
		}}
	sum, err := runBatch(t, ctx, dir, opts)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, sum.Complete())
	assert.Zero(t, sum.Failed, "canceled records are not failures")
	res := readResults(t, filepath.Join(dir, "out.jsonl"))
	assert.Len(t, res, sum.Succeeded)
	for i, r := range res {
		assert.Equal(t, fmt.Sprintf(`"r%d"`, i+1), string(r.Key), "ordered: a prefix of the input")
	}

	opts.Progress = nil
	sum2, err := runBatch(t, t.Context(), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, sum.Succeeded, sum2.Skipped)
	assert.Equal(t, 400, sum2.Skipped+sum2.Succeeded)
	res = readResults(t, filepath.Join(dir, "out.jsonl"))
	require.Len(t, res, 400)
	for i, r := range res {
		assert.Equal(t, fmt.Sprintf(`"r%d"`, i+1), string(r.Key))
	}
}

func TestBatchEmptyInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), nil, 0o644))
	sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte("return 1"), Input: "in.jsonl", Output: "out.jsonl"})
	require.NoError(t, err, "the script is not loaded when there is nothing to do")
	assert.Equal(t, runtime.BatchSummary{Elapsed: sum.Elapsed}, sum)
	assert.FileExists(t, filepath.Join(dir, "out.jsonl"))
}
