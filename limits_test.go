//go:build unix

package main

import (
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLimitsStopTheProcess runs the dialua binary into its limits: each run ends with exit
// code 1 and one line naming the limit, with the process's peak memory well under what the
// script asked for. The growing scripts spin once they are past the limit, so that the
// watchdog stops them whenever it samples.
func TestLimitsStopTheProcess(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"string.rep under --sandbox", []string{"--sandbox", "-e", `string.rep("x", 2^40)`},
			"dialua: (command line):1: not enough memory: string.rep would need 1 TiB " +
				"under the memory limit of 1 GiB\n"},
		{"string doubling", []string{"--max-memory", "32M", "-e",
			`local s = "x" for i = 1, 27 do s = s .. s end while true do end`},
			"dialua: (command line):1: memory limit of 32 MiB exceeded\n"},
		{"table growth", []string{"--max-memory", "32MiB", "-e",
			`local t = {} for i = 1, 4e6 do t[i] = i end while true do end`},
			"dialua: (command line):1: memory limit of 32 MiB exceeded\n"},
		{"busy loop", []string{"--max-time", "0.5", "-e", "while true do end"},
			"dialua: (command line):1: time limit of 500ms exceeded\n"},
		{"slow stream", []string{"--sandbox", "--max-time", "300ms", "-e", `
			local c = require("dial").default()
			for chunk in c:stream{ deployment = "slow", messages = { { role = "user",
				content = string.rep("word ", 200) } } } do end`},
			"dialua: (command line):3: time limit of 300ms exceeded\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, tc.args...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "output: %s", out)
			assert.Equal(t, 1, exit.ExitCode(), "output: %s", out)
			assert.Contains(t, normalize(string(out)), tc.msg)
			assert.Contains(t, string(out), "stack traceback:")
			peak := exit.SysUsage().(*syscall.Rusage).Maxrss * 1024 // bytes on Linux
			assert.Less(t, peak, int64(512<<20), "peak memory")
		})
	}
}
