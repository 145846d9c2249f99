package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// requestLog is the slog.Handler of --verbose: it turns the dial package's "dial: response"
// records, one per HTTP attempt, into one line each on w: "dialua: GET /openai/deployments 200
// 12ms", with "retry N" on a retried attempt and the error instead of the status when the
// attempt got no answer. The records carry no credentials (the dial package never logs them)
// and w masks the ones the process knows besides. Other records are ignored.
type requestLog struct {
	w io.Writer
}

func newRequestLog(w io.Writer) *requestLog { return &requestLog{w: w} }

// Enabled implements slog.Handler: every record of the dial package is read.
func (l *requestLog) Enabled(context.Context, slog.Level) bool { return true }

// WithAttrs implements slog.Handler; attributes added by loggers are not shown.
func (l *requestLog) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup implements slog.Handler; groups are not shown.
func (l *requestLog) WithGroup(string) slog.Handler { return l }

// Handle implements slog.Handler.
func (l *requestLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "dial: response" {
		return nil
	}
	var method, path, errText string
	var status, attempt int64
	var elapsed time.Duration
	r.Attrs(func(a slog.Attr) bool {
		v := a.Value.Resolve()
		switch a.Key {
		case "method":
			method = v.String()
		case "path":
			path = v.String()
		case "status":
			status = v.Int64()
		case "attempt":
			attempt = v.Int64()
		case "elapsed":
			elapsed = v.Duration()
		case "error":
			errText = v.String()
		}
		return true
	})
	var b strings.Builder
	fmt.Fprintf(&b, "dialua: %s %s", method, path)
	if status != 0 {
		fmt.Fprintf(&b, " %d", status)
	} else {
		// The dial package's error texts repeat the request: "dial: GET /path: …".
		fmt.Fprintf(&b, " failed: %s;", strings.TrimPrefix(errText, "dial: "+method+" "+path+": "))
	}
	fmt.Fprintf(&b, " %s", roundDuration(elapsed))
	if attempt > 1 {
		fmt.Fprintf(&b, " retry %d", attempt-1)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(l.w, b.String())
	return err
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
