package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// TestAskGolden runs dialua ask on the emulator, whose echo models answer with the prompt.
func TestAskGolden(t *testing.T) {
	t.Parallel()
	// sloppy answers its first request with prose, so --schema has to ask again.
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "sloppy", InvalidJSONFirst: 1}))
	for _, tc := range []struct {
		name string
		inv  invocation
		code int
	}{
		{"help_ask", invocation{args: []string{"help", "ask"}}, 0},
		{"ask_args", invocation{args: []string{"ask", "-m", "gpt-4o", "hello", "there"}}, 0},
		{"ask_stdin", invocation{args: []string{"-q", "ask", "-m", "gpt-4o"}, stdin: "notes\nmore notes\n"}, 0},
		{"ask_stdin_and_args", invocation{args: []string{"-q", "ask", "-m", "gpt-4o", "summarize"},
			stdin: "notes\n"}, 0},
		{"ask_terminal", invocation{args: []string{"-q", "ask", "-m", "gpt-4o", "only", "args"},
			stdin: "never read", terminal: true}, 0},
		{"ask_json", invocation{args: []string{"-q", "ask", "--json", "-m", "gpt-4o", "one two"}}, 0},
		{"ask_no_stream", invocation{args: []string{"-q", "ask", "--no-stream", "-m", "gpt-4o", "one two"}}, 0},
		{"ask_no_stream_json", invocation{args: []string{"-q", "ask", "--no-stream", "--json", "-m", "gpt-4o", "x y"}}, 0},
		{"ask_env_deployment", invocation{args: []string{"-q", "ask", "from env"},
			env: map[string]string{"DIAL_DEPLOYMENT": "echo"}}, 0},
		{"ask_no_deployment", invocation{args: []string{"ask", "hi"}}, 2},
		{"ask_no_prompt", invocation{args: []string{"ask", "-m", "gpt-4o"}, stdin: "\n"}, 2},
		{"ask_unknown_deployment", invocation{args: []string{"ask", "-m", "nope", "--url", srv.URL,
			"--api-key", srv.Key, "hi"}}, 1},
		{"ask_bad_key", invocation{args: []string{"ask", "-m", "gpt-4o", "hi"},
			env: map[string]string{"DIAL_URL": srv.URL, "DIAL_API_KEY": "wrong-key-123"}}, 1},
		{"ask_usage", invocation{args: []string{"-q", "ask", "--usage", "-m", "gpt-4o", "a b c"}}, 0},
		{"ask_attach", invocation{args: []string{"-q", "ask", "-m", "echo", "-a", "testdata/attach/note.json",
			"what is this"}}, 0},
		{"ask_attach_missing", invocation{args: []string{"-q", "ask", "-m", "echo", "-a", "testdata/nope.txt", "x"}}, 1},
		{"ask_schema", invocation{args: []string{"-q", "ask", "-m", "gpt-4o", "--usage", "--schema",
			`{"type":"object","properties":{"city":{"type":"string"},"n":{"type":"integer","minimum":3}},"required":["city","n"]}`,
			"where"}}, 0},
		{"ask_schema_repaired", invocation{args: []string{"-q", "ask", "-m", "sloppy", "--schema",
			`{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}`, "x"},
			env: map[string]string{"DIAL_URL": srv.URL, "DIAL_API_KEY": srv.Key}}, 0},
		{"ask_schema_invalid", invocation{args: []string{"-q", "ask", "-m", "gpt-4o", "--schema", `{"type": 5}`, "x"}}, 2},
		{"ask_schema_missing_file", invocation{args: []string{"-q", "ask", "-m", "gpt-4o", "--schema", "nope.json", "x"}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runIn(t, tc.inv)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			golden(t, tc.name, createdTime.ReplaceAllString(r.transcript(), `"created":TIME`))
		})
	}
}

// createdTime is the creation time of a response, which changes from run to run.
var createdTime = regexp.MustCompile(`"created":\d+`)

// TestAskRequest checks the request ask sends: the system prompt first, standard input before
// the prompt's words, and "stream" as --no-stream says.
func TestAskRequest(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	bodies := make(chan []byte, 2)
	srv.Handle("POST /openai/deployments/capture/chat/completions",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			bodies <- b
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"choices":[{"index":0,"finish_reason":"stop",`+
				`"message":{"role":"assistant","content":"done"}}]}`)
		}))
	for _, stream := range []bool{true, false} {
		args := []string{"ask", "--url", srv.URL, "--api-key", srv.Key, "-m", "capture",
			"-s", "be brief", "summarize", "this"}
		if !stream {
			args = append(args, "--no-stream")
		}
		r := runIn(t, invocation{args: args, stdin: "the notes\n"})
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "done\n", r.stdout)
		var req struct {
			Stream   bool `json:"stream"`
			Messages []struct{ Role, Content string }
		}
		require.NoError(t, json.Unmarshal(<-bodies, &req))
		assert.Equal(t, stream, req.Stream)
		assert.Equal(t, []struct{ Role, Content string }{
			{"system", "be brief"}, {"user", "the notes\n\nsummarize this"}}, req.Messages)
	}
}

// TestAskInterrupted checks that ask canceled by the process's context (Ctrl-C) exits 130.
func TestAskInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := runIn(t, invocation{args: []string{"-q", "ask", "-m", "gpt-4o", "hi"}, ctx: ctx})
	assert.Equal(t, exitInterrupted, r.code, r.stderr)
	assert.Equal(t, "dialua: interrupted\n", r.stderr)
	assert.Empty(t, r.stdout)
}

// TestAskStreamFails checks that a stream failing midway leaves the text so far on stdout,
// ended by a newline, and the error on stderr with exit status 1.
func TestAskStreamFails(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "breaks",
		Reply: "first then more", StreamError: &emulator.StreamError{After: 1, Message: "it broke"}}))
	r := runIn(t, invocation{args: []string{"ask", "--url", srv.URL, "--api-key", srv.Key,
		"-m", "breaks", "hi"}})
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "first\n", r.stdout)
	assert.Contains(t, r.stderr, "it broke")
}
