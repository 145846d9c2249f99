package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
)

// TestCLIGolden runs the command in-process and compares exit code, stdout and stderr with
// testdata/cli/NAME.golden.
func TestCLIGolden(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	closed := "http://" + closedPort(t)
	for _, tc := range []struct {
		name string
		inv  invocation
		code int
	}{
		{"help", invocation{args: []string{"--help"}}, 0},
		{"help_short", invocation{args: []string{"-h"}}, 0},
		{"help_run", invocation{args: []string{"run", "--help"}}, 0},
		{"help_repl", invocation{args: []string{"repl", "--help"}}, 0},
		{"help_serve", invocation{args: []string{"serve", "--help"}}, 0},
		{"help_command", invocation{args: []string{"help", "serve"}}, 0},
		{"help_batch", invocation{args: []string{"help", "batch"}}, 0},
		{"help_logs", invocation{args: []string{"logs", "--help"}}, 0},
		{"help_help", invocation{args: []string{"help", "--help"}}, 0},
		{"help_unknown", invocation{args: []string{"help", "nope"}}, 2},
		{"bad_flag", invocation{args: []string{"--nope", "x.lua"}}, 2},
		{"bad_flag_run", invocation{args: []string{"run", "--timeout", "soon", "x.lua"}}, 2},
		{"bad_max_retries", invocation{args: []string{"--max-retries", "-1", "x.lua"}}, 2},
		{"bad_flag_serve", invocation{args: []string{"serve", "--port", "1"}}, 2},
		{"bad_url", invocation{args: []string{"--url", "dial.example.com", "-e", "x = 1"}}, 2},
		{"bad_url_env", invocation{args: []string{"-e", "x = 1"},
			env: map[string]string{"DIAL_URL": "ftp://dial.example.com"}}, 2},
		{"openai_url", invocation{args: []string{"--url", "https://dial.example.com/openai/", "-e", "x = 1"}}, 2},
		{"stream_error", invocation{args: []string{"--url", srv.URL, "--api-key", srv.Key, "-e",
			`local c = require("dial").default() for ch in c:stream{deployment = "nope", messages = {{role = "user", content = "x"}}} do end`}}, 1},
		{"lua_path", invocation{args: []string{"-e", `print(package.path) print(require("args") == nil)`},
			env: map[string]string{"LUA_PATH": "testdata/lua/?.lua;;x/?.lua", "LUA_PATH_5_1": "ignored/?.lua"}}, 0},
		{"sandbox_removed", invocation{args: []string{"--sandbox", "-e",
			"print(os.getenv, os.execute, os.tmpname, io.popen, io.tmpfile, debug.getinfo, type(debug.traceback))"}}, 0},
		{"repl_args", invocation{args: []string{"repl", "script.lua"}}, 2},
		{"run_no_script", invocation{args: []string{"run"}, terminal: true}, 2},
		{"missing_script", invocation{args: []string{"testdata/lua/nope.lua"}}, 2},
		{"syntax_error", invocation{args: []string{"testdata/lua/syntax_error.lua"}}, 2},
		{"syntax_error_e", invocation{args: []string{"-e", "x = = 1"}}, 2},
		{"runtime_error", invocation{args: []string{"testdata/lua/runtime_error.lua"}}, 1},
		{"os_exit", invocation{args: []string{"-e", "print('bye') os.exit(7)"}}, 7},
		{"args", invocation{args: []string{"-e", "x = 42", "testdata/lua/args.lua", "a", "--flag", "-e", "c d"}}, 0},
		{"args_run", invocation{args: []string{"--sandbox", "run", "-e", "x = 1", "testdata/lua/args.lua", "--", "z"}}, 0},
		{"args_credentials", invocation{args: []string{"--sandbox", "--api-key", "cred-key-123", "run",
			"--bearer-token=cred-token-123", "-e", "x = 1", "testdata/lua/args.lua", "--api-key", "own"}}, 0},
		{"execute_many", invocation{args: []string{"-e", "a = 1", "-l", "json", "-e", "print(a + 1, json.encode({a}))"}}, 0},
		{"stdin_script", invocation{args: []string{"-", "one", "two"}, stdin: "print('from stdin', ...)\nprint(io.read('a'))"}, 0},
		{"stdin_implicit", invocation{stdin: "print(#arg, arg[0])"}, 0},
		{"interactive_after", invocation{args: []string{"-i", "-e", "x = 5"}, stdin: "x * 2\n"}, 0},
		{"stdin_syntax_error", invocation{stdin: "print('a'\n"}, 2},
		{"shebang", invocation{args: []string{"testdata/lua/shebang.lua", "x"}}, 1},
		{"repl_pipe", invocation{args: []string{"repl"},
			stdin: "1 + 2\n= 'a' .. 'b'\nt = {1, {k = 'v'}}\nt\nfunction f()\n  return 'multi'\nend\nf()\n_\nos.exit(3)\n"}, 3},
		{"repl_ask", invocation{args: []string{"-q", "repl"},
			stdin: "c = dial.default()\nc:ask('gpt-4o', 'hello there')\n_2.choices[1].message\n"}, 0},
		{"repl_stream", invocation{args: []string{"-q", "repl"}, stdin: "it, st = dial.default():stream{" +
			"deployment = 'gpt-4o', messages = {{role = 'user', content = 'one two three'}}}\n" +
			"for ch in it do io.write(ch.choices[1] and ch.choices[1].delta.content or '') end print()\n" +
			"it()\nst:response().choices[1].message.content\n"}, 0},
		{"repl_pipe_error", invocation{args: []string{"repl"},
			stdin: "x = 1\nprint(x)\nerror('oops')\nprint('not reached')\n"}, 1},
		{"repl_pipe_unfinished", invocation{args: []string{"repl"},
			stdin: "print(1)\nfunction f()\n  return 1\n"}, 2},
		{"unreachable_url", invocation{args: []string{"--url", closed, "--max-retries", "0",
			"--api-key", "some-key-123", "testdata/lua/api_error.lua"}}, 1},
		{"bad_key", invocation{args: []string{"--url", srv.URL, "--api-key", "wrong-key-123",
			"testdata/lua/api_error.lua"}}, 1},
		{"bad_key_env", invocation{args: []string{"testdata/lua/api_error.lua"},
			env: map[string]string{"DIAL_URL": srv.URL, "DIAL_API_KEY": "wrong-key-123"}}, 1},
		{"good_key", invocation{args: []string{"--url", srv.URL, "--api-key", srv.Key,
			"testdata/lua/api_error.lua"}}, 0},
		{"flag_beats_env", invocation{args: []string{"--api-key", srv.Key, "testdata/lua/api_error.lua"},
			env: map[string]string{"DIAL_URL": srv.URL, "DIAL_API_KEY": "wrong-key-123"}}, 0},
		{"usage", invocation{args: []string{"--usage", "testdata/lua/usage.lua"}}, 0},
		{"usage_unpriced", invocation{args: []string{"--usage", "-e", "assert(require('dial').default():ask('my-app', 'hi'))"}}, 0},
		{"verbose_error", invocation{args: []string{"--verbose", "--url", srv.URL, "--api-key",
			"wrong-key-123", "-e", "print(require('dial').default():deployments())"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runIn(t, tc.inv)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			golden(t, tc.name, r.transcript())
		})
	}
}

// TestHelpForms checks that every way of asking for a command's help prints the same text on
// stdout and exits 0.
func TestHelpForms(t *testing.T) {
	t.Parallel()
	for _, sub := range []string{"ask", "chat", "config", "run", "repl", "batch", "serve", "help"} {
		want := cli(t, "help", sub)
		require.Equal(t, 0, want.code, want.stderr)
		require.True(t, strings.HasPrefix(want.stdout, "Usage: dialua "+sub+" "), want.stdout)
		assert.Contains(t, want.stdout, "\nFlags:\n", sub)
		assert.Contains(t, want.stdout, "  -h, --help ", sub)
		for _, args := range [][]string{{sub, "-h"}, {sub, "--help"}, {"-h", sub}, {"--help", sub},
			{"--api-key", "canary-key-5e1b", sub, "-h"}} {
			r := cli(t, args...)
			assert.Equal(t, 0, r.code, args)
			assert.Equal(t, want.stdout, r.stdout, args)
			assert.Empty(t, r.stderr, args)
		}
	}
}

// TestBatch runs the batch command through the CLI: the summarizer example over a JSONL file,
// with the connection flags among the batch flags, then again, which finds everything done.
func TestBatch(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	input := writeScript(t, "docs.jsonl", `{"id": "a", "text": "one two three"}
{"id": "b", "text": "four five"}
`)
	output := filepath.Join(dir, "out.jsonl")
	args := []string{"--usage", "batch", "scripts/summarize.lua", "--input", input, "--output", output,
		"-j", "2", "--url", srv.URL, "--api-key", srv.Key, "--ordered"}
	r := cli(t, args...)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(readFile(t, output)), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `"key":"a"`)
	assert.Contains(t, lines[1], `"summary":"Summarize in one line:\nfour five"`)
	assert.Contains(t, r.stderr, "dialua: usage: 2 responses")
	assert.NotContains(t, r.stderr, "embedded emulator")

	r = cli(t, args...)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Len(t, strings.Split(strings.TrimSpace(readFile(t, output)), "\n"), 2)

	r = cli(t, "batch", "scripts/summarize.lua", "--input", input)
	assert.Equal(t, 2, r.code)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
}

