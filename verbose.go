package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// requestLog is the slog.Handler of --verbose: it turns the dial package's records into one
// line per HTTP request on w, "dialua: GET /openai/deployments 200 12ms", with "retry N" on a
// retried attempt. The records carry no credentials (the dial package never logs them) and w
// masks the configured ones besides.
//
// Records it reads (attributes method, path, attempt, status, elapsed, wait, error):
//   - "dial: request" starts an attempt; its time is kept to measure the attempt when the
//     record of its outcome has no elapsed attribute;
//   - "dial: response" ends an attempt, with its status or its error, and prints its line;
//     "dial: error response" does the same for a status of 400 or more, unless the package
//     logs "dial: response" records;
//   - "dial: retrying" after an attempt that ended without a status (a connection error)
//     prints that attempt's line with the error and the wait.
type requestLog struct {
	w     io.Writer
	mu    sync.Mutex
	start map[string][]pending // by method and path, oldest first
	// sawResponse is set by the first "dial: response" record, after which the older
	// "dial: error response" records are redundant.
	sawResponse bool
}

// pending is an attempt whose outcome has not been logged yet.
type pending struct {
	at      time.Time
	attempt int64
}

func newRequestLog(w io.Writer) *requestLog {
	return &requestLog{w: w, start: map[string][]pending{}}
}

// Enabled implements slog.Handler: every record of the dial package is read.
func (l *requestLog) Enabled(context.Context, slog.Level) bool { return true }

// WithAttrs implements slog.Handler; attributes added by loggers are not shown.
func (l *requestLog) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup implements slog.Handler; groups are not shown.
func (l *requestLog) WithGroup(string) slog.Handler { return l }

// Handle implements slog.Handler.
func (l *requestLog) Handle(_ context.Context, r slog.Record) error {
	var method, path, errText string
	var status, attempt int64
	var elapsed, wait time.Duration
	hasStatus, hasElapsed := false, false
	r.Attrs(func(a slog.Attr) bool {
		v := a.Value.Resolve()
		switch a.Key {
		case "method":
			method = v.String()
		case "path":
			path = v.String()
		case "status":
			status, hasStatus = v.Int64(), true
		case "attempt":
			attempt = v.Int64()
		case "elapsed", "duration":
			elapsed, hasElapsed = v.Duration(), true
		case "wait":
			wait = v.Duration()
		case "error":
			errText = v.String()
		}
		return true
	})
	if method == "" {
		return nil
	}
	key := method + " " + path

	l.mu.Lock()
	defer l.mu.Unlock()
	switch r.Message {
	case "dial: request":
		l.start[key] = append(l.start[key], pending{at: r.Time, attempt: attempt})
		return nil
	case "dial: response":
		l.sawResponse = true
	case "dial: error response":
		if l.sawResponse {
			return nil
		}
	case "dial: retrying":
		if hasStatus {
			return nil
		}
	default:
		return nil
	}
	p, found := l.pop(key)
	if r.Message == "dial: retrying" && !found {
		return nil // the retry of an attempt whose line is printed already
	}
	if !hasElapsed && found {
		elapsed = r.Time.Sub(p.at)
	}
	if attempt == 0 {
		attempt = p.attempt
	}
	// The dial package's error texts repeat the request: "dial: GET /path: …".
	errText = strings.TrimPrefix(errText, "dial: "+method+" "+path+": ")

	var b strings.Builder
	fmt.Fprintf(&b, "dialua: %s %s", method, path)
	if hasStatus {
		fmt.Fprintf(&b, " %d", status)
	} else if errText != "" {
		fmt.Fprintf(&b, " failed: %s;", errText)
	}
	if hasElapsed || found {
		fmt.Fprintf(&b, " %s", roundDuration(elapsed))
	}
	if attempt > 1 {
		fmt.Fprintf(&b, " retry %d", attempt-1)
	}
	if !hasStatus && wait > 0 {
		fmt.Fprintf(&b, ", retrying in %s", roundDuration(wait))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(l.w, b.String())
	return err
}

// pop removes and returns the oldest pending attempt of key.
func (l *requestLog) pop(key string) (pending, bool) {
	q := l.start[key]
	if len(q) == 0 {
		return pending{}, false
	}
	p := q[0]
	if len(q) == 1 {
		delete(l.start, key)
	} else {
		l.start[key] = q[1:]
	}
	return p, true
}

// roundDuration shortens d for people: milliseconds below a minute, else seconds.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d < time.Minute:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
