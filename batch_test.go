package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// syncBuf is a bytes.Buffer safe for concurrent writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// batchRun is one run of dialua batch in a test.
type batchRun struct {
	code           int
	stdout, stderr string
}

// runBatchCommand runs dialua batch ARGS with dir for the relative paths (see inDir) and DIAL
// settings for srv in the environment; terminal tells whether stderr is a terminal.
func runBatchCommand(t testing.TB, ctx context.Context, srv *emulatortest.Server, dir string,
	terminal bool, args ...string) batchRun {
	t.Helper()
	return batchCommand(ctx, dir, map[string]string{"DIAL_URL": srv.URL, "DIAL_API_KEY": srv.Key},
		terminal, args...)
}

// batchCommand runs dialua batch ARGS with dir for the relative paths and env for the
// environment.
func batchCommand(ctx context.Context, dir string, env map[string]string, terminal bool,
	args ...string) batchRun {
	var stdout, stderr syncBuf
	c := newCommand(strings.NewReader(""), &stdout, &stderr,
		func(k string) string { return env[k] })
	c.isTerminal = func(any) bool { return terminal }
	code := c.batch(ctx, &options{}, inDir(dir, args))
	return batchRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// inDir returns args with the script (a first argument that is not a flag) and the values of
// --input and --output joined to dir when relative local paths: the command resolves them against the
// process's working directory, which parallel tests cannot change.
func inDir(dir string, args []string) []string {
	args = slices.Clone(args)
	abs := func(i int) {
		if i < len(args) && !filepath.IsAbs(args[i]) && !isStorageURL(args[i]) {
			args[i] = filepath.Join(dir, args[i])
		}
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && args[0] != "merge" {
		abs(0)
	}
	for i, a := range args {
		if a == "--" {
			break
		}
		if a == "--input" || a == "--output" {
			abs(i + 1)
		}
	}
	return args
}

// writeFile writes content to name in dir.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
}

// outputLines reads an output file as JSON objects, by key.
func outputLines(t *testing.T, path string) map[string]map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string]map[string]any{}
	for line := range strings.SplitSeq(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		key := fmt.Sprint(m["key"])
		require.NotContains(t, out, key, "one line per key")
		out[key] = m
	}
	return out
}

// A batch's pool opens no more connections than workers, and has a gate, which makes a 429's
// Retry-After hold back every worker even without --max-rps.
func TestBatchPool(t *testing.T) {
	t.Parallel()
	po := batchPool(batchFlags{jobs: 3})
	assert.Equal(t, 3, po.MaxConnsPerHost)
	assert.NotNil(t, po.Gate)
}

// The example script of the Lua API runs as documented.
func TestBatchCommandSummarize(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "docs.jsonl", `{"id": "d1", "text": "one two three"}
{"id": "d2", "text": "four five"}
{"id": 3, "text": "six"}
`)
	script, err := filepath.Abs("scripts/summarize.lua")
	require.NoError(t, err)
	run := runBatchCommand(t, t.Context(), srv, dir, false, script, "--input", "docs.jsonl",
		"--output", "out.jsonl", "-j", "2")
	require.Equal(t, 0, run.code, run.stderr)
	assert.Contains(t, run.stderr, "out.jsonl: 3 records: 3 succeeded, 0 failed")
	assert.Contains(t, run.stderr, "tokens")

	out := outputLines(t, filepath.Join(dir, "out.jsonl"))
	require.Len(t, out, 3)
	d1 := out["d1"]["output"].(map[string]any)
	assert.Equal(t, "d1", d1["id"])
	assert.Contains(t, d1["summary"], "one two three", "the emulator echoes the prompt")
	assert.Equal(t, 3.0, out["3"]["key"], "a number id stays a number")

	run = runBatchCommand(t, t.Context(), srv, dir, false, script, "--input", "docs.jsonl",
		"--output", "out.jsonl")
	require.Equal(t, 0, run.code, run.stderr)
	assert.Contains(t, run.stderr, "0 succeeded, 0 failed, 3 done before")
}

