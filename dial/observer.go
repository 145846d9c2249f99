package dial

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Observer receives the events of a client's requests, in the manner of
// net/http/httptrace.ClientTrace: each function, when not nil, is called at one point of a
// call's life. Set it with [WithObserver]; [WithLogger] is an observer that writes the events
// as log records.
//
// The functions are called synchronously, on the goroutine that makes the call or reads the
// stream, with the call's context; they must be quick and, when the client is used from
// several goroutines, safe for concurrent use. No event carries a credential: paths have no
// query, and errors are the ones calls return, with the client's secrets masked (see
// [Secrets]). Only ChatEnd carries bodies, which hold whatever the caller wrote.
type Observer struct {
	// RequestStart is called when an attempt is about to be sent, its credentials set.
	RequestStart func(ctx context.Context, info RequestInfo)
	// GotResponse is called when an attempt has got its response headers, whatever the
	// status, or has failed without a response.
	GotResponse func(ctx context.Context, info ResponseInfo)
	// RetryWait is called when a failed attempt is to be retried, before the wait.
	RetryWait func(ctx context.Context, info RetryInfo)
	// StreamEnd is called once per stream when it is closed: at its end, after the error that
	// ended it, or when the caller closes it early.
	StreamEnd func(ctx context.Context, info StreamEndInfo)
	// ChatEnd is called once per chat completion ([Client.Chat], [Client.ChatStream] and
	// their Raw forms) with its request and its whole response: when a block call returns,
	// or when a stream is closed, with the response merged from the chunks it delivered.
	ChatEnd func(ctx context.Context, info ChatEndInfo)
}

// ChatEndInfo is one chat completion, its request and its outcome.
type ChatEndInfo struct {
	// Deployment is the deployment the request was sent to.
	Deployment string
	// Stream reports a streamed call.
	Stream bool
	// Request is the request body as the caller gave it (without the "stream" member the
	// client sets).
	Request json.RawMessage
	// Response is the response body of a block call, or the response merged from the chunks
	// a stream delivered, the usage included; nil when there was none.
	Response json.RawMessage
	// Elapsed is the time since the call began, retries included.
	Elapsed time.Duration
	// Err is the error the call returned or that ended the stream; nil on success and for a
	// stream the caller closed before its end.
	Err error
}

// RequestInfo identifies one attempt of a call.
type RequestInfo struct {
	// Method is the HTTP method.
	Method string
	// Path is the escaped URL path, the base URL's path included, without the query.
	Path string
	// Attempt counts the attempts of the call from 1. It is 0 in a [StreamEndInfo]: a
	// stream's end concerns the call.
	Attempt int
}

// Detail returns the text of err, an error of this package about the request r names,
// without the "dial: METHOD PATH: " with which such errors begin, for a line that names the
// request already. Other errors are returned whole.
func (r RequestInfo) Detail(err error) string {
	return strings.TrimPrefix(err.Error(), "dial: "+r.Method+" "+r.Path+": ")
}

// ResponseInfo is the outcome of one attempt.
type ResponseInfo struct {
	RequestInfo
	// StatusCode is the HTTP status; 0 when the attempt got no response.
	StatusCode int
	// Header holds the response headers; nil when the attempt got no response.
	Header http.Header
	// Elapsed is the time from sending to the response headers, or to the failure.
	Elapsed time.Duration
	// Err is why the attempt got no response (a transport error, a timeout, a cancellation);
	// nil when it got one.
	Err error
}

// RetryInfo announces the retry of a failed attempt.
type RetryInfo struct {
	// RequestInfo is the attempt that failed.
	RequestInfo
	// Wait is how long the client waits before the next attempt.
	Wait time.Duration
	// Err is the error of the failed attempt.
	Err error
}

// StreamEndInfo describes how a stream ended.
type StreamEndInfo struct {
	RequestInfo
	// Chunks is the number of events the stream delivered.
	Chunks int
	// Bytes is the number of response body bytes read.
	Bytes int64
	// Elapsed is the time since the call began, retries included.
	Elapsed time.Duration
	// Done reports a complete stream: [DONE], or a finish_reason at the end of the body.
	Done bool
	// Err is the error that ended the stream; nil with Done false means the caller closed it
	// before its end.
	Err error
}

// observers are the observers of a client: the logger's and the one of [WithObserver]. Their
// joined functions are never nil.
type observers struct {
	log, user *Observer
	joined    Observer
	// chat reports a ChatEnd function: a streamed chat then merges its chunks for it.
	chat bool
}

// set records the logger's and the user's observer (nil for none) and joins them.
func (o *observers) set(log, user *Observer) {
	o.log, o.user = log, user
	var a, b Observer
	if log != nil {
		a = *log
	}
	if user != nil {
		b = *user
	}
	o.joined = Observer{
		RequestStart: both(a.RequestStart, b.RequestStart),
		GotResponse:  both(a.GotResponse, b.GotResponse),
		RetryWait:    both(a.RetryWait, b.RetryWait),
		StreamEnd:    both(a.StreamEnd, b.StreamEnd),
		ChatEnd:      both(a.ChatEnd, b.ChatEnd),
	}
	o.chat = a.ChatEnd != nil || b.ChatEnd != nil
}

// both returns a function that calls f then g, skipping a nil one; it is never nil.
func both[T any](f, g func(context.Context, T)) func(context.Context, T) {
	switch {
	case f == nil && g == nil:
		return func(context.Context, T) {}
	case f == nil:
		return g
	case g == nil:
		return f
	}
	return func(ctx context.Context, v T) {
		f(ctx, v)
		g(ctx, v)
	}
}

// logObserver writes the events to l as records of the documented shape of [WithLogger].
func logObserver(l *slog.Logger) *Observer {
	request := func(r RequestInfo) []slog.Attr {
		return []slog.Attr{slog.String("method", r.Method), slog.String("path", r.Path),
			slog.Int("attempt", r.Attempt)}
	}
	return &Observer{
		RequestStart: func(ctx context.Context, r RequestInfo) {
			l.LogAttrs(ctx, slog.LevelDebug, "dial: request", request(r)...)
		},
		GotResponse: func(ctx context.Context, r ResponseInfo) {
			outcome := slog.Int("status", r.StatusCode)
			if r.Err != nil {
				outcome = slog.String("error", r.Err.Error())
			}
			l.LogAttrs(ctx, slog.LevelDebug, "dial: response",
				append(request(r.RequestInfo), outcome, slog.Duration("elapsed", r.Elapsed))...)
		},
		RetryWait: func(ctx context.Context, r RetryInfo) {
			l.LogAttrs(ctx, slog.LevelInfo, "dial: retrying", append(request(r.RequestInfo),
				slog.Duration("wait", r.Wait), slog.String("error", r.Err.Error()))...)
		},
		StreamEnd: func(ctx context.Context, s StreamEndInfo) {
			outcome := slog.String("end", "closed")
			switch {
			case s.Err != nil:
				outcome = slog.String("error", s.Err.Error())
			case s.Done:
				outcome = slog.String("end", "done")
			}
			l.LogAttrs(ctx, slog.LevelDebug, "dial: stream end",
				slog.String("method", s.Method), slog.String("path", s.Path), slog.Int("events", s.Chunks),
				slog.Int64("bytes", s.Bytes), slog.Duration("elapsed", s.Elapsed), outcome)
		},
	}
}
