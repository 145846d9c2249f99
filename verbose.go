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
// attempt got no answer. The time is to the response's headers; the end of a streamed
// response gets a line of its own ("dial: stream end": chunks, bytes, total time), and so does
// each wait before a retry ("dial: retrying"). The records carry no credentials (the dial package never logs them)
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
	switch r.Message {
	case "dial: retrying":
		_, err := io.WriteString(l.w, retryLine(r))
		return err
	case "dial: stream end":
		_, err := io.WriteString(l.w, streamEndLine(r))
		return err
	case "dial: response":
	default:
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

// recordAttrs returns the attributes of r by key.
func recordAttrs(r slog.Record) map[string]slog.Value {
	attrs := make(map[string]slog.Value, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.Resolve()
		return true
	})
	return attrs
}

// retryLine is the line of a "dial: retrying" record: "dialua: POST /path retry 1 in 1.5s".
func retryLine(r slog.Record) string {
	a := recordAttrs(r)
	return fmt.Sprintf("dialua: %s %s retry %d in %s\n", a["method"], a["path"], a["attempt"].Int64(),
		roundDuration(a["wait"].Duration()))
}

// streamEndLine is the line of a "dial: stream end" record: "dialua: POST /path stream done:
// 12 chunks, 3.1 KiB, 1.52s", with "closed" for a stream closed before its end and "failed"
// and the error for one that broke.
func streamEndLine(r slog.Record) string {
	a := recordAttrs(r)
	method, path, n := a["method"].String(), a["path"].String(), a["events"].Int64()
	end, reason := a["end"].String(), ""
	if e, ok := a["error"]; ok {
		end = "failed"
		reason = ": " + strings.TrimPrefix(e.String(), "dial: "+method+" "+path+": ")
	}
	return fmt.Sprintf("dialua: %s %s stream %s: %d %s, %s, %s%s\n", method, path, end, n,
		plural(n, "chunk", "chunks"), byteSize(a["bytes"].Int64()),
		roundDuration(a["elapsed"].Duration()), reason)
}

// byteSize formats n bytes for people: 512 B, 3.1 KiB, 2.0 MiB.
func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