// TestEmulatorNotice checks that the notice about the embedded emulator comes before the
// script's output, on a line of its own, and not at all with --quiet.
func TestEmulatorNotice(t *testing.T) {
	t.Parallel()
	script := `io.write("partial") io.stdout:flush()
		assert(require("dial").default():deployments())
		print(" done")`
	for _, quiet := range []string{"", "--quiet", "-q"} {
		var out testutil.SyncBuffer // stdout and stderr interleaved, as on a terminal
		c := newCommand(strings.NewReader(""), &out, &out, func(string) string { return "" })
		args := []string{"-e", script}
		if quiet != "" {
			args = append([]string{quiet}, args...)
		}
		require.Equal(t, 0, c.main(t.Context(), args), out.String())
		want := emulatorNotice + "partial done\n"
		if quiet != "" {
			want = "partial done\n"
		}
		assert.Equal(t, want, normalize(out.String()), quiet)
	}
}

// TestUsageErrorsAreOneLine checks that each usage error is a single line on stderr.
func TestUsageErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--nope"}, {"run", "--timeout", "x", "s.lua"}, {"serve", "extra"}, {"nope.lua"},
		{"--url", "::"}, {"-e"},
	} {
		r := cli(t, args...)
		assert.Equal(t, 2, r.code, args)
		assert.Empty(t, r.stdout, args)
		assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "%v: %q", args, r.stderr)
		assert.True(t, strings.HasPrefix(r.stderr, "dialua: "), "%v: %q", args, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := cli(t, "--version")
	assert.Equal(t, 0, r.code)
	assert.Regexp(t, `^dialua \S+.* \(Lua 5\.1 on gopher-lua v1\.1\.2, go\S+\)\n$`, r.stdout)
}

