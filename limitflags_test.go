package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSizeFlag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"0": 0, "1M": 1 << 20, "64MiB": 64 << 20, "512mb": 512 << 20, "1G": 1 << 30,
		"1.5g": 3 << 29, " 2GiB ": 2 << 30, "1T": 1 << 40, "1073741824": 1 << 30,
		"2048K": 2 << 20,
	} {
		var f sizeFlag
		require.NoError(t, f.Set(in), in)
		assert.Equal(t, sizeFlag{n: want, set: true}, f, in)
	}
	for in, msg := range map[string]string{
		"lots": `"lots" is not a size such as 512M, 2G or 0`,
		"-1G":  `"-1G" is not a size such as 512M, 2G or 0`,
		"NaN":  `"NaN" is not a size such as 512M, 2G or 0`,
		"G":    `"G" is not a size such as 512M, 2G or 0`,
		"1X":   `"1X" is not a size such as 512M, 2G or 0`,
		"1e30": `"1e30" is not a size such as 512M, 2G or 0`,
		"100":  `"100" is less than 1M (0 means no limit)`,
		"512K": `"512K" is less than 1M (0 means no limit)`,
	} {
		var f sizeFlag
		assert.EqualError(t, f.Set(in), msg, in)
	}
}

func TestMemoryLimitOption(t *testing.T) {
	t.Parallel()
	assert.Equal(t, int64(0), (&options{}).memoryLimit(), "unset: the runtime's default")
	assert.Equal(t, int64(-1), (&options{maxMemory: sizeFlag{set: true}}).memoryLimit(),
		"0: no limit")
	assert.Equal(t, int64(1<<30), (&options{maxMemory: sizeFlag{n: 1 << 30, set: true}}).memoryLimit())

	r := cli(t, "--max-memory", "100", "-e", "x = 1")
	assert.Equal(t, 2, r.code)
	assert.Equal(t, `dialua: invalid argument "100" for "--max-memory" flag: "100" is less than 1M `+
		"(0 means no limit) (see dialua --help)\n", r.stderr)
	r = cli(t, "run", "--max-time", "0", "-e", "x = 1")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `"0": the timeout must be positive`)
}

// TestLimitsReachTheHosts runs into the memory limit given on the command line, in run and in
// batch.
func TestLimitsReachTheHosts(t *testing.T) {
	t.Parallel()
	const rep = `string.rep("x", 2^40)`
	const msg = "not enough memory: string.rep would need 1 TiB under the memory limit of 64 MiB"
	r := cli(t, "--sandbox", "run", "--max-memory", "64M", "-e", rep)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "dialua: (command line):1: "+msg+"\n")

	script := writeScript(t, "rep.lua", "return function(rec) return "+rep+" end")
	input := writeScript(t, "in.jsonl", `{"id": "a"}`+"\n")
	output := filepath.Join(t.TempDir(), "out.jsonl")
	r = cli(t, "--max-memory", "64M", "batch", script, "--input", input, "--output", output)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, readFile(t, output), msg)
}
