package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// scriptRuns says how to run each example script when running it bare is not enough. A script
// missing here runs with no arguments.
var scriptRuns = map[string][]string{
	"hello.lua": {"scripts/hello.lua", "echo", "Hello from the test"},
	// summarize.lua is a batch step: it returns a function, which the driver calls on a record.
	"summarize.lua": {"-e", `local step = dofile("scripts/summarize.lua")
		local out = step({ id = "doc-1", text = "The quick brown fox jumps over the lazy dog." })
		print(require("json").encode(out))`},
	// eval_prompts.lua is a batch step too: its function returns the output and the checks.
	"eval_prompts.lua": {"-e", `local step = dofile("scripts/eval_prompts.lua")
		local json = require("json")
		local out, checks = step({ id = "capital-fr", question = "What is the capital of France?", expect = "Paris" })
		print(json.encode(out))
		print(json.encode(checks))`},
	// share_report.lua shares with the key of a colleague.
	"share_report.lua": {"scripts/share_report.lua", emulator.SecondKey},
}

// TestScripts runs every example script against the embedded emulator and compares what it
// prints with testdata/cli/scripts/NAME.golden, so the examples cannot go stale.
func TestScripts(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("scripts/*.lua")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args, ok := scriptRuns[name]
			if !ok {
				args = []string{path}
			}
			r := cli(t, args...)
			assert.Equal(t, 0, r.code, "stderr: %s", r.stderr)
			assert.Equal(t, emulatorNotice, normalize(r.stderr))
			assert.NotEmpty(t, r.stdout)
			golden(t, "scripts/"+strings.TrimSuffix(name, ".lua"), r.stdout)
		})
	}
}

// TestScriptsDescribeThemselves checks the house rule for examples: each starts with a
// comment that says what it shows and how to run it.
func TestScriptsDescribeThemselves(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("scripts/*.lua")
	require.NoError(t, err)
	for _, path := range paths {
		src := readFile(t, path)
		assert.True(t, strings.HasPrefix(src, "-- "+filepath.Base(path)+":"), "%s: first line", path)
		assert.Contains(t, src, "-- Shows:", path)
		assert.Contains(t, src, "-- Run:", path)
	}
}

// TestSessionScriptResumes runs scripts/session.lua twice against one server: the second run
// continues the conversation the first one saved.
func TestSessionScriptResumes(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	run := func(question string) result {
		return runIn(t, invocation{args: []string{"--url", srv.URL, "--api-key", srv.Key,
			"scripts/session.lua", "resume-test", question}})
	}
	first := run("Name a prime.")
	require.Equal(t, 0, first.code, first.stderr)
	assert.Equal(t, "new conversation\nName a prime.\nsaved conversations/"+srv.Bucket+"/gpt-4o__resume-test\n", first.stdout)
	second := run("And the next one?")
	require.Equal(t, 0, second.code, second.stderr)
	assert.Equal(t, "resumed 2 messages\nAnd the next one?\nsaved conversations/"+srv.Bucket+"/gpt-4o__resume-test\n", second.stdout)
	third := run("One more?")
	assert.Contains(t, third.stdout, "resumed 4 messages")
}