// Failed records make the exit code 1 until --retry-errors redoes them successfully.
func TestBatchCommandFailures(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "flaky", Status: 400, FailTimes: 2}))
	dir := t.TempDir()
	writeFile(t, dir, "in.jsonl", "{\"q\":\"a\"}\n{\"q\":\"b\"}\n{\"q\":\"c\"}\n")
	writeFile(t, dir, "ask.lua", `local client = require("dial").default()
return function(r)
  local text, msg, err = client:ask("flaky", r.q)
  if not text then return nil, msg, err end
  return text
end`)
	args := []string{"ask.lua", "--input", "in.jsonl", "--output", "out.jsonl", "-j", "1",
		"--ordered"}
	run := runBatchCommand(t, t.Context(), srv, dir, false, args...)
	assert.Equal(t, 1, run.code)
	assert.Contains(t, run.stderr, "1 succeeded, 2 failed")
	out := outputLines(t, filepath.Join(dir, "out.jsonl"))
	errFields := out["1"]["error"].(map[string]any)
	assert.Equal(t, "http", errFields["kind"])
	assert.Equal(t, 400.0, errFields["status"])

	run = runBatchCommand(t, t.Context(), srv, dir, false, args...)
	assert.Equal(t, 1, run.code, "the failures are still in the output")
	assert.Contains(t, run.stderr, "3 done before (2 of them failed)")

	run = runBatchCommand(t, t.Context(), srv, dir, false, append(args, "--retry-errors")...)
	assert.Equal(t, 0, run.code, run.stderr)
	assert.Contains(t, run.stderr, "2 succeeded, 0 failed, 1 done before")
	data, err := os.ReadFile(filepath.Join(dir, "out.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, `{"key":1,"output":"a"}
{"key":2,"output":"b"}
{"key":3,"output":"c"}
`, string(data), "finished: one line per key, in input order")
}

// TestBatchCommandOutputError checks that a failure of the batch names the command once.
func TestBatchCommandOutputError(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "in.jsonl", "{\"q\":\"a\"}\n")
	writeFile(t, dir, "id.lua", "return function(r) return r.q end")
	out := filepath.Join(dir, "missing", "out.jsonl")
	run := runBatchCommand(t, t.Context(), srv, dir, false, "id.lua", "--input", "in.jsonl",
		"--output", out)
	assert.Equal(t, 1, run.code)
	assert.Equal(t, "dialua batch: output: open "+out+": no such file or directory\n", run.stderr)
}

func TestBatchCommandUsage(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "in.jsonl", "{}\n")
	writeFile(t, dir, "s.lua", "return function(r) return r end")
	writeFile(t, dir, "syntax.lua", "return function(")
	writeFile(t, dir, "nofn.lua", "return 1")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no script", []string{"--input", "in.jsonl", "--output", "o"}, 2, "no script"},
		{"no input", []string{"s.lua", "--output", "o"}, 2, "--input is required"},
		{"no output", []string{"s.lua", "--input", "in.jsonl"}, 2, "--output is required"},
		{"bad shard", []string{"s.lua", "--input", "in.jsonl", "--output", "o", "--shard", "2/2"}, 2, "want I/N"},
		{"bad jobs", []string{"s.lua", "--input", "in.jsonl", "--output", "o", "-j", "0"}, 2, "at least one worker"},
		{"bad rate", []string{"s.lua", "--input", "in.jsonl", "--output", "o", "--max-rps", "-1"}, 2, "--max-rps"},
		{"unknown flag", []string{"s.lua", "--nope"}, 2, "unknown flag: --nope"},
		{"syntax error", []string{"syntax.lua", "--input", "in.jsonl", "--output", "o1"}, 2, "syntax.lua:1:"},
		{"no function", []string{"nofn.lua", "--input", "in.jsonl", "--output", "o2"}, 1, "must return the function"},
		{"missing input", []string{"s.lua", "--input", "nope.jsonl", "--output", "o3"}, 1, "nope.jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := runBatchCommand(t, t.Context(), srv, dir, false, tt.args...)
			assert.Equal(t, tt.code, run.code, run.stderr)
			assert.Contains(t, run.stderr, tt.want)
		})
	}

	run := runBatchCommand(t, t.Context(), srv, dir, false, "--help")
	assert.Equal(t, 0, run.code)
	assert.Contains(t, run.stdout, "Usage: dialua batch SCRIPT")
	assert.Contains(t, run.stdout, "--timeout-per-record")
}

// Script arguments, the connection flags of the CLI, shards and the rate cap.
func TestBatchCommandFlags(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "{\"id\":\"k%d\",\"q\":\"q%d\"}\n", i, i)
	}
	writeFile(t, dir, "in.jsonl", b.String())
	writeFile(t, dir, "s.lua", `local client = require("dial").default()
local prefix = arg[1]
return function(r) return prefix .. assert(client:ask("echo", r.q)) end`)

	// The --url among the batch's flags wins over the environment's dead address.
	env := map[string]string{"DIAL_URL": "http://127.0.0.1:1", "DIAL_API_KEY": srv.Key}
	start := time.Now()
	run := batchCommand(t.Context(), dir, env, false, "s.lua", "--url", srv.URL, "--input",
		"in.jsonl", "--output", "all.jsonl", "-j", "8", "--max-rps", "40", "--", ">")
	require.Equal(t, 0, run.code, run.stderr)
	assert.GreaterOrEqual(t, time.Since(start), 450*time.Millisecond, "20 requests at 40/s")
	all := outputLines(t, filepath.Join(dir, "all.jsonl"))
	require.Len(t, all, 20)
	assert.Equal(t, ">q7", all["k7"]["output"])

	seen := map[string]bool{}
	for i := range 3 {
		out := fmt.Sprintf("shard%d.jsonl", i)
		run := runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input", "in.jsonl",
			"--output", out, "--shard", fmt.Sprintf("%d/3", i), "x")
		require.Equal(t, 0, run.code, run.stderr)
		assert.Contains(t, run.stderr, fmt.Sprintf("in shard %d/3", i))
		for k := range outputLines(t, filepath.Join(dir, out)) {
			assert.False(t, seen[k])
			seen[k] = true
		}
	}
	assert.Len(t, seen, 20)
}

// Ctrl-C ends the run with 130 and an output that a rerun completes.
func TestBatchCommandInterrupt(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "slowish",
		Chunks: 2, ChunkDelay: emulator.Duration(20 * time.Millisecond)}))
	dir := t.TempDir()
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "{\"q\":\"question %d\"}\n", i)
	}
	writeFile(t, dir, "in.jsonl", b.String())
	writeFile(t, dir, "s.lua", `local client = require("dial").default()
return function(r)
  return assert(client:chat{deployment = "slowish", stream = true,
    messages = {{role = "user", content = r.q}}}).choices[1].message.content
end`)
	// Ctrl-C once some results are written.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			data, _ := os.ReadFile(filepath.Join(dir, "out.jsonl"))
			if bytes.Count(data, []byte("\n")) >= 8 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	args := []string{"s.lua", "--input", "in.jsonl", "--output", "out.jsonl", "-j", "4"}
	run := runBatchCommand(t, ctx, srv, dir, true, args...)
	assert.Equal(t, 130, run.code, run.stderr)
	assert.Contains(t, run.stderr, "interrupted; run the same command again")
	first := outputLines(t, filepath.Join(dir, "out.jsonl"))
	assert.NotEmpty(t, first)
	assert.Less(t, len(first), 60)
	for _, line := range first {
		assert.NotContains(t, line, "error", "canceled records are not written as failures")
	}

	run = runBatchCommand(t, t.Context(), srv, dir, true, args...)
	require.Equal(t, 0, run.code, run.stderr)
	assert.Contains(t, run.stderr, fmt.Sprintf("%d done before", len(first)))
	assert.Len(t, outputLines(t, filepath.Join(dir, "out.jsonl")), 60)
	assert.Contains(t, run.stderr, "\rbatch ", "the progress bar drew on the terminal")
	assert.Contains(t, run.stderr, fmt.Sprintf("/%d, ", 60-len(first)),
		"the bar counts the records left to do")
}

// An output that holds something else is refused with exit status 1 and left as it was; a torn
// last line of a real output is cut with a warning.
func TestBatchCommandOutputFile(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "in.jsonl", "{\"q\":\"a\"}\n{\"q\":\"b\"}\n")
	writeFile(t, dir, "s.lua", "return function(r) return r.q end")
	const settings = "{\"theme\":\"dark\"}\n"
	writeFile(t, dir, "settings.json", settings)
	for _, extra := range [][]string{nil, {"--retry-errors"}} {
		run := runBatchCommand(t, t.Context(), srv, dir, false, append([]string{"s.lua",
			"--input", "in.jsonl", "--output", "settings.json"}, extra...)...)
		assert.Equal(t, 1, run.code)
		assert.Equal(t, "dialua batch: output "+filepath.Join(dir, "settings.json")+
			":1: not a batch result (no \"key\" member); it is left as it is: the output must be "+
			"a new file or one an earlier batch wrote\n", run.stderr)
		data, err := os.ReadFile(filepath.Join(dir, "settings.json"))
		require.NoError(t, err)
		assert.Equal(t, settings, string(data))
	}

	writeFile(t, dir, "out.jsonl", "{\"key\":1,\"output\":\"a\"}\n{\"key\":2,\"out")
	run := runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input", "in.jsonl",
		"--output", "out.jsonl")
	assert.Equal(t, 0, run.code, run.stderr)
	assert.True(t, strings.HasPrefix(run.stderr, "dialua batch: warning: output "+
		filepath.Join(dir, "out.jsonl")+":2: cut off a torn last line of 13 bytes"), run.stderr)
	assert.Contains(t, run.stderr, "1 succeeded, 0 failed, 1 done before")
}
