package runtime_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/dialhost"
	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/lualib"
	"github.com/dialua/dialua/runtime"
)

// askScript answers each record with the text of the given deployment's reply, or fails with
// the dial module's error table.
const askScript = `local dial = require("dial")
local client = dial.default()
return function(r)
  local text, resp_or_msg, err = client:ask(r.deployment or "echo", r.text)
  if not text then return nil, resp_or_msg, err end
  return {text = text}
end`

// dialConfig returns the dial module configuration for srv with a pool made from opts.
func dialConfig(t testing.TB, srv *emulatortest.Server, opts dial.PoolOptions) *lualib.DialConfig {
	t.Helper()
	pool := dial.NewPool(opts)
	t.Cleanup(func() { pool.Close() })
	return newDialConfig(pool, srv.URL, srv.Key)
}

// newDialConfig returns the dial module configuration whose dial.default() connects to url
// with key, through pool.
func newDialConfig(pool *dial.Pool, url, key string) *lualib.DialConfig {
	return &lualib.DialConfig{Pool: pool, Usage: &lualib.UsageCounter{},
		Default: func() (*dial.Client, error) { return pool.NewClient(url, dial.WithAPIKey(key)) }}
}

// writeTexts writes a JSONL input of n records {"id": i, "text": "question i"} plus extra.
func writeTexts(t testing.TB, dir string, n int, extra ...string) string {
	t.Helper()
	p := filepath.Join(dir, "in.jsonl")
	f, err := os.Create(p)
	require.NoError(t, err)
	defer f.Close()
	for i := 1; i <= n; i++ {
		_, err := f.WriteString(`{"id":` + strconv.Itoa(i) + `,"text":"question ` + strconv.Itoa(i) + `"}` + "\n")
		require.NoError(t, err)
	}
	for _, line := range extra {
		_, err := f.WriteString(line + "\n")
		require.NoError(t, err)
	}
	return p
}

// Workers share one connection pool: no more connections than workers, tokens are counted,
// and API failures become error lines with the dial module's fields.
func TestBatchDial(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "forbidden", Status: 400}))
	dir := t.TempDir()
	writeTexts(t, dir, 200, `{"id":"bad","text":"x","deployment":"forbidden"}`)
	dc := dialConfig(t, srv, dial.PoolOptions{MaxConnsPerHost: 4})
	sum, err := runtime.RunBatch(t.Context(),
		runtime.Config{WorkDir: dir, Modules: []runtime.Module{dialhost.Module(dc)}},
		runtime.BatchOptions{Script: "ask.lua", Source: []byte(askScript), Input: "in.jsonl",
			Output: "out.jsonl", Workers: 4})
	require.NoError(t, err)
	assert.Equal(t, 200, sum.Succeeded)
	assert.Equal(t, 1, sum.Failed)
	responses, _, _, total := dc.Usage.Totals()
	assert.Equal(t, int64(200), responses)
	assert.Positive(t, total)
	// At most 4 are open at once (MaxConnsPerHost); on a loaded machine Go's transport replaces
	// a connection whose request write it cannot confirm within 50 ms, so the total accepted
	// may pass 4. One per request would be 201.
	assert.LessOrEqual(t, srv.Connections(), 8, "connections are reused across records")

	res := byKey(readResults(t, filepath.Join(dir, "out.jsonl")))
	require.Len(t, res, 201)
	assert.JSONEq(t, `{"text":"question 17"}`, string(res["17"].Output))
	bad := res[`"bad"`].Error
	require.NotNil(t, bad)
	assert.Equal(t, "http", bad["kind"])
	assert.Equal(t, 400.0, bad["status"])
}

// A 429 with Retry-After seen by one worker holds back every worker of the run.
func TestBatchSharedBackoff(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	var mu sync.Mutex
	var arrivals []time.Time
	var limitedAt time.Time
	srv.Handle("POST /openai/deployments/echo/chat/completions",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			now := time.Now()
			arrivals = append(arrivals, now)
			first := len(arrivals) == 10
			if first {
				limitedAt = now
			}
			mu.Unlock()
			if first {
				w.Header().Set("Retry-After-Ms", "400")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"choices":[{"index":0,"message":{"role":"assistant",` +
				`"content":"ok"},"finish_reason":"stop"}]}`))
		}))
	dir := t.TempDir()
	writeTexts(t, dir, 60)
	script := `local dial = require("dial")
local client = dial.default()
local t = require("testutil")
return function(r) t.sleep(5) return assert(client:ask("echo", r.text)) end`
	cfg := runtime.Config{WorkDir: dir, Modules: []runtime.Module{testutilModule(),
		dialhost.Module(dialConfig(t, srv, dial.PoolOptions{Gate: dial.NewRateGate(0)}))}}
	sum, err := runtime.RunBatch(t.Context(), cfg, runtime.BatchOptions{
		Script: "s.lua", Source: []byte(script), Input: "in.jsonl", Output: "out.jsonl",
		Workers: 4})
	require.NoError(t, err)
	assert.Equal(t, 60, sum.Succeeded)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, arrivals, 61, "60 records and one retry")
	var during int
	for _, at := range arrivals {
		if d := at.Sub(limitedAt); d > 50*time.Millisecond && d < 380*time.Millisecond {
			during++
		}
	}
	assert.Zero(t, during, "no worker sent a request during the backoff")
}

// A rate gate caps the request rate of the whole run.
func TestBatchMaxRate(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	writeTexts(t, dir, 21)
	start := time.Now()
	dc := dialConfig(t, srv, dial.PoolOptions{Gate: dial.NewRateGate(50)})
	sum, err := runtime.RunBatch(t.Context(),
		runtime.Config{WorkDir: dir, Modules: []runtime.Module{dialhost.Module(dc)}},
		runtime.BatchOptions{Script: "ask.lua", Source: []byte(askScript), Input: "in.jsonl",
			Output: "out.jsonl", Workers: 8})
	require.NoError(t, err)
	assert.Equal(t, 21, sum.Succeeded)
	assert.GreaterOrEqual(t, time.Since(start), 380*time.Millisecond, "21 requests at 50/s")
}
