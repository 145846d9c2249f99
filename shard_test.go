package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator/emulatortest"
)

func TestAutoShard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		env      map[string]string
		shards   int
		shard, n int
		wantErr  string
	}{
		{"kubernetes", map[string]string{"JOB_COMPLETION_INDEX": "3"}, 8, 3, 8, ""},
		{"kubernetes without count", map[string]string{"JOB_COMPLETION_INDEX": "3"}, 0, 0, 0, "give the Job's completions as --shards N"},
		{"kubernetes index too big", map[string]string{"JOB_COMPLETION_INDEX": "8"}, 8, 0, 0, "index 8 (from JOB_COMPLETION_INDEX) is not below the count 8"},
		{"kubernetes bad index", map[string]string{"JOB_COMPLETION_INDEX": "x"}, 8, 0, 0, `JOB_COMPLETION_INDEX="x" is not a number`},
		{"slurm count", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, 0, 2, 4, ""},
		{"slurm min max", map[string]string{"SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_MAX": "15"}, 0, 2, 6, ""},
		{"slurm flag wins", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4"}, 2, 1, 2, ""},
		{"slurm no count", map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, 0, 0, 0, "nor SLURM_ARRAY_TASK_MAX; give --shards N"},
		{"slurm below min", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_COUNT": "4"}, 0, 0, 0, "below SLURM_ARRAY_TASK_MIN"},
		{"neither", map[string]string{}, 4, 0, 0, "neither JOB_COMPLETION_INDEX (a Kubernetes indexed Job) nor SLURM_ARRAY_TASK_ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shard, n, err := autoShard(tc.shards, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, [2]int{tc.shard, tc.n}, [2]int{shard, n})
		})
	}
}

func TestBatchShardAuto(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte("{}\n{}\n{}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.lua"), []byte(`return function() end`), 0o644))
	env := map[string]string{"DIAL_URL": srv.URL, "DIAL_API_KEY": srv.Key,
		"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"}
	r := batchCommand(t.Context(), dir, env, false, "s.lua", "--input", "in.jsonl",
		"--output", "out.jsonl", "--shard", "auto")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "in shard 1/3")

	delete(env, "SLURM_ARRAY_TASK_ID")
	r = batchCommand(t.Context(), dir, env, false, "s.lua", "--input", "in.jsonl",
		"--output", "out.jsonl", "--shard", "auto")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "neither JOB_COMPLETION_INDEX")

	r = batchCommand(t.Context(), dir, env, false, "s.lua", "--input", "in.jsonl",
		"--output", "out.jsonl", "--shard", "0/2", "--shards", "2")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--shards goes with --shard auto")
}
