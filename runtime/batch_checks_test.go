package runtime_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/dialhost"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/runtime"
)

// checksScript records checks both ways: dial.check while it runs, and a table it returns.
const checksScript = `local dial = require("dial")
return function(r)
  dial.check("called", true)
  if r.n == 2 then dial.check("even", r.n % 2 == 0, "n=" .. r.n) end
  if r.n == 3 then
    return r.n, { { name = "small", ok = false, detail = "n is " .. r.n }, { name = "odd", ok = true } }
  end
  if r.n == 4 then return nil, "no answer for 4" end
  return r.n, { small = true }
end`

// runChecks runs checksScript over in.jsonl of dir with the dial module.
func runChecks(t *testing.T, dir string, opts runtime.BatchOptions) (runtime.BatchSummary, error) {
	t.Helper()
	srv := emulatortest.NewServer(t)
	dc := dialConfig(t, srv, dial.PoolOptions{})
	opts.Script, opts.Input, opts.Output = "checks.lua", "in.jsonl", "out.jsonl"
	if opts.Source == nil {
		opts.Source = []byte(checksScript)
	}
	return runtime.RunBatch(t.Context(), runtime.Config{WorkDir: dir,
		Modules: []runtime.Module{dialhost.Module(dc)}}, opts)
}

func TestBatchChecksInLinesAndReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 4)
	sum, err := runChecks(t, dir, runtime.BatchOptions{Ordered: true, Report: true})
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dir, "out.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, `{"key":"r1","output":1,"checks":{"called":true,"small":true}}
{"key":"r2","output":2,"checks":{"called":true,"even":{"detail":"n=2","ok":true},"small":true}}
{"key":"r3","output":3,"checks":{"called":true,"odd":true,"small":{"detail":"n is 3","ok":false}}}
{"key":"r4","error":{"kind":"script","message":"no answer for 4"},"checks":{"called":true}}
`, string(data))
	assert.True(t, sum.AnyCheckFailed())
	assert.Equal(t, []runtime.CheckCount{
		{Name: "called", Passed: 4},
		{Name: "even", Passed: 1},
		{Name: "odd", Passed: 1},
		{Name: "small", Passed: 2, Failed: 1,
			Failures: []runtime.CheckFailure{{Key: []byte(`"r3"`), Detail: "n is 3"}}},
	}, sum.Checks)

	// Without Report nothing is counted.
	dir2 := t.TempDir()
	writeLines(t, dir2, 1)
	sum, err = runChecks(t, dir2, runtime.BatchOptions{})
	require.NoError(t, err)
	assert.Nil(t, sum.Checks)
	assert.False(t, sum.AnyCheckFailed())
}

// A resumed run's report counts the records earlier runs did, from their lines, and only
// those of its shard's input.
func TestBatchReportCoversEarlierRuns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 2)
	sum, err := runChecks(t, dir, runtime.BatchOptions{Report: true})
	require.NoError(t, err)
	assert.False(t, sum.AnyCheckFailed())
	// A line of a key the input does not have is not counted.
	f, err := os.OpenFile(filepath.Join(dir, "out.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"key":"gone","output":0,"checks":{"small":false}}` + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	writeLines(t, dir, 3)
	sum, err = runChecks(t, dir, runtime.BatchOptions{Report: true})
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Skipped)
	assert.Equal(t, 1, sum.Succeeded)
	assert.True(t, sum.AnyCheckFailed())
	assert.Equal(t, []runtime.CheckCount{
		{Name: "called", Passed: 3},
		{Name: "even", Passed: 1},
		{Name: "odd", Passed: 1},
		{Name: "small", Passed: 2, Failed: 1,
			Failures: []runtime.CheckFailure{{Key: []byte(`"r3"`), Detail: "n is 3"}}},
	}, sum.Checks)
}

