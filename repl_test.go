//go:build unix

package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
)

// terminal is dialua running on a pseudo-terminal, as a person at a terminal runs it.
type terminal struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	out  testutil.SyncBuffer
	mark int // how much of the cleaned output earlier expectations consumed
	done chan error
}

// startTerminal runs the dialua binary with args on a new pseudo-terminal, with the user's
// configuration directory in configDir and the DIAL environment cleared.
func startTerminal(t *testing.T, configDir string, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+configDir, "HOME="+configDir, "TERM=xterm",
		"DIAL_URL=", "DIAL_API_KEY=", "DIAL_BEARER_TOKEN=")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	require.NoError(t, err)
	tm := &terminal{t: t, cmd: cmd, pty: f, done: make(chan error, 1)}
	go func() { _, _ = io.Copy(&tm.out, f) }()
	go func() { tm.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		f.Close()
	})
	return tm
}

// send types s.
func (tm *terminal) send(s string) {
	tm.t.Helper()
	_, err := tm.pty.Write([]byte(s))
	require.NoError(tm.t, err)
}

// escapes matches terminal control sequences.
var escapes = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r`)

// screen returns the output so far without control sequences and carriage returns.
func (tm *terminal) screen() string { return escapes.ReplaceAllString(tm.out.String(), "") }

// expect waits until want appears in the output after what earlier expectations matched.
func (tm *terminal) expect(want string) {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := tm.screen()
		if i := strings.Index(s[tm.mark:], want); i >= 0 {
			tm.mark += i + len(want)
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("waited for %q; the terminal shows after the last match:\n%s", want, s[tm.mark:])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait waits for the process to end and returns its exit code.
func (tm *terminal) wait() int {
	tm.t.Helper()
	select {
	case err := <-tm.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		require.NoError(tm.t, err)
		return 0
	case <-time.After(15 * time.Second):
		tm.t.Fatalf("dialua did not exit; the terminal shows:\n%s", tm.screen()[tm.mark:])
		return -1
	}
}

// TestREPLOnATerminal drives the REPL through a pseudo-terminal: results, continuation lines,
// completion, Ctrl-C during a streamed answer and at the prompt, Ctrl-D, and the history file,
// which must keep neither the configured key nor a line that assigns a credential.
func TestREPLOnATerminal(t *testing.T) {
	t.Parallel()
	configDir := t.TempDir()
	historyFile := filepath.Join(configDir, "dialua", "history")

	tm := startTerminal(t, configDir) // no arguments on a terminal: the REPL
	tm.expect("DIAL: the embedded emulator at http://127.0.0.1:")
	tm.expect("> ")
	tm.send("1 + 2\r")
	tm.expect("\n3\n> ")

	tm.send("t = {\r")
	tm.expect(">> ")
	tm.send("1, {k = json.null}}\r")
	tm.expect("> ")
	tm.send("t\r")
	tm.expect("{ 1, { k = json.null } }\n> ")
	tm.send("function g() -- a comment\r") // saved whole, on one line
	tm.expect(">> ")
	tm.send("end\r")
	tm.expect("> ")

	tm.send("dial.defa\t")
	tm.expect("dial.default")
	tm.send("()\r")
	tm.expect("dial.client(http://127.0.0.1:")
	tm.expect("> ")
	tm.send("c = dial.default()\r")
	tm.expect("> ")
	tm.send("c:deploy\t") // the common prefix of the methods
	tm.expect("c:deployment")
	tm.send("\t") // the candidates
	tm.expect("deployment_configuration")
	tm.send("\x15") // Ctrl-U: clear the line

	// Ctrl-C while a slow stream is running: back to the prompt at once, and the REPL goes on.
	tm.send(`for ch in c:stream{deployment = "slow", messages = {{role = "user", ` +
		`content = string.rep("w ", 300)}}} do io.write("+") io.flush() end` + "\r")
	tm.expect("+++")
	start := time.Now()
	tm.send("\x03")
	tm.expect("interrupted!\n> ")
	assert.Less(t, time.Since(start), 5*time.Second)
	tm.send("=2 * 21\r")
	tm.expect("\n42\n> ")

	// Ctrl-C at the prompt throws the line away.
	tm.send("this is not Lua")
	tm.send("\x03")
	tm.send("'after ^C'\r")
	tm.expect("\nafter ^C\n> ")
	assert.NotContains(t, tm.screen(), "syntax error")

	tm.send(`k = { api_key = "typed-key-123" }` + "\r")
	tm.expect("> ")
	tm.send("\x04") // Ctrl-D
	assert.Equal(t, 0, tm.wait())

	// A second session with a key configured: the line with the key stays out of the history,
	// and the history of the first session is there.
	const canary = "canary-key-42a7"
	srv := emulatortest.NewServer(t)
	tm = startTerminal(t, configDir, "repl", "--url", srv.URL, "--api-key", canary)
	tm.expect("DIAL: " + srv.URL)
	tm.expect("> ")
	tm.send(`x = "` + canary + `"` + "\r")
	tm.expect("> ")
	tm.send("\x1b[A\r") // the last entry kept: 'after ^C'
	tm.expect("\nafter ^C\n> ")
	tm.send("=c == nil\r")
	tm.expect("\ntrue\n> ")
	tm.send("os.exit(4)\r")
	assert.Equal(t, 4, tm.wait())

	// SIGTERM ends the REPL while it waits for a line.
	tm = startTerminal(t, configDir)
	tm.expect("> ")
	require.NoError(t, tm.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 130, tm.wait())

	history := readFile(t, historyFile)
	lines := strings.Split(strings.TrimSpace(history), "\n")
	assert.Equal(t, []string{
		"1 + 2", "t = { 1, {k = json.null}}", "t", "function g() --[[ a comment]] end", "dial.default()", "c = dial.default()",
		`for ch in c:stream{deployment = "slow", messages = {{role = "user", content = string.rep("w ", 300)}}} do io.write("+") io.flush() end`,
		"=2 * 21", "'after ^C'", "=c == nil", "os.exit(4)", // a repeated entry is kept once
	}, lines)
	assert.NotContains(t, history, canary)
	assert.NotContains(t, history, "api_key")
	st, err := os.Stat(historyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

// TestREPLKeepsOutputWithoutLineBreak runs the README's streaming loop, whose output does not
// end in a line break: the text stays on the screen and the prompt comes on the next line.
func TestREPLKeepsOutputWithoutLineBreak(t *testing.T) {
	t.Parallel()
	tm := startTerminal(t, t.TempDir(), "repl")
	tm.expect("> ")
	tm.send(`for chunk in dial.default():stream{deployment = "gpt-4o", messages = {{role = "user", ` +
		`content = "hi there"}}} do io.write(chunk.choices[1] and chunk.choices[1].delta.content or "") end` + "\r")
	tm.expect("end\nhi there\n> ")
	tm.send(`do io.write("no break") end` + "\r")
	tm.expect("\nno break\n> ")
	tm.send("=1\r") // output ending a line needs no extra one
	tm.expect("\n1\n> ")
	tm.send("\x04")
	assert.Equal(t, 0, tm.wait())
}
