package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestRequestLog feeds the --verbose handler the records of the dial package: with and without
// "dial: response" records, a retry after a status, a retry after a connection error.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(at time.Duration, msg string, attrs ...slog.Attr) slog.Record {
		r := slog.NewRecord(t0.Add(at), slog.LevelDebug, msg, 0)
		r.AddAttrs(attrs...)
		return r
	}
	req := func(method, path string, attempt int) []slog.Attr {
		return []slog.Attr{slog.String("method", method), slog.String("path", path),
			slog.Int("attempt", attempt)}
	}
	with := func(a []slog.Attr, more ...slog.Attr) []slog.Attr { return append(a, more...) }
	for _, tc := range []struct {
		name    string
		records []slog.Record
		want    string
	}{
		{"response records", []slog.Record{
			rec(0, "dial: request", req("GET", "/openai/deployments", 1)...),
			rec(12*time.Millisecond, "dial: response", with(req("GET", "/openai/deployments", 1),
				slog.Int("status", 200), slog.Duration("elapsed", 11*time.Millisecond))...),
		}, "dialua: GET /openai/deployments 200 11ms\n"},
		{"elapsed measured", []slog.Record{
			rec(0, "dial: request", req("GET", "/v1/bucket", 1)...),
			rec(1500*time.Millisecond, "dial: response", with(req("GET", "/v1/bucket", 1),
				slog.Int("status", 200))...),
		}, "dialua: GET /v1/bucket 200 1.5s\n"},
		{"error response then retry", []slog.Record{
			rec(0, "dial: request", req("POST", "/chat", 1)...),
			rec(3*time.Millisecond, "dial: error response", slog.String("method", "POST"),
				slog.String("path", "/chat"), slog.Int("status", 429)),
			rec(4*time.Millisecond, "dial: retrying", with(req("POST", "/chat", 1),
				slog.Duration("wait", time.Second), slog.String("error", "429"))...),
			rec(time.Second, "dial: request", req("POST", "/chat", 2)...),
			rec(time.Second+5*time.Millisecond, "dial: response", with(req("POST", "/chat", 2),
				slog.Int("status", 200))...),
		}, "dialua: POST /chat 429 3ms\ndialua: POST /chat 200 5ms retry 1\n"},
		{"connection error", []slog.Record{
			rec(0, "dial: request", req("GET", "/x", 1)...),
			rec(2*time.Millisecond, "dial: retrying", with(req("GET", "/x", 1),
				slog.Duration("wait", 500*time.Millisecond),
				slog.String("error", "dial: GET /x: connection refused"))...),
		}, "dialua: GET /x failed: connection refused; 2ms, retrying in 500ms\n"},
		{"error response ignored once responses are logged", []slog.Record{
			rec(0, "dial: request", req("GET", "/a", 1)...),
			rec(time.Millisecond, "dial: response", with(req("GET", "/a", 1), slog.Int("status", 200))...),
			rec(2*time.Millisecond, "dial: request", req("GET", "/b", 1)...),
			rec(3*time.Millisecond, "dial: error response", slog.String("method", "GET"),
				slog.String("path", "/b"), slog.Int("status", 404)),
			rec(3*time.Millisecond, "dial: response", with(req("GET", "/b", 1), slog.Int("status", 404))...),
		}, "dialua: GET /a 200 1ms\ndialua: GET /b 404 1ms\n"},
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
