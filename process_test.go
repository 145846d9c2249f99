//go:build unix

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/internal/testutil"
)

// TestShebang runs an executable script through its #! line, with dialua on PATH.
func TestShebang(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "hello")
	require.NoError(t, os.WriteFile(script, []byte("#!/usr/bin/env dialua\n"+
		"print('hello from', arg[0], ...)\nos.exit(tonumber(arg[2]))\n"), 0o755))
	cmd := exec.Command(script, "a", "5")
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.Output()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 5, exit.ExitCode())
	assert.Equal(t, "hello from\t"+script+"\ta\t5\n", string(out))
}

// TestInterruptStopsTheScript sends SIGINT to a script waiting on a slow stream.
func TestInterruptStopsTheScript(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	cmd := exec.Command(bin, "-e", `
		local c = require("dial").default()
		print("started")
		for chunk in c:stream{ deployment = "slow", messages = { { role = "user",
			content = string.rep("word ", 200) } } } do end
		print("not reached")`)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr testutil.SyncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "started\n", line)
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 130, exit.ExitCode())
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, stderr.String(), "dialua: interrupted\n")
}
