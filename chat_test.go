//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// storedConversation reads the conversation at url from srv.
func storedConversation(t *testing.T, srv *emulatortest.Server, url string) *dial.Conversation {
	t.Helper()
	c, err := dial.NewClient(srv.URL, dial.WithAPIKey(srv.Key))
	require.NoError(t, err)
	conv, _, err := c.GetConversation(t.Context(), url)
	require.NoError(t, err)
	return conv
}

// messageTexts returns the role and content of each message, "role: content".
func messageTexts(t *testing.T, msgs []json.RawMessage) []string {
	t.Helper()
	out := make([]string, len(msgs))
	for i, m := range msgs {
		var msg struct{ Role, Content string }
		require.NoError(t, json.Unmarshal(m, &msg))
		out[i] = msg.Role + ": " + msg.Content
	}
	return out
}

// lastChat returns the conversation URL the state file in configDir remembers for srv.
func lastChat(t *testing.T, configDir string, srv *emulatortest.Server) string {
	t.Helper()
	path := filepath.Join(configDir, "dialua", "chat.json")
	var st chatState
	require.NoError(t, json.Unmarshal([]byte(readFile(t, path)), &st))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	return st.Last[srv.URL]
}

// TestChatOnATerminal drives dialua chat through a pseudo-terminal: a two-turn conversation
// saved as a DIAL conversation after every answer, .model, .system, .usage, .help, .save,
// Markdown rendering, Ctrl-C during a slow stream, .lua with session bound, and Ctrl-D.
func TestChatOnATerminal(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	configDir := t.TempDir()
	tm := startTerminal(t, configDir, "chat", "-m", "echo", "--url", srv.URL, "--api-key", srv.Key)
	tm.expect("Chatting with echo; .help lists the commands")
	tm.expect("echo> ")
	tm.send("hello there\r")
	tm.expect("hello there\nhello there\n") // the line typed, then the answer
	tm.expect("echo> ")
	tm.send("**second** turn\r")
	tm.expect("**second** turn\n**second** turn\n") // streamed as it comes
	tm.expect("second turn")                        // then rendered
	tm.expect("echo> ")

	url := lastChat(t, configDir, srv)
	require.NotEmpty(t, url)
	assert.Equal(t, []string{"user: hello there", "assistant: hello there",
		"user: **second** turn", "assistant: **second** turn"},
		messageTexts(t, storedConversation(t, srv, url).Messages))

	tm.send(".model gpt-4o\r")
	tm.expect("model: gpt-4o\n")
	tm.expect("gpt-4o> ")
	tm.send(".system be brief\r")
	tm.expect("system prompt set\n")
	tm.send("third\r")
	tm.expect("third\nthird\n")
	tm.expect("gpt-4o> ")
	conv := storedConversation(t, srv, url)
	assert.Equal(t, "gpt-4o", conv.Model.ID)
	assert.Equal(t, "be brief", conv.Prompt)
	assert.Len(t, conv.Messages, 6)

	tm.send(".usage\r")
	tm.expect("usage: 3 responses, ")
	tm.send(".help\r")
	tm.expect(".lua           the Lua REPL")
	tm.send(".bogus\r")
	tm.expect("unknown command .bogus")

	// A failed request prints its error; the chat goes on. Ctrl-C at the prompt clears the line.
	tm.send(".model nope\r")
	tm.expect("nope> ")
	tm.send("to nobody\r")
	tm.expect("404")
	tm.expect("nope> ")
	tm.send(".model gpt-4o\r")
	tm.expect("gpt-4o> ")
	tm.send("thrown away")
	tm.send("\x03")
	tm.send("kept " + srv.Key + "\r") // a line with the key stays out of the history
	tm.expect("\nkept ")
	tm.expect("gpt-4o> ")
	tm.send(".system\r") // removes the system prompt
	tm.expect("system prompt removed\n")
	tm.send(".model\r")
	tm.expect("model: gpt-4o\n")
	tm.send(".load\r")
	tm.expect(".load needs a URL")
	assert.NotContains(t, tm.screen(), "thrown awaykept")

	// Ctrl-C while a slow stream runs: back to the prompt at once, the history unchanged.
	tm.send(".model slow\r")
	tm.expect("slow> ")
	tm.send("w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w\r")
	tm.expect("\nw w w ") // the answer's first words (the line typed has no line break)
	start := time.Now()
	tm.send("\x03")
	tm.expect("interrupted\n")
	tm.expect("slow> ")
	assert.Less(t, time.Since(start), 5*time.Second)

	// .lua: session is the chat's; what it says there is in the chat's history.
	tm.send(".model echo\r")
	tm.expect("echo> ")
	tm.send(".lua\r")
	tm.expect("Ctrl-D returns to the chat.")
	tm.expect("> ")
	tm.send("=#session:messages()\r")
	tm.expect("\n8\n> ")
	tm.send("kept_global = 41\r")
	tm.expect("> ")
	tm.send("=session:say('from lua')\r")
	tm.expect("\nfrom lua")
	tm.expect("> ")
	tm.send("\x04")
	tm.expect("echo> ")
	tm.send(".lua\r") // the globals of the last visit are there
	tm.expect("> ")
	tm.send("=kept_global + 1\r")
	tm.expect("\n42\n> ")
	tm.send("\x04")
	tm.expect("echo> ")
	tm.send(".save\r")
	tm.expect("saved to " + url + "\n")
	conv = storedConversation(t, srv, url)
	assert.Contains(t, messageTexts(t, conv.Messages), "assistant: from lua")
	assert.Empty(t, conv.Prompt)

	// .save URL moves the conversation there; -c continues from it.
	saved := "conversations/" + srv.Bucket + "/kept/echo__kept"
	tm.send(".save " + saved + "\r")
	tm.expect("saved to " + saved + "\n")
	tm.send("\x04")
	assert.Equal(t, 0, tm.wait())
	assert.Equal(t, saved, lastChat(t, configDir, srv))

	// -m switches a continued conversation to another deployment.
	tm = startTerminal(t, configDir, "chat", "-c", "-m", "gpt-4o", "--url", srv.URL, "--api-key", srv.Key)
	tm.expect("Chatting with gpt-4o;")
	tm.expect("Continuing " + saved + " (10 messages).")
	tm.expect("gpt-4o> ")
	tm.send("fourth\r")
	tm.expect("fourth\nfourth\n")
	tm.expect("gpt-4o> ")
	tm.send(".clear\r")
	tm.expect("new conversation\n")
	tm.send("fresh\r")
	tm.expect("fresh\nfresh\n")
	tm.expect("gpt-4o> ")
	tm.send("\x04")
	assert.Equal(t, 0, tm.wait())
	assert.Len(t, storedConversation(t, srv, saved).Messages, 12)
	fresh := lastChat(t, configDir, srv)
	assert.NotEqual(t, saved, fresh)
	assert.Equal(t, []string{"user: fresh", "assistant: fresh"},
		messageTexts(t, storedConversation(t, srv, fresh).Messages))

	// .load in a new process continues the history saved before.
	tm = startTerminal(t, configDir, "chat", "-m", "echo", "--plain", "--url", srv.URL, "--api-key", srv.Key)
	tm.expect("echo> ")
	tm.send(".load " + saved + "\r")
	tm.expect("loaded " + saved + ": gpt-4o, 12 messages\n")
	tm.send("**fifth**\r")
	tm.expect("**fifth**\n**fifth**\ngpt-4o> ") // --plain: no rendering between the answer and the prompt
	tm.send("\x04")
	assert.Equal(t, 0, tm.wait())
	assert.Len(t, storedConversation(t, srv, saved).Messages, 14)

	historyFile := filepath.Join(configDir, "dialua", "chat_history")
	st, err := os.Stat(historyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	history := readFile(t, historyFile)
	assert.Contains(t, history, "hello there\n")
	assert.Contains(t, history, ".load "+saved+"\n")
	assert.NotContains(t, history, "session:say") // the Lua REPL's lines go to its own history
	assert.NotContains(t, history, srv.Key)
	assert.Equal(t, "gpt-4o", storedConversation(t, srv, saved).Model.ID)

	// os.exit(n) in .lua ends dialua with n.
	tm = startTerminal(t, configDir, "chat", "-m", "echo")
	tm.expect("echo> ")
	tm.send(".lua\r")
	tm.expect("Ctrl-D returns to the chat.")
	tm.expect("> ")
	tm.send("os.exit(3)\r")
	assert.Equal(t, 3, tm.wait())

	// SIGTERM ends the chat while it waits for a line.
	tm = startTerminal(t, configDir, "chat", "-m", "echo")
	tm.expect("echo> ")
	require.NoError(t, tm.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 130, tm.wait())
}

// TestScreenRows counts the rows a streamed answer takes, wrapped lines included: what is
// erased before the Markdown rendering.
func TestScreenRows(t *testing.T) {
	assert.Equal(t, 1, screenRows("hi\n", 80))
	assert.Equal(t, 3, screenRows("a\n\nb\n", 80))
	assert.Equal(t, 2, screenRows(strings.Repeat("x", 81)+"\n", 80))
	assert.Equal(t, 1, screenRows(strings.Repeat("x", 80)+"\n", 80))
	assert.Equal(t, 2, screenRows(strings.Repeat("世", 41)+"\n", 80)) // wide characters take two columns
}

// TestChatLeavesTallAnswers checks that an answer taller than the screen, which the terminal
// has scrolled away, stays as it streamed: the prompt follows it with no rendering between.
func TestChatLeavesTallAnswers(t *testing.T) {
	t.Parallel()
	tall := strings.Repeat("line\n\n", 30) // 60 rows on a screen of 40
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "tall", Reply: tall},
		emulator.Deployment{ID: "short", Reply: "**short**"}))
	tm := startTerminal(t, t.TempDir(), "chat", "-m", "short", "--url", srv.URL, "--api-key", srv.Key)
	tm.expect("short> ")
	tm.send("hi\r")
	tm.expect("\n**short**\n")
	tm.expect("short") // rendered
	tm.expect("short> ")
	tm.send(".model tall\r")
	tm.expect("tall> ")
	tm.send("hi\r")
	tm.expect("\n" + tall + "tall> ")
	tm.send("\x04")
	assert.Equal(t, 0, tm.wait())
}
