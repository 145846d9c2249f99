package lualib

import (
	"io"
	"sync"

	"github.com/dialua/dialua/dial"
)

// DialConfig configures the `dial` module of every state in a process. One DialConfig is
// shared by all the states (all the workers of a batch, the REPL); it is read-only once a
// module uses it, except through its Usage counter.
type DialConfig struct {
	// Pool is the connection pool every client a script creates draws from, unless the
	// script makes its own with dial.pool{}. Required.
	Pool *dial.Pool
	// Default makes the client dial.default() returns. It is called at the first
	// dial.default() of each state, on that state's goroutine; an error is raised as
	// "dial.default: " and its message. Nil makes dial.default() raise that no DIAL
	// connection is configured.
	Default func() (*dial.Client, error)
	// ClientOptions are given to every client a script makes (dial.client{}, pool:client{}),
	// before the script's own settings: the host's observer (dial.WithObserver) for
	// --verbose. Default's client takes its options from the host directly.
	ClientOptions []dial.Option
	// Secrets is shared by every client the module makes (dial.WithSecrets): it learns the
	// keys and tokens given to dial.client{} and pool:client{} and the values credential
	// functions return, and each client and the module's error messages mask all of them. The
	// host masks them in its own output with Secrets.Redact, and gives the same set to
	// Default's client. When nil, each state's module keeps a set of its own.
	Secrets *dial.Secrets
	// Usage, when not nil, sums the token usage of every chat and embeddings response, and
	// counts the hits of the response caches scripts open (dial.client{cache = …}).
	Usage *UsageCounter
	// Progress, when not nil, is asked for a progress sink before a file upload or download
	// of total bytes (-1 when unknown) described by label; the module writes every transferred
	// block to the returned writer and closes it at the end. It may return nil for no
	// progress (small transfers, no terminal).
	Progress func(label string, total int64) io.WriteCloser
	// KeepStreams keeps the streams client:stream opens across runs on the state, as the
	// REPL needs, where each statement is a run: a stream then ends at its last chunk, at
	// stream:close() or when the state is closed. Otherwise the end of the run that opened
	// a stream closes it.
	KeepStreams bool
}

// UsageCounter sums token usage over a run, what each deployment used for
// [UsageCounter.Cost], and the hits of the run's response caches. It is safe for concurrent
// use; the zero value is ready.
type UsageCounter struct {
	mu                                              sync.Mutex
	requests, promptTokens, completionTokens, total int64
	byDeployment                                    map[usageKey]*deploymentUsage
	caches                                          map[*dial.Cache]struct{}
}

// CountCache adds the requests c answers to [UsageCounter.CacheHits]: all of them, since c
// was made, however often c is given. The module gives it every cache a script opens; the
// host gives it the caches it hands the clients itself.
func (u *UsageCounter) CountCache(c *dial.Cache) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.caches == nil {
		u.caches = map[*dial.Cache]struct{}{}
	}
	u.caches[c] = struct{}{}
}

// CacheHits returns how many responses the caches given to CountCache answered, and whether
// any cache was given at all.
func (u *UsageCounter) CacheHits() (hits int64, counted bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for c := range u.caches {
		hits += c.Hits()
	}
	return hits, len(u.caches) > 0
}

// Add records one response's usage.
func (u *UsageCounter) Add(prompt, completion, total int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests++
	u.promptTokens += prompt
	u.completionTokens += completion
	u.total += total
}

// Totals returns the responses counted and the summed prompt, completion and total tokens.
func (u *UsageCounter) Totals() (responses, prompt, completion, total int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.requests, u.promptTokens, u.completionTokens, u.total
}
