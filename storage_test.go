package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/runtime"
)

// testFolder returns the storage folder files/<bucket>/name/ of srv.
func testFolder(t *testing.T, srv *emulatortest.Server, name string) storageFolder {
	t.Helper()
	c, err := dial.NewClient(srv.URL, dial.WithAPIKey(srv.Key))
	require.NoError(t, err)
	f, err := newStorageFolder(c, "files/"+srv.Bucket+"/"+name+"/")
	require.NoError(t, err)
	return f
}

// readPartKeys returns how many times each key is in the parts of f.
func readPartKeys(t *testing.T, f storageFolder) map[string]int {
	t.Helper()
	names, err := f.List(t.Context())
	require.NoError(t, err)
	keys := map[string]int{}
	for _, name := range runtime.PartNames(names) {
		require.NoError(t, runtime.ReadPart(t.Context(), f, name,
			func(key string, _ bool, _ []byte) error { keys[key]++; return nil }))
	}
	return keys
}

func TestStorageFolderNeverReplaces(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	f := testFolder(t, srv, "parts")
	names, err := f.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, names, "a missing folder has no files")
	require.NoError(t, f.Create(t.Context(), "a.jsonl", []byte("first\n")))
	err = f.Create(t.Context(), "a.jsonl", []byte("second\n"))
	require.ErrorIs(t, err, runtime.ErrPartExists, "the server answers 412 to If-None-Match: *")
	rc, err := f.Open(t.Context(), "a.jsonl")
	require.NoError(t, err)
	data, err := io.ReadAll(rc)
	rc.Close()
	require.NoError(t, err)
	assert.Equal(t, "first\n", string(data))
}

func TestBatchStorageOutput(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	var in bytes.Buffer
	for i := 1; i <= 7; i++ {
		json.NewEncoder(&in).Encode(map[string]any{"id": i, "n": i})
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), in.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.lua"),
		[]byte(`return function(r) return r.n * 2 end`), 0o644))
	out := "files/" + srv.Bucket + "/run/"
	r := runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input", "in.jsonl",
		"--output", out, "--flush-records", "2", "-j", "2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "7 records: 7 succeeded")
	f := testFolder(t, srv, "run")
	names, err := f.List(t.Context())
	require.NoError(t, err)
	assert.Len(t, runtime.PartNames(names), 4, "2 results a part")
	keys := readPartKeys(t, f)
	assert.Len(t, keys, 7)
	for k, n := range keys {
		assert.Equal(t, 1, n, "key %s", k)
	}

	r = runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input", "in.jsonl",
		"--output", out)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "0 succeeded, 0 failed, 7 done before")
}

func TestBatchStorageOutputErrors(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte("{}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.lua"), []byte(`return print`), 0o644))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--output", "files/" + srv.Bucket + "/out.jsonl"}, exitUsage, "a storage output is a folder URL, ending in '/'"},
		{[]string{"--output", "files/" + srv.Bucket + "/o/", "--flush-records", "0"}, exitUsage, "--flush-records must be at least 1"},
		{[]string{"--output", "files/" + srv.Bucket + "/o/", "--flush-interval", "0s"}, exitUsage, "--flush-interval must be positive"},
		{[]string{"--output", "files/" + srv.Bucket + "/a/../b/"}, exitFailure, "--output"},
	} {
		r := runBatchCommand(t, t.Context(), srv, dir, false,
			append([]string{"s.lua", "--input", "in.jsonl"}, tc.args...)...)
		assert.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, tc.args)
		assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
	}
}

func TestBatchStorageInput(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	c, err := dial.NewClient(srv.URL, dial.WithAPIKey(srv.Key))
	require.NoError(t, err)
	root := "files/" + srv.Bucket + "/"
	upload := func(name, content string) {
		_, err := c.UploadFile(t.Context(), root+name, strings.NewReader(content))
		require.NoError(t, err)
	}
	upload("in.jsonl", "{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":2}\n")
	upload("docs/x.txt", "xx")
	upload("docs/.hidden", "h")
	upload("docs/w.txt", "w")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.lua"), []byte(
		`return function(r) if r.url then return r.url .. " " .. r.name end return r.n * 2 end`), 0o644))

	r := runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input", root+"in.jsonl",
		"--output", "out.jsonl")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, `{"key":"a","output":2}`+"\n"+`{"key":"b","output":4}`+"\n",
		readFile(t, filepath.Join(dir, "out.jsonl")))

	r = runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input", srv.URL+"/v1/"+root+"docs/",
		"--output", "docs.jsonl")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, `{"key":"w.txt","output":"`+root+`docs/w.txt w.txt"}`+"\n"+
		`{"key":"x.txt","output":"`+root+`docs/x.txt x.txt"}`+"\n",
		readFile(t, filepath.Join(dir, "docs.jsonl")), "the files of a folder, in name order, hidden ones aside")

	r = runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input", root+"missing.jsonl",
		"--output", "m.jsonl")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "input")
	assert.NotContains(t, r.stderr, srv.Key)
}

