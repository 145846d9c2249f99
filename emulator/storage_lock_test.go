//go:build unix && !aix

package emulator_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holdDirEnv names the data directory TestDataDirLockHolder opens, in a child process.
const holdDirEnv = "EMULATOR_TEST_HOLD_DATA_DIR"

// The lock tests do not run in parallel: a process forked by another test shares, until it
// execs, the open files of this one, lock included.

func TestDataDirLockedWhileOpen(t *testing.T) {
	dir := t.TempDir()
	first, err := emulator.New(stDataDirConfig(dir))
	require.NoError(t, err)
	upload := filepath.Join(dir, "tmp", "upload-in-progress")
	require.NoError(t, os.WriteFile(upload, []byte("partial"), 0o644))

	_, err = emulator.New(stDataDirConfig(dir))
	require.ErrorIs(t, err, emulator.ErrDataDirInUse)
	assert.Regexp(t, "^emulator storage: data directory "+regexp.QuoteMeta(dir)+
		` is in use by another process \(pid `+strconv.Itoa(os.Getpid())+`\)$`, err.Error())
	assert.FileExists(t, upload, "the refused storage leaves the open one's files alone")

	require.NoError(t, first.Close())
	again, err := emulator.New(stDataDirConfig(dir))
	require.NoError(t, err, "closing releases the directory")
	require.NoError(t, again.Close())
}

func TestDataDirLockDiesWithTheProcess(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestDataDirLockHolder$")
	child.Env = append(os.Environ(), holdDirEnv+"="+dir)
	stdin, err := child.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	stdout, err := child.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, child.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	_, err = emulator.New(stDataDirConfig(dir))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "(pid "+strconv.Itoa(child.Process.Pid)+")")

	require.NoError(t, child.Process.Kill())
	_ = child.Wait()
	e, err := emulator.New(stDataDirConfig(dir))
	require.NoError(t, err, "a killed process's lock is released")
	require.NoError(t, e.Close())
}

// TestDataDirLockHolder is the child process of TestDataDirLockDiesWithTheProcess: it opens the
// data directory, says so on stdout and keeps it open until stdin closes or it is killed.
func TestDataDirLockHolder(t *testing.T) {
	dir := os.Getenv(holdDirEnv)
	if dir == "" {
		t.Skip("run by TestDataDirLockDiesWithTheProcess")
	}
	e, err := emulator.New(stDataDirConfig(dir))
	require.NoError(t, err)
	defer e.Close()
	_, err = os.Stdout.WriteString("locked\n")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, os.Stdin)
}
