package dial

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRateGateCapsRate(t *testing.T) {
	t.Parallel()
	g := NewRateGate(100) // one attempt per 10ms
	ctx := t.Context()
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				assert.NoError(t, g.Wait(ctx))
			}
		})
	}
	wg.Wait()
	// 20 attempts, the first at once: at least 19 intervals.
	assert.GreaterOrEqual(t, time.Since(start), 180*time.Millisecond)
}

func TestRateGateUnlimited(t *testing.T) {
	t.Parallel()
	for _, rps := range []float64{0, -1} {
		g := NewRateGate(rps)
		start := time.Now()
		for range 1000 {
			require.NoError(t, g.Wait(t.Context()))
		}
		assert.Less(t, time.Since(start), time.Second)
	}
}

func TestRateGateBackoff(t *testing.T) {
	t.Parallel()
	g := NewRateGate(0)
	g.Backoff(0)
	g.Backoff(-time.Second)
	assert.Equal(t, 0, g.Backoffs(), "non-positive waits are ignored")

	g.Backoff(150 * time.Millisecond)
	g.Backoff(10 * time.Millisecond) // a shorter backoff does not shorten the longer one
	assert.Equal(t, 2, g.Backoffs())
	start := time.Now()
	require.NoError(t, g.Wait(t.Context()))
	assert.GreaterOrEqual(t, time.Since(start), 140*time.Millisecond)

	// A backoff that arrives while a waiter sleeps for the rate cap is honoured.
	g = NewRateGate(10) // 100ms apart
	require.NoError(t, g.Wait(t.Context()))
	start = time.Now()
	done := make(chan time.Duration)
	go func() {
		assert.NoError(t, g.Wait(t.Context()))
		done <- time.Since(start)
	}()
	time.Sleep(20 * time.Millisecond)
	g.Backoff(300 * time.Millisecond)
	assert.GreaterOrEqual(t, <-done, 300*time.Millisecond)
}

func TestRateGateCancel(t *testing.T) {
	t.Parallel()
	g := NewRateGate(0)
	g.Backoff(time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, g.Wait(ctx), context.DeadlineExceeded)

	canceled, cancel2 := context.WithCancel(t.Context())
	cancel2()
	assert.ErrorIs(t, NewRateGate(0).Wait(canceled), context.Canceled)
}

// recordingGate counts the calls a pool makes to its gate.
type recordingGate struct {
	waits    atomic.Int32
	mu       sync.Mutex
	backoffs []time.Duration
}

func (g *recordingGate) Wait(ctx context.Context) error {
	g.waits.Add(1)
	return ctx.Err()
}

func (g *recordingGate) Backoff(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.backoffs = append(g.backoffs, d)
}

func (g *recordingGate) all() []time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]time.Duration(nil), g.backoffs...)
}

// Every attempt of a pool client passes the gate, and 429/503 answers report their wait.
func TestPoolGate(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "limited", Status: 429, RetryAfter: 2, FailTimes: 1},
		emulator.Deployment{ID: "busy", Status: 503, FailTimes: 1},
		emulator.Deployment{ID: "down", Status: 502, FailTimes: 1},
		emulator.Deployment{ID: "bad", Status: 400},
	))
	g := &recordingGate{}
	pool := NewPool(PoolOptions{Gate: g})
	defer pool.Close()
	c, err := pool.NewClient(srv.URL, WithAPIKey(srv.Key),
		WithRetryWait(100*time.Millisecond, 4*time.Second))
	require.NoError(t, err)
	w := &waits{}
	c.sleep = w.sleep

	_, err = c.Chat(t.Context(), "limited", userMsg("x"))
	require.NoError(t, err)
	assert.Equal(t, int32(2), g.waits.Load(), "each attempt waits for the gate")
	assert.Equal(t, []time.Duration{2 * time.Second}, g.all(), "Retry-After goes to the gate")

	_, err = c.Chat(t.Context(), "busy", userMsg("x"))
	require.NoError(t, err)
	require.Len(t, g.all(), 2)
	assert.InDelta(t, 75*time.Millisecond, g.all()[1], float64(25*time.Millisecond),
		"a 503 without Retry-After backs off as the client would")

	_, err = c.Chat(t.Context(), "down", userMsg("x"))
	require.NoError(t, err)
	_, err = c.Chat(t.Context(), "bad", userMsg("x"))
	require.Error(t, err)
	assert.Len(t, g.all(), 2, "502 and 400 do not back off")
	assert.Equal(t, int32(7), g.waits.Load())

	// A canceled gate wait fails the request before it is sent.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	before := srv.Emulator.Requests("bad")
	_, err = c.Chat(ctx, "bad", userMsg("x"))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, before, srv.Emulator.Requests("bad"))

	// Standalone clients have no gate.
	solo, _ := newTestClient(t, srv)
	_, err = solo.Chat(t.Context(), "limited", userMsg("x"))
	require.NoError(t, err)
	assert.Equal(t, int32(8), g.waits.Load())
}

// A 429 with Retry-After seen by one client holds back the other clients of the pool.
func TestPoolGateSharedBackoff(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	var limited atomic.Int32
	srv.Handle("POST /openai/deployments/limited/chat/completions",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if limited.Add(1) == 1 {
				w.Header().Set("Retry-After-Ms", "300")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`))
		}))
	g := NewRateGate(0)
	pool := NewPool(PoolOptions{Gate: g})
	defer pool.Close()
	a, err := pool.NewClient(srv.URL, WithAPIKey(srv.Key), WithRetryWait(0, time.Second))
	require.NoError(t, err)

	start := time.Now()
	_, err = a.Chat(t.Context(), "limited", userMsg("x"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 290*time.Millisecond)
	assert.Equal(t, 1, g.Backoffs())

	// The retry of a waited for the backoff; a client that never saw the 429 waits for it too.
	limited.Store(0)
	g2 := NewRateGate(0)
	pool2 := NewPool(PoolOptions{Gate: g2})
	defer pool2.Close()
	a2, err := pool2.NewClient(srv.URL, WithAPIKey(srv.Key), WithRetryWait(0, time.Second),
		WithMaxRetries(0))
	require.NoError(t, err)
	b2, err := pool2.NewClient(srv.URL, WithAPIKey(srv.Key))
	require.NoError(t, err)
	start = time.Now()
	_, err = a2.Chat(t.Context(), "limited", userMsg("x"))
	require.Error(t, err, "no retries: the 429 is the answer")
	_, err = b2.Chat(t.Context(), "echo", userMsg("x"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 290*time.Millisecond,
		"the other client waited for the shared backoff")
}