func TestBatchMerge(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	var in bytes.Buffer
	for i := 1; i <= 9; i++ {
		json.NewEncoder(&in).Encode(map[string]any{"id": i, "n": i})
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), in.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.lua"),
		[]byte(`return function(r) return r.n * 2 end`), 0o644))
	out := "files/" + srv.Bucket + "/run/"
	for _, shard := range []string{"0/2", "1/2"} {
		r := runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input", "in.jsonl",
			"--output", out, "--shard", shard, "--flush-records", "2")
		require.Equal(t, 0, r.code, r.stderr)
	}
	var want strings.Builder
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&want, "{\"key\":%d,\"output\":%d}\n", i, 2*i)
	}
	merge := func(args ...string) batchRun {
		return runBatchCommand(t, t.Context(), srv, dir, false, append([]string{"merge"}, args...)...)
	}
	r := merge(out, "--to", filepath.Join(dir, "all.jsonl"), "--input", filepath.Join(dir, "in.jsonl"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, want.String(), readFile(t, filepath.Join(dir, "all.jsonl")))
	assert.Contains(t, r.stderr, "9 records (0 duplicate results dropped")

	r = merge(out, "--to", "files/"+srv.Bucket+"/all.jsonl", "--input", filepath.Join(dir, "in.jsonl"))
	require.Equal(t, 0, r.code, r.stderr)
	c, err := dial.NewClient(srv.URL, dial.WithAPIKey(srv.Key))
	require.NoError(t, err)
	d, err := c.DownloadFile(t.Context(), "files/"+srv.Bucket+"/all.jsonl")
	require.NoError(t, err)
	got, err := io.ReadAll(d)
	d.Close()
	require.NoError(t, err)
	assert.Equal(t, want.String(), string(got))

	require.NoError(t, os.WriteFile(filepath.Join(dir, "more.jsonl"),
		append(in.Bytes(), "{\"id\":\"new\"}\n"...), 0o644))
	r = merge(out, "--to", filepath.Join(dir, "more-out.jsonl"), "--input", filepath.Join(dir, "more.jsonl"))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, `1 of 10 records have no result`)
	assert.Contains(t, r.stderr, `: "new"`)
	assert.NoFileExists(t, filepath.Join(dir, "more-out.jsonl"))

	local := filepath.Join(dir, "parts")
	require.NoError(t, runtime.DirParts(local).Create(t.Context(), "part-0-000000.jsonl",
		[]byte(`{"key":1,"output":"x"}`+"\n")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "one.jsonl"), []byte(`{"id":1}`+"\n"), 0o644))
	r = merge(local, "--to", filepath.Join(dir, "one-out.jsonl"), "--input", filepath.Join(dir, "one.jsonl"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, `{"key":1,"output":"x"}`+"\n", readFile(t, filepath.Join(dir, "one-out.jsonl")))

	r = merge(local, "--input", "x")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--to is required")
}

// --report over a storage output counts the checks of the records in its parts, earlier
// runs' included: a first run whose checks pass exits 0; a second, over more records, one
// of which fails a check, exits 1 with the report of every record; a third, with nothing
// left to run, reports the same from the parts alone.
func TestBatchStorageOutputReport(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "s.lua", `local dial = require("dial")
return function(r)
  dial.check("positive", r.n > 0)
  return r.n, { { name = "small", ok = r.n < 10, detail = "n is " .. r.n } }
end`)
	writeFile(t, dir, "in.jsonl", "{\"id\":1,\"n\":1}\n{\"id\":2,\"n\":2}\n")
	out := "files/" + srv.Bucket + "/checked/"
	reportJSON := filepath.Join(dir, "report.json")
	run := func() batchRun {
		return runBatchCommand(t, t.Context(), srv, dir, false, "s.lua", "--input", "in.jsonl",
			"--output", out, "--flush-records", "1", "--report-json", reportJSON)
	}
	r := run()
	require.Equal(t, 0, r.code, r.stderr)
	const header = "CHECK     PASSED  FAILED  FAILED RECORDS\n"
	assert.Equal(t, header+"positive  2       0\nsmall     2       0\n", r.stdout)
	var first checkReport
	require.NoError(t, json.Unmarshal([]byte(readFile(t, reportJSON)), &first))
	assert.Equal(t, checkReport{Output: out, Records: 2, Passed: true, Checks: []runtime.CheckCount{
		{Name: "positive", Passed: 2}, {Name: "small", Passed: 2}}}, first)

	writeFile(t, dir, "in.jsonl",
		"{\"id\":1,\"n\":1}\n{\"id\":2,\"n\":2}\n{\"id\":\"big\",\"n\":30}\n")
	r = run()
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "1 succeeded, 0 failed, 2 done before")
	want := header + "positive  3       0\nsmall     2       1       \"big\" (n is 30)\n"
	assert.Equal(t, want, r.stdout)
	var report checkReport
	require.NoError(t, json.Unmarshal([]byte(readFile(t, reportJSON)), &report))
	assert.Equal(t, checkReport{Output: out, Records: 3, Passed: false, Checks: []runtime.CheckCount{
		{Name: "positive", Passed: 3},
		{Name: "small", Passed: 2, Failed: 1,
			Failures: []runtime.CheckFailure{{Key: json.RawMessage(`"big"`), Detail: "n is 30"}}},
	}}, report)

	require.NoError(t, os.Remove(reportJSON))
	again := run()
	assert.Equal(t, 1, again.code, again.stderr)
	assert.Contains(t, again.stderr, "0 succeeded, 0 failed, 3 done before")
	assert.Equal(t, want, again.stdout)
	var rerun checkReport
	require.NoError(t, json.Unmarshal([]byte(readFile(t, reportJSON)), &rerun))
	assert.Equal(t, report, rerun)
}
