package lualib_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator/emulatortest"
)

const openStream = `it, st = require("dial").default():stream{ deployment = "gpt-4o",
	messages = { { role = "user", content = "one two three" } } }`

// TestStreamKeptAcrossRuns reads a stream in runs after the one that opened it, as REPL
// statements do: to its end, after which the iterator gives nil, and a stream closed before
// its end raises "stream closed".
func TestStreamKeptAcrossRuns(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	cfg := poolConfig(t, srv)
	cfg.KeepStreams = true
	var out strings.Builder
	h := newHost(t, cfg, &out)
	for _, stmt := range []string{
		openStream,
		`first = it()`,
		`text = "" for ch in it do text = text .. (ch.choices[1] and ch.choices[1].delta.content or "") end`,
		`print(first ~= nil, text, it(), it())`,
		openStream,
		`st:close()`,
		`print(pcall(it))`,
	} {
		require.NoError(t, h.RunString(t.Context(), stmt), stmt)
	}
	lines := strings.Split(out.String(), "\n")
	require.Len(t, lines, 3, out.String())
	assert.Equal(t, "true\tone two three\tnil\tnil", lines[0])
	assert.Contains(t, lines[1], "false\t")
	assert.Contains(t, lines[1], "stream closed")
}

// TestStreamClosedAtRunEnd checks that, by default, the end of the run closes the stream it
// opened, and that reading it later raises instead of returning nil as if it had ended.
func TestStreamClosedAtRunEnd(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	pool := dial.NewPool(dial.PoolOptions{})
	defer pool.Close()
	var out strings.Builder
	h := newHost(t, dialConfig(srv, pool), &out)
	require.NoError(t, h.RunString(t.Context(), openStream))
	require.NoError(t, h.RunString(t.Context(), `print(pcall(it))`))
	assert.Regexp(t, `^false\t.*stream closed`, out.String())
}

// TestKeptStreamClosedWithTheHost checks that closing the host releases a stream kept open.
func TestKeptStreamClosedWithTheHost(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	gone := make(chan struct{})
	srv.Handle("POST /openai/deployments/hang/chat/completions", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // ends when the client closes the connection
		close(gone)
	}))
	cfg := poolConfig(t, srv)
	cfg.KeepStreams = true
	h := newHost(t, cfg, io.Discard)
	require.NoError(t, h.RunString(t.Context(), strings.Replace(openStream, "gpt-4o", "hang", 1)))
	require.NoError(t, h.RunString(t.Context(), `assert(it().choices[1].delta.content == "first")`))
	require.NoError(t, h.Close())
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("closing the host did not close the stream")
	}
}
