package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator/emulatortest"
)

// TestBatchReportEvalPrompts runs the prompt evaluation example with --report: one variant
// fails its check on every record, so the run exits 1 with the table on stdout and the JSON
// report written; a rerun, which has nothing left to run, reports the same from the output.
func TestBatchReportEvalPrompts(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	script, err := filepath.Abs("scripts/eval_prompts.lua")
	require.NoError(t, err)
	input, err := filepath.Abs("scripts/eval_prompts.jsonl")
	require.NoError(t, err)
	args := []string{script, "--input", input, "--output", "eval.jsonl", "--report",
		"--report-json", filepath.Join(dir, "report.json")}
	r := runBatchCommand(t, t.Context(), srv, dir, false, args...)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "4 succeeded, 0 failed")
	golden(t, "batch_eval_prompts", r.stdout)

	var report struct {
		Records int  `json:"records"`
		Passed  bool `json:"passed"`
		Checks  []struct {
			Name           string
			Passed, Failed int
			Failures       []struct{ Key, Detail string }
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "report.json"))), &report))
	assert.Equal(t, 4, report.Records)
	assert.False(t, report.Passed)
	require.Len(t, report.Checks, 4)
	assert.Equal(t, "terse: mentions the answer", report.Checks[2].Name)
	assert.Equal(t, 4, report.Checks[2].Failed)
	assert.Equal(t, "capital-fr", report.Checks[2].Failures[0].Key)
	assert.Equal(t, "expected Paris", report.Checks[2].Failures[0].Detail)

	again := runBatchCommand(t, t.Context(), srv, dir, false, args...)
	assert.Equal(t, 1, again.code, again.stderr)
	assert.Contains(t, again.stderr, "4 done before")
	assert.Equal(t, r.stdout, again.stdout)

	// Without --report, failed checks are recorded but do not fail the run.
	plain := runBatchCommand(t, t.Context(), srv, dir, false, script, "--input", input,
		"--output", "plain.jsonl")
	assert.Equal(t, 0, plain.code, plain.stderr)
	assert.Empty(t, plain.stdout)
	assert.Contains(t, readFile(t, filepath.Join(dir, "plain.jsonl")), `"checks":{`)
}

// When every check passes, the report exits 0; dial.check records checks as well as a returned
// table does.
func TestBatchReportAllPass(t *testing.T) {
	t.Parallel()
	_, _, r := runScriptBatch(t, `local dial = require("dial")
return function(r)
  dial.check("positive", r.n > 0)
  return r.n, { small = r.n < 10 }
end`)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "CHECK     PASSED  FAILED  FAILED RECORDS\npositive  2       0\nsmall     2       0\n",
		r.stdout)
}

// A check whose name or detail holds the API key is written masked, in the output file, the
// report table and the JSON report.
func TestBatchChecksMaskKey(t *testing.T) {
	t.Parallel()
	srv, dir, r := runScriptBatch(t, `local dial = require("dial")
local key = ...
return function(r)
  dial.check("uses " .. key, false, "sent " .. key)
  return 1, { [key] = false }
end`)
	assert.Equal(t, 1, r.code, r.stderr)
	output := readFile(t, filepath.Join(dir, "out.jsonl"))
	report := readFile(t, filepath.Join(dir, "report.json"))
	assert.Contains(t, output, `"uses [REDACTED]":{"detail":"sent [REDACTED]","ok":false}`)
	assert.Contains(t, r.stdout, "uses [REDACTED]")
	for name, text := range map[string]string{"output": output, "stdout": r.stdout,
		"stderr": r.stderr, "report": report} {
		assert.NotContains(t, text, srv.Key, name)
	}
	assert.Contains(t, report, `"passed": false`)
}

// dial.check outside a batch raises an error that says why.
func TestDialCheckInRunFails(t *testing.T) {
	t.Parallel()
	r := cli(t, "-e", `require("dial").check("x", true)`)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "dial.check: no batch record is running")
}

// runScriptBatch runs script with --report-json DIR/report.json over two records
// {"id": 1, "n": 1} and {"id": 2, "n": 2} into DIR/out.jsonl, DIR a new folder, with the
// emulator's key as arg[1].
func runScriptBatch(t *testing.T, script string) (*emulatortest.Server, string, batchRun) {
	t.Helper()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "in.jsonl", "{\"id\":1,\"n\":1}\n{\"id\":2,\"n\":2}\n")
	writeFile(t, dir, "s.lua", script)
	return srv, dir, runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input",
		"in.jsonl", "--output", "out.jsonl", "--report-json", filepath.Join(dir, "report.json"),
		"--", srv.Key)
}
