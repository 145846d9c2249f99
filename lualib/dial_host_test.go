package lualib_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/dialhost"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/lualib"
	"github.com/dialua/dialua/runtime"
)

// dialConfig returns a module configuration whose dial.default() talks to srv through pool.
func dialConfig(srv *emulatortest.Server, pool *dial.Pool) *lualib.DialConfig {
	return &lualib.DialConfig{
		Pool:    pool,
		Default: func() (*dial.Client, error) { return pool.NewClient(srv.URL, dial.WithAPIKey(srv.Key)) },
		Usage:   &lualib.UsageCounter{},
	}
}

// newHost returns a host with the dial module of cfg, writing print output to out.
// poolConfig is dialConfig over a pool of its own, closed when the test ends.
func poolConfig(t testing.TB, srv *emulatortest.Server) *lualib.DialConfig {
	pool := dial.NewPool(dial.PoolOptions{})
	t.Cleanup(func() { pool.Close() })
	return dialConfig(srv, pool)
}

func newHost(t testing.TB, cfg *lualib.DialConfig, out io.Writer) *runtime.Host {
	t.Helper()
	h, err := runtime.New(runtime.Config{Stdout: out, WorkDir: t.TempDir(),
		Modules: []runtime.Module{dialhost.Module(cfg)}})
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	return h
}

// signalWriter collects what is written to it and closes written at the first write.
type signalWriter struct {
	strings.Builder
	once    sync.Once
	written chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	defer w.once.Do(func() { close(w.written) })
	return w.Builder.Write(p)
}

// TestCancelDuringSlowStream cancels a run once on_chunk has printed the first chunk of a
// stream whose second chunk never comes: the run stops, and the connection is closed.
func TestCancelDuringSlowStream(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	gone := make(chan struct{})
	srv.Handle("POST /openai/deployments/hang/chat/completions", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // ends when the client closes the connection
		close(gone)
	}))
	pool := dial.NewPool(dial.PoolOptions{})
	defer pool.Close()
	out := &signalWriter{written: make(chan struct{})}
	h := newHost(t, dialConfig(srv, pool), out)

	ctx, cancel := context.WithCancel(t.Context())
	result := make(chan error, 1)
	go func() {
		result <- h.RunString(ctx, `
			local dial = require("dial")
			dial.default():chat{ deployment = "hang", stream = true,
				messages = { { role = "user", content = "x" } },
				on_chunk = function(c) print(c.choices[1].delta.content) end }
			print("not reached")`)
	}()
	<-out.written // the script is in on_chunk or waits for the second chunk, which never comes
	cancel()
	select {
	case err := <-result:
		var se *runtime.ScriptError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, runtime.KindCanceled, se.Kind)
	case <-time.After(time.Minute):
		t.Fatal("the run did not stop after cancel")
	}
	assert.Equal(t, "first\n", out.String())
	select {
	case <-gone:
	case <-time.After(time.Minute):
		t.Fatal("the stream's connection was not closed")
	}
}

func TestConcurrentScriptsShareConnections(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	const scripts, requests = 8, 50
	// Go's transport may dial a spare connection when a request races the return of another
	// to the idle list; MaxConnsPerHost bounds the open ones, as the CLI configures it.
	pool := dial.NewPool(dial.PoolOptions{MaxConnsPerHost: scripts})
	defer pool.Close()
	cfg := dialConfig(srv, pool)
	script := fmt.Sprintf(`
		local client = require("dial").default()
		for i = 1, %d do assert(client:ask("echo", "request " .. i)) end`, requests)
	var wg sync.WaitGroup
	errs := make([]error, scripts)
	for i := range scripts {
		h := newHost(t, cfg, io.Discard) // a state of its own, as each batch worker has
		wg.Go(func() {
			errs[i] = h.Run(t.Context(), fmt.Sprintf("script%d.lua", i), strings.NewReader(script))
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, scripts*requests, srv.Emulator.Requests("echo"))
	// MaxConnsPerHost holds at most `scripts` connections open at once, but Go's transport
	// discards a connection whose request write it cannot confirm within 50 ms of the response
	// (a loaded machine) and dials a replacement. So the total accepted is bounded loosely; one
	// connection per request would be 400.
	assert.LessOrEqual(t, srv.Connections(), 2*scripts, "the scripts share keep-alive connections")
}

// dial.default() raises the error of the host's Default, or says there is none.
func TestDefaultReportsTheHostsError(t *testing.T) {
	t.Parallel()
	pool := dial.NewPool(dial.PoolOptions{})
	defer pool.Close()
	for _, tc := range []struct {
		def  func() (*dial.Client, error)
		want string
	}{
		{nil, "dial.default: no DIAL connection is configured"},
		{func() (*dial.Client, error) { return nil, errors.New("set --api-key") },
			"dial.default: set --api-key"},
	} {
		h := newHost(t, &lualib.DialConfig{Pool: pool, Default: tc.def}, io.Discard)
		err := h.RunString(t.Context(), `require("dial").default()`)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestUsageCountsEveryStepOfAToolRun(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	cfg := poolConfig(t, srv)
	h := newHost(t, cfg, io.Discard)
	require.NoError(t, h.RunString(t.Context(), `
		local client = require("dial").default()
		assert(client:run{ deployment = "gpt-4o",
			messages = { { role = "user", content = "What is the weather in Paris?" } },
			tools = { get_weather = { fn = function(args) return { celsius = 21 } end } } })
		assert(client:ask("echo", "three more words"))`))
	responses, prompt, completion, total := cfg.Usage.Totals()
	assert.Equal(t, int64(2), responses)
	// The run: 6 prompt words, then 7 prompt and 3 completion words; the ask: 3 and 3.
	assert.Equal(t, int64(6+7+3), prompt)
	assert.Equal(t, int64(3+3), completion)
	assert.Equal(t, prompt+completion, total)
}

// The caches scripts open are counted once each, however many clients share them, and the
// count is of the answers they gave.
func TestUsageCountsScriptCacheHits(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	cfg := poolConfig(t, srv)
	h := newHost(t, cfg, io.Discard)
	_, counted := cfg.Usage.CacheHits()
	assert.False(t, counted, "no cache before a script opens one")
	require.NoError(t, h.RunString(t.Context(), fmt.Sprintf(`
		local dial = require("dial")
		for _, prompt in ipairs{"one", "two", "one", "one"} do
			local c = dial.client{base_url = %q, api_key = %q, cache = "."}
			assert(c:ask("echo", prompt))
		end`, srv.URL, srv.Key)))
	hits, counted := cfg.Usage.CacheHits()
	assert.True(t, counted)
	assert.Equal(t, int64(2), hits)
	assert.Equal(t, 2, srv.Emulator.Requests("echo"))
	responses, _, _, _ := cfg.Usage.Totals()
	assert.Equal(t, int64(4), responses, "an answer from the cache is a response too")
}
