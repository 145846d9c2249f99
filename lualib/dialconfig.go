package lualib

import (
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/dialua/dialua/dial"
)

// DialConfig configures the `dial` module of every state in a process. One DialConfig is
// shared by all the states (all hosts of a pool, the REPL, the batch workers); it is read-only
// once a module uses it, except through its Usage counter.
type DialConfig struct {
	// Pool is the connection pool every client a script creates draws from, unless the
	// script makes its own with dial.pool{}. Required.
	Pool *dial.Pool
	// Default is what dial.default() connects to.
	Default ClientConfig
	// Logger, when not nil, is given to every client (dial.WithLogger): one record per HTTP
	// attempt, without credentials.
	Logger *slog.Logger
	// Secrets, when not nil, is shared by every client the module makes (dial.WithSecrets): it
	// learns the keys and tokens given to dial.client{} and pool:client{} and the values
	// credential functions return, and each client masks all of them in its errors. The host
	// masks them in its own output with Secrets.Redact.
	Secrets *dial.Secrets
	// Usage, when not nil, sums the token usage of every chat and embeddings response.
	Usage *Usage
	// Progress, when not nil, is asked for a progress sink before a file upload or download
	// of total bytes (-1 when unknown) described by label; the module writes every transferred
	// block to the returned writer and closes it at the end. It may return nil for no
	// progress (small transfers, no terminal).
	Progress func(label string, total int64) io.WriteCloser
}

// ClientConfig is the connection of dial.default(): the flags and environment of the CLI.
type ClientConfig struct {
	// BaseURL is the DIAL server root, such as "https://dial.example.com". Empty makes
	// dial.default() fail with a message saying no DIAL URL is configured.
	BaseURL string
	// APIKey and BearerToken are the credentials; at least one is needed.
	APIKey, BearerToken string
	// APIVersion is the api-version of chat and embeddings requests; empty uses the dial
	// package's default.
	APIVersion string
	// Timeout bounds connecting and, for streams, the wait for the next chunk; zero uses the
	// dial package's default.
	Timeout time.Duration
	// MaxRetries is the number of retries after a failed attempt; negative uses the dial
	// package's default.
	MaxRetries int
	// Headers are sent with every request (X-CONVERSATION-ID, X-JOB-TITLE, …).
	Headers map[string]string
}

// Usage sums token usage over a run, and what each deployment used for [Usage.Cost]. It is safe
// for concurrent use; the zero value is ready.
type Usage struct {
	mu                                              sync.Mutex
	requests, promptTokens, completionTokens, total int64
	byDeployment                                    map[usageKey]*deploymentUsage
}

// Add records one response's usage.
func (u *Usage) Add(prompt, completion, total int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests++
	u.promptTokens += prompt
	u.completionTokens += completion
	u.total += total
}

// Totals returns the responses counted and the summed prompt, completion and total tokens.
func (u *Usage) Totals() (responses, prompt, completion, total int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.requests, u.promptTokens, u.completionTokens, u.total
}
