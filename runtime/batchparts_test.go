package runtime_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/runtime"
)

// partKeys reads every part in dir and returns how many lines each key has, and the part names.
func partKeys(t *testing.T, dir string) (map[string]int, []string) {
	t.Helper()
	names, err := runtime.DirParts(dir).List(t.Context())
	require.NoError(t, err)
	parts := runtime.PartNames(names)
	keys := map[string]int{}
	for _, name := range parts {
		f, err := os.Open(filepath.Join(dir, name))
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r batchResult
			require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
			keys[string(r.Key)]++
		}
		f.Close()
	}
	return keys, parts
}

// doubleScript returns each record's n times two.
const doubleScript = `return function(r) return r.n * 2 end`

func TestBatchPartsResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 10)
	out := filepath.Join(dir, "out")
	opts := runtime.BatchOptions{Script: "s.lua", Source: []byte(doubleScript),
		Input: "in.jsonl", Parts: runtime.DirParts(out), FlushRecords: 3, Workers: 2}
	sum, err := runBatch(t, t.Context(), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, 10, sum.Succeeded)
	keys, parts := partKeys(t, out)
	assert.Equal(t, []string{"part-0-000000.jsonl", "part-0-000001.jsonl",
		"part-0-000002.jsonl", "part-0-000003.jsonl"}, parts, "3 records a part, the rest at the end")
	require.Len(t, keys, 10)
	for k, n := range keys {
		assert.Equal(t, 1, n, "key %s", k)
	}

	sum, err = runBatch(t, t.Context(), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, 10, sum.Skipped, "a second run takes the keys of the parts")
	assert.Zero(t, sum.Succeeded)
	_, again := partKeys(t, out)
	assert.Equal(t, parts, again, "and writes no part")
}

// racingStore is a folder where, just before the first Create, another process creates a part
// of the same name.
type racingStore struct {
	runtime.DirParts
	once sync.Once
}

func (s *racingStore) Create(ctx context.Context, name string, data []byte) error {
	s.once.Do(func() {
		if err := s.DirParts.Create(ctx, name, []byte(`{"key":"other","output":1}`+"\n")); err != nil {
			panic(err)
		}
	})
	return s.DirParts.Create(ctx, name, data)
}

func TestBatchPartsNeverReplaceAPart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 4)
	out := filepath.Join(dir, "out")
	sum, err := runBatch(t, t.Context(), dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte(doubleScript), Input: "in.jsonl",
		Parts: &racingStore{DirParts: runtime.DirParts(out)}, FlushRecords: 10})
	require.NoError(t, err)
	assert.Equal(t, 4, sum.Succeeded)
	keys, parts := partKeys(t, out)
	assert.Equal(t, []string{"part-0-000000.jsonl", "part-0-000001.jsonl"}, parts,
		"the taken name is kept, the results go to the next")
	assert.Equal(t, map[string]int{`"other"`: 1, `"r1"`: 1, `"r2"`: 1, `"r3"`: 1, `"r4"`: 1}, keys)
	first, err := os.ReadFile(filepath.Join(out, "part-0-000000.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, `{"key":"other","output":1}`+"\n", string(first))
}

func TestBatchPartsFlushWhenCanceled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 20)
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Records after the third wait until canceled; the third result cancels the run.
	script := `local t = require("testutil")
return function(r) if r.n > 3 then t.sleep(60000) end return r.n end`
	sum, err := runBatch(t, ctx, dir, runtime.BatchOptions{Script: "s.lua",
		Source: []byte(script), Input: "in.jsonl", Parts: runtime.DirParts(out),
		FlushRecords: 1000, FlushInterval: time.Hour, Workers: 2, Ordered: true,
		Progress: func(p runtime.BatchProgress) {
			if p.Done == 3 {
				cancel()
			}
		}})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 3, sum.Succeeded)
	keys, parts := partKeys(t, out)
	assert.Len(t, parts, 1, "the buffered results are flushed when the run is canceled")
	assert.Equal(t, map[string]int{`"r1"`: 1, `"r2"`: 1, `"r3"`: 1}, keys)
}

// signalStore closes created after the first part is created.
type signalStore struct {
	runtime.DirParts
	created chan struct{}
	once    sync.Once
}

func (s *signalStore) Create(ctx context.Context, name string, data []byte) error {
	err := s.DirParts.Create(ctx, name, data)
	s.once.Do(func() { close(s.created) })
	return err
}

func TestBatchPartsFlushInterval(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLines(t, dir, 2)
	out := filepath.Join(dir, "out")
	store := &signalStore{DirParts: runtime.DirParts(out), created: make(chan struct{})}
	// The second record waits for the first part: only the interval can flush it.
	waitPart := runtime.Preload("gate", func(L *lua.LState) int {
		L.Push(L.NewFunction(func(L *lua.LState) int {
			select {
			case <-store.created:
			case <-time.After(20 * time.Second):
				L.RaiseError("no part was flushed")
			}
			return 0
		}))
		return 1
	})
	script := `local wait = require("gate")
return function(r) if r.n == 2 then wait() end return r.n end`
	cfg := runtime.Config{WorkDir: dir, Modules: []runtime.Module{waitPart}}
	sum, err := runtime.RunBatch(t.Context(), cfg, runtime.BatchOptions{Script: "s.lua",
		Source: []byte(script), Input: "in.jsonl", Parts: store, FlushRecords: 1000,
		FlushInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Succeeded)
	assert.Zero(t, sum.Failed)
	keys, parts := partKeys(t, out)
	assert.Len(t, parts, 2)
	assert.Equal(t, map[string]int{`"r1"`: 1, `"r2"`: 1}, keys)
	assert.True(t, slices.IsSorted(parts))
}
