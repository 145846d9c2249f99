//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// The canaries of TestCanaryNeverWritten: a key given on the command line, a key a script
// gives dial.client{}, and a token a script's credential function returns. All are valid on the
// emulator, which echoes each in a mid-stream error event.
const (
	canaryCLI    = "canary-cli-key-3b7f"
	canaryClient = "canary-client-key-9e21"
	canaryFunc   = "canary-func-token-5d08"
)

var canaries = []string{canaryCLI, canaryClient, canaryFunc}

// canaryEmulator serves the canaries, with deployments leaky1, leaky2 and leaky3 whose streams
// fail with an error event that echoes canaryCLI, canaryClient and canaryFunc.
func canaryEmulator(t *testing.T) *emulatortest.Server {
	cfg := emulator.DefaultConfig()
	cfg.Keys = append(cfg.Keys, emulator.Identity{Key: canaryCLI}, emulator.Identity{Key: canaryClient})
	cfg.Tokens = append(cfg.Tokens, emulator.Identity{Key: canaryFunc})
	for i, c := range canaries {
		cfg.Deployments = append(cfg.Deployments, emulator.Deployment{
			ID: "leaky" + string(rune('1'+i)), Reply: "a b",
			StreamError: &emulator.StreamError{After: 1, Message: "failed for " + c}})
	}
	return emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
}

// runBinary runs the dialua binary with args in dir, with the DIAL environment cleared and
// then set from env, and returns what it did.
func runBinary(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DIAL_URL=", "DIAL_API_KEY=", "DIAL_BEARER_TOKEN=",
		"XDG_CONFIG_HOME="+dir, "HOME="+dir)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader("")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// assertNoCanary fails when any canary is in text.
func assertNoCanary(t *testing.T, text, what string) {
	t.Helper()
	for _, c := range canaries {
		assert.NotContains(t, text, c, what)
	}
}

// leakScript prints the mid-stream errors of three clients (dial.default() with the command
// line's key, dial.client{} with a key of its own, one with a credential function), writes
// the credentials to stderr itself, and raises an error naming them.
const leakScript = `local dial, json = require("dial"), require("json")
local url = os.getenv("DIAL_URL")
local function ask(client, dep)
  local r, msg, err = client:chat{ deployment = dep, stream = true,
    messages = { { role = "user", content = "x" } } }
  print(msg, err.message, json.encode(err))
  io.stderr:write(msg, "\n")
end
ask(dial.default(), "leaky1")
local c2 = dial.client{ base_url = url, api_key = os.getenv("CANARY2") }
ask(c2, "leaky2")
local c3 = dial.client{ base_url = url, bearer_token = function() return os.getenv("CANARY3") end }
ask(c3, "leaky3")
ask(c2, "leaky3")
io.stderr:write("the script writes ", os.getenv("CANARY2"), " and ", os.getenv("CANARY3"), "\n")
error("giving up on " .. os.getenv("CANARY2") .. " and " .. os.getenv("CANARY3"))
`

// batchScript fails every record: records 1 to 3 with the mid-stream error of leaky1 to 3,
// record 4 with an error raised after the credential function ran.
const batchScript = `local dial = require("dial")
local url = os.getenv("DIAL_URL")
local c2 = dial.client{ base_url = url, api_key = os.getenv("CANARY2") }
local c3 = dial.client{ base_url = url, bearer_token = function() return os.getenv("CANARY3") end }
return function(r)
  if r.n == 4 then
    assert(c3:deployments())
    error("raised with " .. os.getenv("CANARY2") .. " and " .. os.getenv("CANARY3"))
  end
  local client = ({ dial.default(), c2, c3 })[r.n]
  return client:chat{ deployment = "leaky" .. r.n, stream = true,
    messages = { { role = "user", content = "x" } } }
end
`

