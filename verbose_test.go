package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestRequestLog feeds the --verbose handler records as the dial package logs them: a
// response, a retried attempt, a connection error, and records it does not show.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	rec := func(msg, method, path string, attempt int, more ...slog.Attr) slog.Record {
		r := slog.NewRecord(time.Now(), slog.LevelDebug, msg, 0)
		r.AddAttrs(slog.String("method", method), slog.String("path", path), slog.Int("attempt", attempt))
		r.AddAttrs(more...)
		return r
	}
	for _, tc := range []struct {
		name    string
		records []slog.Record
		want    string
	}{
		{"response", []slog.Record{
			rec("dial: request", "GET", "/openai/deployments", 1),
			rec("dial: response", "GET", "/openai/deployments", 1, slog.Int("status", 200),
				slog.Duration("elapsed", 11400*time.Microsecond)),
		}, "dialua: GET /openai/deployments 200 11ms\n"},
		{"retried", []slog.Record{
			rec("dial: response", "POST", "/chat", 1, slog.Int("status", 429), slog.Duration("elapsed", 3*time.Millisecond)),
			rec("dial: retrying", "POST", "/chat", 1, slog.Duration("wait", time.Second)),
			rec("dial: response", "POST", "/chat", 2, slog.Int("status", 200), slog.Duration("elapsed", 1500*time.Millisecond)),
		}, "dialua: POST /chat 429 3ms\ndialua: POST /chat retry 1 in 1s\ndialua: POST /chat 200 1.5s retry 1\n"},
		{"stream", []slog.Record{
			rec("dial: response", "POST", "/chat", 1, slog.Int("status", 200), slog.Duration("elapsed", 2*time.Millisecond)),
			rec("dial: stream end", "POST", "/chat", 0, slog.Int("events", 12), slog.Int64("bytes", 3200),
				slog.Duration("elapsed", 1520*time.Millisecond), slog.String("end", "done")),
			rec("dial: stream end", "POST", "/chat", 0, slog.Int("events", 1), slog.Int64("bytes", 300),
				slog.Duration("elapsed", 20*time.Millisecond), slog.String("end", "closed")),
			rec("dial: stream end", "POST", "/chat", 0, slog.Int("events", 0), slog.Int64("bytes", 0),
				slog.Duration("elapsed", 5*time.Second), slog.String("error", "dial: POST /chat: idle timeout")),
		}, "dialua: POST /chat 200 2ms\n" +
			"dialua: POST /chat stream done: 12 chunks, 3.1 KiB, 1.52s\n" +
			"dialua: POST /chat stream closed: 1 chunk, 300 B, 20ms\n" +
			"dialua: POST /chat stream failed: 0 chunks, 0 B, 5s: idle timeout\n"},
		{"connection error", []slog.Record{
			rec("dial: response", "GET", "/x", 1, slog.String("error", "dial: GET /x: connection refused"),
				slog.Duration("elapsed", 2*time.Millisecond)),
		}, "dialua: GET /x failed: connection refused; 2ms\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			h := newRequestLog(&out)
			for _, r := range tc.records {
				assert.NoError(t, h.Handle(context.Background(), r))
			}
			assert.Equal(t, tc.want, out.String())
		})
	}
}
