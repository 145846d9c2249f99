package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestChatGolden runs dialua chat with standard input not a terminal (every line a message or
// a command, plain answers, the first failure ends it) and its usage errors.
func TestChatGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		inv  invocation
		code int
	}{
		{"help_chat", invocation{args: []string{"help", "chat"}}, 0},
		{"chat_pipe", invocation{args: []string{"chat", "-m", "echo"}, stdin: "hello there\n\n" +
			".model\n.model gpt-4o\n**second** turn\n.system be terse\n.system\n.usage\n.help\n.clear\n.save\nnot reached\n"}, 1},
		{"chat_pipe_lua", invocation{args: []string{"chat", "-m", "echo"}, stdin: ".lua\nnot reached\n"}, 1},
		{"chat_pipe_file", invocation{args: []string{"chat", "-m", "echo"}, stdin: ".file testdata/attach/note.json\n" +
			"what is this\nand this\n.file testdata/nope.txt\nnot reached\n"}, 1},
		{"chat_no_model", invocation{args: []string{"chat"}}, 2},
		{"chat_args", invocation{args: []string{"chat", "-m", "echo", "hello"}}, 2},
		{"chat_continue_and_session", invocation{args: []string{"chat", "-c", "--session", "conversations/x/y"}}, 2},
		{"chat_continue_emulator", invocation{args: []string{"chat", "-c"}}, 1},
		{"chat_load_missing", invocation{args: []string{"chat", "--session", "conversations/EmuBucketDefault/nope"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runIn(t, tc.inv)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			golden(t, tc.name, r.transcript())
		})
	}
}
