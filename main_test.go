package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/cli")

// binDir holds the dialua binary built for the tests that need a process of their own.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "dialua-test-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildErr  error
)

// binary builds dialua once per test run, as the Dockerfile does (static, without cgo), and
// returns its path.
func binary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(binDir, "dialua")
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-trimpath", "-o", path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return path
}

// result is what one dialua invocation did.
type result struct {
	code           int
	stdout, stderr string
}

// invocation describes a run of the command in-process.
type invocation struct {
	args  []string
	env   map[string]string
	stdin string
	// terminal makes standard input look like a terminal.
	terminal bool
	ctx      context.Context
	// configDir is the user's configuration directory; a new temporary one when "".
	configDir string
}

// runIn runs the command in-process with the environment inv.env only.
func runIn(t *testing.T, inv invocation) result {
	t.Helper()
	var stdout, stderr testutil.SyncBuffer
	c := newCommand(strings.NewReader(inv.stdin), &stdout, &stderr, func(k string) string {
		return inv.env[k]
	})
	c.isTerminal = func(v any) bool { return inv.terminal && v == c.stdin }
	cfgDir := inv.configDir
	if cfgDir == "" {
		cfgDir = t.TempDir()
	}
	c.configDir = func() (string, error) { return cfgDir, nil }
	ctx := inv.ctx
	if ctx == nil {
		ctx = t.Context()
	}
	code := c.main(ctx, inv.args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// cli runs dialua in-process with args and no environment.
func cli(t *testing.T, args ...string) result {
	t.Helper()
	return runIn(t, invocation{args: args})
}

var (
	portPattern    = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	requestLine    = regexp.MustCompile(`(?m)^dialua: (GET|POST|PUT|DELETE|HEAD) .*$`)
	durationInLine = regexp.MustCompile(`\b\d+(\.\d+)?(µs|ms|s)\b`)
	goVersion      = regexp.MustCompile(`dialua \S+( \S+)? \(Lua 5\.1 on gopher-lua \S+, go\S+\)`)
	tempDir        = regexp.MustCompile(`/tmp/\S+?/\d+/`)
)

// normalize replaces what changes from run to run: loopback ports, durations, versions.
func normalize(s string) string {
	s = portPattern.ReplaceAllString(s, "127.0.0.1:PORT")
	s = requestLine.ReplaceAllStringFunc(s, func(line string) string {
		return durationInLine.ReplaceAllString(line, "DURATION")
	})
	s = goVersion.ReplaceAllString(s, "dialua VERSION")
	return tempDir.ReplaceAllString(s, "TMP/")
}

// golden compares got with testdata/cli/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "cli", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test -run %s -update", t.Name())
	assert.Equal(t, string(want), got, "differs from %s (go test -update rewrites it)", path)
}

// transcript is the golden form of a result.
func (r result) transcript() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, normalize(r.stdout),
		normalize(r.stderr))
}

// closedPort returns the address of a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// writeScript writes a script into a new temporary directory and returns its path.
func writeScript(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(src), 0o755))
	return path
}

// emulatorNotice is the notice of a run against the embedded emulator.
const emulatorNotice = "dialua: no DIAL URL configured; using the embedded emulator at http://127.0.0.1:PORT\n"
