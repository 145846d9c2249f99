package main

import (
	"bufio"
	"context"
	"io"
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
	"github.com/dialua/dialua/internal/testutil"
)

// TestCLIGolden runs the command in-process and compares exit code, stdout and stderr with
// testdata/cli/NAME.golden.
func TestCLIGolden(t *testing.T) {
	t.Parallel()
	srv := emulator.NewServer(t)
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
			stdin: "1 + 2\n= 'a' .. 'b'\nt = {1, {k = 'v'}}\nt\nfunction f()\n  return 'multi'\nend\nf()\nerror('oops')\n_\nos.exit(3)\n"}, 3},
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

// TestBatch runs the batch command through the CLI: the summarizer example over a JSONL file,
// with the connection flags among the batch flags, then again, which finds everything done.
func TestBatch(t *testing.T) {
	t.Parallel()
	srv := emulator.NewServer(t)
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
	srv := emulator.NewServer(t)
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
		want := 1
		if inv.stdin != "" {
			want = 0 // the REPL goes on after an error
		}
		assert.Equal(t, want, r.code, inv.args)
		assert.NotContains(t, r.stdout, canary, inv.args)
		assert.NotContains(t, r.stderr, canary, inv.args)
		assert.NotEmpty(t, r.stderr, inv.args)
	}
}

// TestVerboseLogsEachRequest checks the --verbose lines of requests that failed with a status.
func TestVerboseLogsEachRequest(t *testing.T) {
	t.Parallel()
	srv := emulator.NewServer(t)
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

func TestServe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, outW := io.Pipe()
	var stderr testutil.SyncBuffer
	c := newCommand(strings.NewReader(""), outW, &stderr, func(string) string { return "" })
	done := make(chan int, 1)
	data := t.TempDir()
	go func() {
		done <- c.main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", data})
		outW.Close()
	}()
	lines := bufio.NewScanner(out)
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

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m[1]+"/openai/deployments", nil)
	require.NoError(t, err)
	req.Header.Set("Api-Key", emulator.DefaultKey)
	resp, err := http.DefaultClient.Do(req)
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
	srv := emulator.NewServer(t, emulator.WithDeployments(
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
