package main

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dialua/dialua/dial"
)

// TestRequestLog feeds the --verbose observer events as the dial package reports them: a
// response, a retried attempt, stream ends, and a connection error.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	req := func(method, path string, attempt int) dial.RequestInfo {
		return dial.RequestInfo{Method: method, Path: path, Attempt: attempt}
	}
	stream := func(chunks int, bytes int64, elapsed time.Duration, done bool, err error) func(*dial.Observer) {
		return func(o *dial.Observer) {
			o.StreamEnd(t.Context(), dial.StreamEndInfo{RequestInfo: req("POST", "/chat", 0), Chunks: chunks,
				Bytes: bytes, Elapsed: elapsed, Done: done, Err: err})
		}
	}
	response := func(r dial.RequestInfo, status int, elapsed time.Duration, err error) func(*dial.Observer) {
		return func(o *dial.Observer) {
			o.GotResponse(t.Context(), dial.ResponseInfo{RequestInfo: r, StatusCode: status, Elapsed: elapsed, Err: err})
		}
	}
	for _, tc := range []struct {
		name   string
		events []func(*dial.Observer)
		want   string
	}{
		{"response", []func(*dial.Observer){
			response(req("GET", "/openai/deployments", 1), 200, 11400*time.Microsecond, nil),
		}, "dialua: GET /openai/deployments 200 11ms\n"},
		{"retried", []func(*dial.Observer){
			response(req("POST", "/chat", 1), 429, 3*time.Millisecond, nil),
			func(o *dial.Observer) {
				o.RetryWait(t.Context(), dial.RetryInfo{RequestInfo: req("POST", "/chat", 1), Wait: time.Second,
					Err: errors.New("dial: POST /chat: 429 Too Many Requests")})
			},
			response(req("POST", "/chat", 2), 200, 1500*time.Millisecond, nil),
		}, "dialua: POST /chat 429 3ms\ndialua: POST /chat retry 1 in 1s\ndialua: POST /chat 200 1.5s retry 1\n"},
		{"stream", []func(*dial.Observer){
			response(req("POST", "/chat", 1), 200, 2*time.Millisecond, nil),
			stream(12, 3200, 1520*time.Millisecond, true, nil),
			stream(1, 300, 20*time.Millisecond, false, nil),
			stream(0, 0, 5*time.Second, false, errors.New("dial: POST /chat: idle timeout")),
		}, "dialua: POST /chat 200 2ms\n" +
			"dialua: POST /chat stream done: 12 chunks, 3.1 KiB, 1.52s\n" +
			"dialua: POST /chat stream closed: 1 chunk, 300 B, 20ms\n" +
			"dialua: POST /chat stream failed: 0 chunks, 0 B, 5s: idle timeout\n"},
		{"connection error", []func(*dial.Observer){
			response(req("GET", "/x", 1), 0, 2*time.Millisecond, errors.New("dial: GET /x: connection refused")),
		}, "dialua: GET /x failed: connection refused; 2ms\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			o := requestLog(&out)
			for _, ev := range tc.events {
				ev(o)
			}
			assert.Equal(t, tc.want, out.String())
		})
	}
}