// TestCanaryKeyNeverShown runs failing requests, verbose logging, tracebacks and a script that
// prints its error with a canary key configured, and looks for the key in all the output.
func TestCanaryKeyNeverShown(t *testing.T) {
	t.Parallel()
	const canary = "canary-key-6f1d2c"
	srv := emulatortest.NewServer(t)
	script := `local dial = require("dial")
		local c = dial.default()
		local r, msg, err = c:deployments()
		print(msg, require("json").encode(err))
		print(c:chat{ deployment = "gpt-4o", messages = { { role = "user", content = "x" } } })
		print(pcall(c.files.upload, c.files, "files/x/y.txt", "data"))
		error(msg)`
	replInput := strings.ReplaceAll(script, "local ", "") // REPL lines are chunks of their own
	for _, inv := range []invocation{
		{args: []string{"--verbose", "--url", srv.URL, "--api-key", canary, "-e", script}},
		{args: []string{"--verbose", "--url", srv.URL, "--bearer-token", canary, "-e", script}},
		{args: []string{"--verbose", "-e", script}, env: map[string]string{
			"DIAL_URL": srv.URL, "DIAL_API_KEY": canary, "DIAL_BEARER_TOKEN": canary}},
		{args: []string{"--verbose", "--url", "http://" + closedPort(t), "--max-retries", "1",
			"--api-key", canary, "-e", script}},
		{args: []string{"--verbose", "--url", srv.URL, "--api-key", canary, "repl"}, stdin: replInput},
	} {
		r := runIn(t, inv)
		assert.Equal(t, 1, r.code, inv.args)
		assert.NotContains(t, r.stdout, canary, inv.args)
		assert.NotContains(t, r.stderr, canary, inv.args)
		assert.NotEmpty(t, r.stderr, inv.args)
	}
}

// TestVerboseLogsEachRequest checks the --verbose lines of requests that failed with a status.
func TestVerboseLogsEachRequest(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	r := cli(t, "--verbose", "--url", srv.URL, "--api-key", "wrong-key-123", "-e", `
		local c = require("dial").default()
		c:deployments()
		c:chat{ deployment = "gpt-4o", messages = { { role = "user", content = "x" } } }`)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	require.Len(t, lines, 2, r.stderr)
	assert.Regexp(t, `^dialua: GET /dial/openai/deployments 401 \d+(\.\d+)?(µs|ms|s)$`, lines[0])
	assert.Regexp(t, `^dialua: POST /dial/openai/deployments/gpt-4o/chat/completions 401 `, lines[1])
}

