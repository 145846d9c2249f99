package dial

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Gate paces the requests of every client of a [Pool]: set it with [PoolOptions.Gate]. Every
// attempt of every request (retries included) first calls Wait; an answer 429 Too Many
// Requests or 503 Service Unavailable calls Backoff with the wait the server asked for
// (Retry-After, capped at the client's maximum retry wait) or, when it gave none, the client's
// own backoff for that attempt. A server that says "slow down" to one client thus slows down
// the whole pool, which is what a batch of many workers against one DIAL needs.
//
// Implementations must be safe for concurrent use. [NewRateGate] is the one this package
// provides.
type Gate interface {
	// Wait blocks until an attempt may start. It returns nil then, or ctx's error when ctx is
	// done first; the attempt is not made in that case.
	Wait(ctx context.Context) error
	// Backoff asks the gate to start no attempt during the next d. It does not block.
	Backoff(d time.Duration)
}

// RateGate is a [Gate] that caps the rate of attempts and honours backoffs: attempts start at
// most rps per second, evenly spaced (no bursts), and none starts before the end of the
// latest backoff. Waiters are not served in order; each one takes the next free slot it finds
// when it wakes up. A RateGate is safe for concurrent use.
type RateGate struct {
	interval time.Duration // between two attempts; 0 for no cap

	mu        sync.Mutex
	next      time.Time // earliest start of the next attempt under the rate cap
	notBefore time.Time // end of the latest backoff
	backoffs  int
}

// NewRateGate returns a gate that lets at most rps attempts start per second; rps <= 0 (or
// +Inf) removes the cap, leaving only the shared backoff.
func NewRateGate(rps float64) *RateGate {
	g := &RateGate{}
	if rps > 0 {
		g.interval = time.Duration(float64(time.Second) / rps)
	}
	return g
}

// Wait blocks until the rate cap and the latest backoff let an attempt start, or until ctx is
// done (returning ctx's error). A backoff that arrives while Wait sleeps is honoured too.
func (g *RateGate) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		g.mu.Lock()
		now := time.Now()
		start := now
		if g.next.After(start) {
			start = g.next
		}
		if g.notBefore.After(start) {
			start = g.notBefore
		}
		if !start.After(now) {
			if g.interval > 0 {
				g.next = now.Add(g.interval)
			}
			g.mu.Unlock()
			return nil
		}
		g.mu.Unlock()
		if err := sleepCtx(ctx, start.Sub(now)); err != nil {
			return err
		}
	}
}

// Backoff holds every attempt back until d from now, unless a longer backoff is already in
// force. A non-positive d does nothing.
func (g *RateGate) Backoff(d time.Duration) {
	if d <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.backoffs++
	if until := time.Now().Add(d); until.After(g.notBefore) {
		g.notBefore = until
	}
}

// Backoffs returns how many times Backoff was called with a positive wait.
func (g *RateGate) Backoffs() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.backoffs
}

// gateWait waits for the client's gate before attempt n of r. A client without a pool, or of
// a pool without a gate, does not wait.
func (c *Client) gateWait(ctx context.Context, r *request) error {
	if c.pool == nil || c.pool.gate == nil {
		return nil
	}
	if err := c.pool.gate.Wait(ctx); err != nil {
		return fmt.Errorf("dial: %s %s: waiting for the pool's gate: %w",
			r.method, c.base.Path+r.pathOnly(), err)
	}
	return nil
}

// gateBackoff tells the client's gate about an attempt that failed with err: a 429 or 503
// answer holds the whole pool back for the server's Retry-After (capped at the maximum retry
// wait) or, without one, for the backoff of attempt n.
func (c *Client) gateBackoff(err error, n int) {
	if c.pool == nil || c.pool.gate == nil {
		return
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || (apiErr.StatusCode != http.StatusTooManyRequests &&
		apiErr.StatusCode != http.StatusServiceUnavailable) {
		return
	}
	c.pool.gate.Backoff(backoff(n, c.cfg.retryWaitMin, c.cfg.retryWaitMax, apiErr.RetryAfter))
}