// TestCanaryNeverWritten drives every path a credential could leak by and looks for the
// canaries in every byte the dialua process writes: stdout, stderr, the batch output file and
// the REPL history. A credential flag never reaches arg, a mid-stream error that echoes a
// credential is masked in msg, err.message and on stderr, stderr masks the credentials the
// process learned while running, usage errors mask the key before the flags are parsed, and
// batch error records are masked as stderr is.
func TestCanaryNeverWritten(t *testing.T) {
	t.Parallel()
	srv := canaryEmulator(t)
	dir := t.TempDir()
	writeFile(t, dir, "leak.lua", leakScript)
	writeFile(t, dir, "batch.lua", batchScript)
	writeFile(t, dir, "args.lua", `for i = -10, #arg do if arg[i] then print(i, arg[i]) end end`)
	writeFile(t, dir, "in.jsonl", "{\"id\":1,\"n\":1}\n{\"id\":2,\"n\":2}\n{\"id\":3,\"n\":3}\n{\"id\":4,\"n\":4}\n")
	env := []string{"DIAL_URL=" + srv.URL, "CANARY2=" + canaryClient, "CANARY3=" + canaryFunc}
	redacted := "failed for " + dial.Redacted

	t.Run("arg", func(t *testing.T) {
		for _, args := range [][]string{
			{"--sandbox", "--api-key", canaryCLI, "args.lua", "a"},
			{"--sandbox", "--api-key=" + canaryCLI, "run", "--bearer-token", canaryFunc, "args.lua"},
			{"--bearer-token=" + canaryFunc, "-e", "x = 1", "args.lua"},
		} {
			r := runBinary(t, dir, append(env, "DIAL_API_KEY="+canaryClient), args...)
			assert.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "0\targs.lua\n", args)
			assertNoCanary(t, r.stdout+r.stderr, strings.Join(args, " "))
		}
	})

	t.Run("run", func(t *testing.T) {
		r := runBinary(t, dir, env, "--api-key", canaryCLI, "leak.lua")
		assert.Equal(t, 1, r.code)
		assert.Equal(t, 4, strings.Count(r.stdout, redacted+"\t"+redacted+"\t"), r.stdout)
		assert.Equal(t, 4, strings.Count(r.stderr, redacted+"\n"), r.stderr)
		assert.Contains(t, r.stderr, "the script writes "+dial.Redacted+" and "+dial.Redacted+"\n")
		assert.Contains(t, r.stderr, "giving up on "+dial.Redacted+" and "+dial.Redacted)
		assertNoCanary(t, r.stdout+r.stderr, "run")
	})

	t.Run("batch", func(t *testing.T) {
		out := filepath.Join(dir, "out.jsonl")
		r := runBinary(t, dir, env, "batch", "batch.lua", "--input", "in.jsonl", "--output", out,
			"--api-key", canaryCLI)
		assert.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stderr, "4 failed")
		output := readFile(t, out)
		assert.Equal(t, 3, strings.Count(output, redacted), output)
		assert.Contains(t, output, "raised with "+dial.Redacted+" and "+dial.Redacted)
		assertNoCanary(t, r.stdout+r.stderr+output, "batch")
	})

	t.Run("repl history", func(t *testing.T) {
		configDir := t.TempDir()
		tm := startTerminal(t, configDir, "repl", "--url", srv.URL, "--api-key", canaryCLI)
		tm.expect("> ")
		for _, line := range []string{
			// The canaries are learned without being typed whole.
			`k2 = "canary-client-" .. "key-9e21"`,
			`c2 = dial.client{ base_url = "` + srv.URL + `", api_key = k2 }`,
			`f = function() return "canary-func-" .. "token-5d08" end`,
			`c3 = dial.client{ base_url = "` + srv.URL + `", bearer_token = f }`,
			`n = #assert(c3:deployments())`,
			`x = "` + canaryFunc + `"`,
			`y = "` + canaryClient + `"`,
			`w = "` + canaryCLI + `"`,
		} {
			tm.send(line + "\r")
			tm.expect("> ")
		}
		tm.send(`error("bad " .. x .. " " .. y)` + "\r")
		tm.expect("bad " + dial.Redacted + " " + dial.Redacted)
		tm.send("os.exit(0)\r")
		assert.Equal(t, 0, tm.wait())
		history := readFile(t, filepath.Join(configDir, "dialua", "history"))
		assert.Contains(t, history, "k2 = ")
		assertNoCanary(t, history, "history")
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"--api-key", canaryCLI, "--" + canaryCLI},
			{"--timeout", canaryCLI, "--api-key", canaryCLI, "-e", "x = 1"},
			{"--url", canaryCLI, "-e", "x = 1"},
			{"--api-key=" + canaryCLI, "missing-" + canaryCLI + ".lua"},
			{"run", "--bearer-token", canaryFunc, "missing-" + canaryFunc + ".lua"},
			{"batch", "--api-key", canaryCLI, "--" + canaryCLI},
			{"batch", "batch.lua", "--input", "in.jsonl", "--output", "o.jsonl", "--shard", canaryClient},
		} {
			r := runBinary(t, dir, []string{"DIAL_API_KEY=" + canaryCLI, "DIAL_BEARER_TOKEN=" + canaryClient}, args...)
			assert.Equal(t, 2, r.code, args)
			assert.Contains(t, r.stderr, dial.Redacted, args)
			assertNoCanary(t, r.stdout+r.stderr, strings.Join(args, " "))
		}
	})
}
