package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/promptlog"
)

// chatsScript makes a block chat, a streamed chat, an iterated stream and a failing chat, the
// key it is given (arg[1]) in a prompt and a deployment's name.
const chatsScript = `
local c = require("dial").default()
local key = arg[1]
print((c:ask("gpt-4o", "block: my key is " .. key)))
local r = c:chat{deployment = "gpt-4o", stream = true,
	messages = {{role = "user", content = "streamed words here"}}}
print(r.choices[1].message.content)
for _ in c:stream{deployment = "gpt-4o", messages = {{role = "user", content = "iterated"}}} do end
print(select(2, c:chat{deployment = "nope-" .. key, messages = {{role = "user", content = "x"}}}) ~= nil)
`

// runChats runs chatsScript on srv with the configuration directory dir and flags.
func runChats(t *testing.T, srv *emulatortest.Server, dir string, flags ...string) {
	t.Helper()
	script := writeScript(t, "chats.lua", chatsScript)
	args := append([]string{"run", "--url", srv.URL, "--api-key", srv.Key}, flags...)
	r := runIn(t, invocation{args: append(args, script, srv.Key), configDir: dir})
	require.Equal(t, 0, r.code, r.stderr)
}

// listLog returns the entries of `dialua logs --json` with args in the configuration
// directory dir.
func listLog(t *testing.T, dir string, args ...string) []promptlog.Entry {
	t.Helper()
	r := runIn(t, invocation{args: append([]string{"logs", "--json"}, args...), configDir: dir})
	require.Equal(t, 0, r.code, r.stderr)
	var entries []promptlog.Entry
	for line := range strings.Lines(r.stdout) {
		var e promptlog.Entry
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		entries = append(entries, e)
	}
	return entries
}

// TestRunLog runs a script with --log: every chat completion is recorded once, block and
// streamed, the failing one with its error, under "run", with the key masked everywhere; the
// file is private.
func TestRunLog(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	runChats(t, srv, dir, "--log")

	entries := listLog(t, dir, "-n", "0")
	require.Len(t, entries, 4)
	failed, iterated, streamed, block := entries[0], entries[1], entries[2], entries[3]
	assert.Equal(t, "user: block: my key is "+dial.Redacted, block.Prompt)
	assert.Equal(t, "block: my key is "+dial.Redacted, block.Answer)
	assert.Equal(t, "user: streamed words here", streamed.Prompt)
	assert.Equal(t, "streamed words here", streamed.Answer, "merged from the chunks")
	assert.Positive(t, streamed.Usage.TotalTokens)
	assert.Equal(t, "iterated", iterated.Answer)
	assert.Equal(t, "nope-"+dial.Redacted, failed.Deployment)
	assert.NotEmpty(t, failed.Error)
	assert.Nil(t, failed.Response)
	for _, e := range entries {
		assert.Equal(t, "run", e.Source)
	}

	path := filepath.Join(dir, "dialua", "log.db")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), srv.Key)

	assert.Len(t, listLog(t, dir, "-q", "STREAMED"), 1, "-q searches, ignoring case")
	assert.Len(t, listLog(t, dir, "-n", "2"), 2)
}

// TestRunNoLog checks that a script logs nothing without --log, nor with --no-log after it.
func TestRunNoLog(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	runChats(t, srv, dir)
	runChats(t, srv, dir, "--log", "--no-log")
	_, err := os.Stat(filepath.Join(dir, "dialua", "log.db"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestDefaultLog checks the hook of the commands that log by default: a session whose options
// called defaultLog records the chats of its clients under that source, unless --no-log.
func TestDefaultLog(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	for _, tc := range []struct {
		noLog bool
		want  int
	}{{false, 1}, {true, 0}} {
		dir := t.TempDir()
		c := newCommand(strings.NewReader(""), &strings.Builder{}, &strings.Builder{},
			func(string) string { return "" })
		c.configDir = func() (string, error) { return dir, nil }
		o := &options{url: srv.URL, apiKey: srv.Key}
		o.noLog = tc.noLog
		o.defaultLog("ask")
		code := c.session(t.Context(), o, func(s *session) int {
			client, err := s.dial.Default()
			require.NoError(t, err)
			_, err = client.Chat(t.Context(), "gpt-4o", dial.ChatRequest{
				Messages: []dial.Message{{Role: dial.RoleUser, Content: "hi"}}})
			require.NoError(t, err)
			return 0
		})
		require.Equal(t, 0, code)
		entries := listLog(t, dir)
		require.Len(t, entries, tc.want, "--no-log %v", tc.noLog)
		if tc.want > 0 {
			assert.Equal(t, "ask", entries[0].Source)
		}
	}
}

var (
	logTime     = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	logDuration = regexp.MustCompile(`  [\d.]+(µs|ms|s)\b`)
	jsonTime    = regexp.MustCompile(`"time":"[^"]+"`)
	jsonNanos   = regexp.MustCompile(`"duration_ns":\d+`)
	jsonCreated = regexp.MustCompile(`"created":\d+`)
)

// TestLogsGolden lists a log of the chats of chatsScript, plain and as JSON, with the times
// and durations normalised; and an empty log.
func TestLogsGolden(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	golden(t, "logs_empty", runIn(t, invocation{args: []string{"logs"}, configDir: dir}).transcript())
	runChats(t, srv, dir, "--log")
	plain := runIn(t, invocation{args: []string{"logs", "-n", "0"}, configDir: dir}).transcript()
	plain = logDuration.ReplaceAllString(logTime.ReplaceAllString(plain, "TIME"), "  DURATION")
	golden(t, "logs_plain", plain)
	asJSON := runIn(t, invocation{args: []string{"logs", "--json", "-q", "words"}, configDir: dir}).transcript()
	asJSON = jsonNanos.ReplaceAllString(jsonTime.ReplaceAllString(asJSON, `"time":"TIME"`), `"duration_ns":N`)
	asJSON = jsonCreated.ReplaceAllString(asJSON, `"created":N`)
	golden(t, "logs_json", asJSON)
	golden(t, "logs_bad_n", runIn(t, invocation{args: []string{"logs", "-n", "-1"}, configDir: dir}).transcript())
}