// TestVerboseLogsStreamsAndRetries checks the --verbose lines of a stream's end and of the
// wait before a retry.
func TestVerboseLogsStreamsAndRetries(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.Deployments = append(cfg.Deployments, emulator.Deployment{ID: "busy", Reply: "ok",
		Status: http.StatusTooManyRequests, RetryAfter: 1, FailTimes: 1})
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	r := cli(t, "--verbose", "--url", srv.URL, "--api-key", srv.Key, "-e", `
		local c = require("dial").default()
		for _ in c:stream{ deployment = "gpt-4o", messages = { { role = "user", content = "a b" } } } do end
		assert(c:chat{ deployment = "busy", messages = { { role = "user", content = "x" } } })`)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	require.Len(t, lines, 5, r.stderr)
	const chat = "/dial/openai/deployments/gpt-4o/chat/completions"
	assert.Regexp(t, `^dialua: POST `+chat+` 200 `, lines[0])
	assert.Regexp(t, `^dialua: POST `+chat+` stream done: \d+ chunks, \d+ B, \d+(\.\d+)?(µs|ms|s)$`, lines[1])
	assert.Regexp(t, `^dialua: POST /dial/openai/deployments/busy/chat/completions 429 `, lines[2])
	assert.Equal(t, "dialua: POST /dial/openai/deployments/busy/chat/completions retry 1 in 1s", lines[3])
	assert.Regexp(t, `^dialua: POST /dial/openai/deployments/busy/chat/completions 200 .* retry 1$`, lines[4])
}

// startServe runs dialua serve with args in-process until cancel is called, and returns the
// lines of its output, its stderr, and the channel its exit code arrives on.
func startServe(t *testing.T, args ...string) (lines *bufio.Scanner, out io.Reader,
	stderr *testutil.SyncBuffer, done <-chan int, cancel context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	r, w := io.Pipe()
	stderr = &testutil.SyncBuffer{}
	c := newCommand(strings.NewReader(""), w, stderr, func(string) string { return "" })
	exit := make(chan int, 1)
	go func() {
		exit <- c.main(ctx, append([]string{"serve"}, args...))
		w.Close()
	}()
	return bufio.NewScanner(r), r, stderr, exit, cancel
}

func TestServe(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	lines, out, stderr, done, cancel := startServe(t, "--addr", "127.0.0.1:0", "--data", data)
	require.True(t, lines.Scan(), stderr.String())
	first := lines.Text()
	m := regexp.MustCompile(`^DIAL emulator listening on (http://127\.0\.0\.1:\d+)$`).FindStringSubmatch(first)
	require.NotNil(t, m, first)
	var rest []string
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "Storage in") {
		rest = append(rest, lines.Text())
	}
	assert.Contains(t, rest, "  api key       "+emulator.DefaultKey)
	assert.Contains(t, rest, "  bearer token  "+emulator.DefaultToken)
	assert.Contains(t, rest, "  export DIAL_URL="+m[1]+" DIAL_API_KEY="+emulator.DefaultKey)
	go func() { _, _ = io.Copy(io.Discard, out) }()

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, m[1]+"/openai/deployments", nil)
	require.NoError(t, err)
	req.Header.Set("Api-Key", emulator.DefaultKey)
	resp, err := testutil.HTTPClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// A script pointed at it by the environment, as the printed hint says.
	r := runIn(t, invocation{args: []string{"scripts/hello.lua", "echo", "served"},
		env: map[string]string{"DIAL_URL": m[1], "DIAL_API_KEY": emulator.DefaultKey}})
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "served\n", r.stdout)
	assert.Empty(t, r.stderr)

	// A second server on the same data directory refuses to start.
	r = cli(t, "serve", "--addr", "127.0.0.1:0", "--data", data)
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "dialua: emulator storage: data directory "+data+" is in use by another "+
		"process (pid "+strconv.Itoa(os.Getpid())+"): stop that server or give another --data\n",
		r.stderr)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeAllInterfaces checks that a server listening on every interface prints a URL a
