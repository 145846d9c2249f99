package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator/emulatortest"
)

// A batch rerun with --cache after a prompt tweak asks DIAL only for what changed, and
// --usage says how many answers came from the cache.
func TestBatchCacheRerunAsksOnlyChanges(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	writeFile(t, dir, "ask.lua", `local dial = require("dial")
return function(r) return (assert(dial.default():ask("echo", "A: " .. r.text))) end`)
	writeFile(t, dir, "in.jsonl", "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"two\"}\n{\"id\":3,\"text\":\"three\"}\n")
	run := func(out string, args ...string) batchRun {
		run := runBatchCommand(t, t.Context(), srv, dir, false, append([]string{"ask.lua", "--input", "in.jsonl",
			"--output", out, "--cache=" + cache, "--usage"}, args...)...)
		require.Equal(t, 0, run.code, run.stderr)
		return run
	}
	first := run("out1.jsonl")
	assert.Equal(t, 3, srv.Emulator.Requests("echo"))
	assert.Contains(t, first.stderr, "3 responses, 0 from cache")

	writeFile(t, dir, "in.jsonl", "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"TWO\"}\n{\"id\":3,\"text\":\"three\"}\n")
	second := run("out2.jsonl", "--cache-ttl", "1h")
	assert.Equal(t, 4, srv.Emulator.Requests("echo"), "only the changed record is asked again")
	assert.Contains(t, second.stderr, "3 responses, 2 from cache")
	out := outputLines(t, filepath.Join(dir, "out2.jsonl"))
	assert.Equal(t, "A: TWO", out["2"]["output"])
	assert.Equal(t, "A: three", out["3"]["output"])
}

func TestBatchCacheFlagErrors(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "in.jsonl", "{}\n")
	writeFile(t, dir, "s.lua", "return function(r) return r end")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--cache-ttl", "1h"}, "--cache-ttl needs --cache"},
		{[]string{"--cache=" + dir, "--cache-ttl=-1s"}, "--cache-ttl must not be negative"},
		{[]string{"--cache=" + filepath.Join(dir, "s.lua")}, "dial: cache:"},
	} {
		run := runBatchCommand(t, t.Context(), srv, dir, false, append([]string{"s.lua", "--input", "in.jsonl",
			"--output", "o"}, tt.args...)...)
		assert.Equal(t, 2, run.code, run.stderr)
		assert.Contains(t, run.stderr, tt.want)
	}
}

// --usage counts the answers of the caches scripts open with dial.client{cache = …} too, in
// run and in batch.
func TestUsageCountsScriptCacheHits(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	require.NoError(t, os.Mkdir(cache, 0o700))
	client := `local dial = require("dial")
local c = dial.client{base_url = arg[1], api_key = arg[2], cache = arg[3]}
`
	writeFile(t, dir, "twice.lua", client+`for _ = 1, 2 do assert(c:ask("gpt-4o", "the same question")) end`)
	r := cli(t, "-q", "--usage", filepath.Join(dir, "twice.lua"), srv.URL, srv.Key, cache)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 1, srv.Emulator.Requests("gpt-4o"), "the second chat is answered from the cache")
	assert.Contains(t, r.stderr, "dialua: usage: 2 responses, 1 from cache, ")

	writeFile(t, dir, "ask.lua", client+`return function(r) return (assert(c:ask("echo", r.text))) end`)
	writeFile(t, dir, "in.jsonl", "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"two\"}\n")
	batch := func(out string) batchRun {
		run := runBatchCommand(t, t.Context(), srv, dir, false, "ask.lua", "--input", "in.jsonl",
			"--output", out, "--usage", srv.URL, srv.Key, cache)
		require.Equal(t, 0, run.code, run.stderr)
		return run
	}
	assert.Contains(t, batch("out1.jsonl").stderr, "dialua: usage: 2 responses, 0 from cache, ")
	assert.Contains(t, batch("out2.jsonl").stderr, "dialua: usage: 2 responses, 2 from cache, ")
	assert.Equal(t, 2, srv.Emulator.Requests("echo"), "the rerun is answered from the cache")
}