// With parts, the report counts each key of the input by its last result in part name order,
// the parts of earlier runs and of other shards included.
func TestBatchReportFromParts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 3)
	parts := runtime.DirParts(filepath.Join(dir, "out"))
	for name, data := range map[string]string{
		"part-0-000000.jsonl": `{"key":"r1","output":1,` +
			`"checks":{"small":{"ok":false,"detail":"old"}}}` + "\n",
		"part-1-000000.jsonl": `{"key":"r1","output":1,"checks":{"small":true}}` + "\n" +
			`{"key":"gone","output":0,"checks":{"small":false}}` + "\n",
	} {
		require.NoError(t, parts.Create(t.Context(), name, []byte(data)))
	}
	sum, err := runChecks(t, dir, runtime.BatchOptions{Parts: parts, Report: true})
	require.NoError(t, err)
	assert.Equal(t, 1, sum.Skipped)
	assert.Equal(t, 2, sum.Succeeded)
	assert.Equal(t, []runtime.CheckCount{
		{Name: "called", Passed: 2},
		{Name: "even", Passed: 1},
		{Name: "odd", Passed: 1},
		{Name: "small", Passed: 2, Failed: 1,
			Failures: []runtime.CheckFailure{{Key: []byte(`"r3"`), Detail: "n is 3"}}},
	}, sum.Checks)
}

func TestBatchChecksMistakes(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ script, want string }{
		"not a boolean":   {`return function(r) return 1, { good = "yes" } end`, `check \"good\" is a string, not a boolean`},
		"entry no ok":     {`return function(r) return 1, { { name = "x" } } end`, `check 1 needs a name (a string) and ok (a boolean)`},
		"entry not table": {`return function(r) return 1, { true } end`, `check 1 is a boolean, not {name = …, ok = …}`},
		"bad detail":      {`return function(r) return 1, { { name = "x", ok = true, detail = {} } } end`, `check \"x\": detail is a table, not a string`},
		"check no name":   {`return function(r) require("dial").check("", true) return 1 end`, `a check needs a name`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeLines(t, dir, 1)
			sum, err := runChecks(t, dir, runtime.BatchOptions{Source: []byte(tc.script)})
			require.NoError(t, err)
			assert.Equal(t, 1, sum.Failed)
			data, err := os.ReadFile(filepath.Join(dir, "out.jsonl"))
			require.NoError(t, err)
			assert.Contains(t, string(data), tc.want)
		})
	}
}

// A second result with a metatable is not checks: a dial response after its text, as
// `return assert(client:ask(…))` returns, or a decoded JSON object, is ignored as before.
func TestBatchSecondResultWithMetatableIsNotChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 2)
	sum, err := runChecks(t, dir, runtime.BatchOptions{Ordered: true, Source: []byte(`
local client = require("dial").default()
return function(r)
  if r.n == 1 then return assert(client:ask("echo", "hi")) end
  return r.n, require("json").decode('{"small": "not a boolean"}')
end`)})
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Succeeded)
	data, err := os.ReadFile(filepath.Join(dir, "out.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, `{"key":"r1","output":"hi"}`+"\n"+`{"key":"r2","output":2}`+"\n", string(data))
}

// dial.check outside a record (here while the script loads) raises an error that says why.
func TestDialCheckOutsideRecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 1)
	_, err := runChecks(t, dir, runtime.BatchOptions{
		Source: []byte(`require("dial").check("at load", true) return function() end`)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dial.check: no batch record is running")
}

// Check names and details pass through Redact, as error records do.
func TestBatchRedactsChecks(t *testing.T) {
	t.Parallel()
	const secret = "sk-check-secret-1"
	dir := t.TempDir()
	writeLines(t, dir, 1)
	script := `local dial = require("dial")
local secret = "` + secret + `"
return function(r)
  dial.check("has " .. secret, false, "saw " .. secret)
  return 1, { [secret] = true }
end`
	sum, err := runChecks(t, dir, runtime.BatchOptions{Source: []byte(script), Report: true,
		Redact: func(s string) string { return strings.ReplaceAll(s, secret, "[x]") }})
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dir, "out.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, `{"key":"r1","output":1,"checks":{"[x]":true,"has [x]":{"detail":"saw [x]","ok":false}}}`+"\n", string(data))
	require.Len(t, sum.Checks, 2)
	assert.Equal(t, "has [x]", sum.Checks[1].Name)
}