// client can use, and that it stops at once when a connection is open but carries no request.
func TestServeAllInterfaces(t *testing.T) {
	t.Parallel()
	lines, out, stderr, done, cancel := startServe(t, "--addr", "0.0.0.0:0")
	require.True(t, lines.Scan(), stderr.String())
	m := regexp.MustCompile(`^DIAL emulator listening on (http://127\.0\.0\.1:\d+) \(on every interface\)$`).
		FindStringSubmatch(lines.Text())
	require.NotNil(t, m, lines.Text())
	go func() { _, _ = io.Copy(io.Discard, out) }()
	r := runIn(t, invocation{args: []string{"scripts/hello.lua", "echo", "served"},
		env: map[string]string{"DIAL_URL": m[1], "DIAL_API_KEY": emulator.DefaultKey}})
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "served\n", r.stdout)

	// An open connection that sent nothing (as a browser's preconnect) does not hold it up;
	// without a request in flight, the server does not wait out its grace period.
	conn, err := net.Dial("tcp", strings.TrimPrefix(m[1], "http://"))
	require.NoError(t, err)
	defer conn.Close()
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(shutdownGrace / 2):
		t.Fatal("serve waited for a connection that carries no request")
	}
}

func TestServeErrors(t *testing.T) {
	t.Parallel()
	bad := writeScript(t, "bad.json", `{"keys": [`)
	r := cli(t, "serve", "--config", bad)
	assert.Equal(t, 2, r.code)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)

	r = cli(t, "serve", "--addr", closedPort(t)+"0000")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
}

// TestProcessExitCodes runs the built binary for the exit codes of a real process.
func TestProcessExitCodes(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"-e", "print(1)"}, 0},
		{[]string{"-e", "error('x')"}, 1},
		{[]string{"-e", "x = = 1"}, 2},
		{[]string{"--nope"}, 2},
		{[]string{"testdata/lua/nope.lua"}, 2},
		{[]string{"-e", "os.exit(false)"}, 1},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Stdin = strings.NewReader("")
		err := cmd.Run()
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		} else {
			require.NoError(t, err)
		}
		assert.Equal(t, tc.code, code, tc.args)
	}
}

// TestKeepInHistory checks the filter of the REPL's history.
func TestKeepInHistory(t *testing.T) {
	t.Parallel()
	secrets := &dial.Secrets{}
	secrets.Add("sk-secret-123")
	for _, tc := range []struct {
		entry string
		keep  bool
	}{
		{"1 + 2", true},
		{`c = dial.client{ base_url = "https://dial.example.com" }`, true},
		{`x = "sk-secret-123"`, false},
		{`c = dial.client{ base_url = u, api_key = "abc" }`, false},
		{`c = dial.client{ base_url = u, bearer_token = t }`, false},
		{`c = dial.client{ headers = { ["Api-Key"] = "abc" } }`, false},
		{`h = { Authorization = "Bearer abc" }`, false},
		{`password = "hunter2"`, false},
		{`print(apikey)`, true},
	} {
		assert.Equal(t, tc.keep, keepInHistory(tc.entry, secrets), tc.entry)
	}
}

// readFile returns the content of path.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// TestConnectionFlagsReachTheClient checks --timeout and --max-retries through their effect on
// requests.
func TestConnectionFlagsReachTheClient(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "sleepy", Reply: "late", ChunkDelay: emulator.Duration(3 * time.Second)},
		emulator.Deployment{ID: "busy", Status: 503, FailTimes: 2},
	))
	ask := func(dep string) string {
		return `local c = require("dial").default()
			local r, msg, err = c:chat{ deployment = "` + dep + `", stream = true,
				messages = { { role = "user", content = "hi" } } }
			print(r and r.choices[1].message.content, err and err.kind)`
	}
	start := time.Now()
	r := cli(t, "--url", srv.URL, "--api-key", srv.Key, "--timeout", "0.3", "-e", ask("sleepy"))
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "nil\ttimeout\n", r.stdout)
	assert.Less(t, time.Since(start), 2500*time.Millisecond)

	r = cli(t, "--url", srv.URL, "--api-key", srv.Key, "--max-retries", "0", "--verbose", "-e", ask("busy"))
	assert.Equal(t, "nil\thttp\n", r.stdout)
	assert.Equal(t, 1, strings.Count(r.stderr, " 503 "), r.stderr)

	r = cli(t, "--url", srv.URL, "--api-key", srv.Key, "--max-retries", "3", "-e", ask("busy"))
	assert.Equal(t, "hi\tnil\n", r.stdout, r.stderr)
}

// TestDefaultNeedsCredentials checks that dial.default() with a --url and no credential says
// which flags and variables give one.
func TestDefaultNeedsCredentials(t *testing.T) {
	t.Parallel()
	r := cli(t, "--url", "http://127.0.0.1:1", "-e", `require("dial").default()`)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "dial.default: no DIAL credentials are configured (set "+
		"--api-key or DIAL_API_KEY, or --bearer-token or DIAL_BEARER_TOKEN)")
}
