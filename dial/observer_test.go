package dial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
)

// eventLog is an Observer that keeps every event it gets, in order.
type eventLog struct {
	mu     sync.Mutex
	events []any
}

func (l *eventLog) add(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

func (l *eventLog) all() []any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]any(nil), l.events...)
}

func (l *eventLog) observer() *Observer {
	return &Observer{
		RequestStart: func(_ context.Context, i RequestInfo) { l.add(i) },
		GotResponse:  func(_ context.Context, i ResponseInfo) { l.add(i) },
		RetryWait:    func(_ context.Context, i RetryInfo) { l.add(i) },
		StreamEnd:    func(_ context.Context, i StreamEndInfo) { l.add(i) },
	}
}

// writeEvents is an Observer that prints every event with %+v to w.
func writeEvents(w io.Writer) *Observer {
	return &Observer{
		RequestStart: func(_ context.Context, i RequestInfo) { fmt.Fprintf(w, "%+v\n", i) },
		GotResponse:  func(_ context.Context, i ResponseInfo) { fmt.Fprintf(w, "%+v\n", i) },
		RetryWait:    func(_ context.Context, i RetryInfo) { fmt.Fprintf(w, "%+v\n", i) },
		StreamEnd:    func(_ context.Context, i StreamEndInfo) { fmt.Fprintf(w, "%+v\n", i) },
	}
}

// TestObserverSeesRetriesAndStreamEnd streams from a deployment that fails once with 503 and
// Retry-After: the observer sees both attempts, their responses, the wait between them and the
// stream's end, in that order.
func TestObserverSeesRetriesAndStreamEnd(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "busy", Reply: "one two",
		Status: http.StatusServiceUnavailable, RetryAfter: 3, FailTimes: 1}))
	var log eventLog
	c, waits := newTestClient(t, srv, WithObserver(log.observer()))

	s, err := c.ChatStream(t.Context(), "busy", userMsg("x"))
	require.NoError(t, err)
	chunks := 0
	for s.Next() {
		chunks++
	}
	require.NoError(t, s.Err())
	require.NoError(t, s.Close())

	events := log.all()
	require.Len(t, events, 6, "%+v", events)
	const path = "/dial/openai/deployments/busy/chat/completions"
	first := RequestInfo{Method: "POST", Path: path, Attempt: 1}
	assert.Equal(t, first, events[0])
	failed := events[1].(ResponseInfo)
	assert.Equal(t, first, failed.RequestInfo)
	assert.Equal(t, http.StatusServiceUnavailable, failed.StatusCode)
	assert.Equal(t, "3", failed.Header.Get("Retry-After"))
	assert.NoError(t, failed.Err)
	retry := events[2].(RetryInfo)
	assert.Equal(t, first, retry.RequestInfo)
	assert.Equal(t, []time.Duration{retry.Wait}, waits.all(), "the announced wait is the one waited")
	var apiErr *APIError
	require.ErrorAs(t, retry.Err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	second := RequestInfo{Method: "POST", Path: path, Attempt: 2}
	assert.Equal(t, second, events[3])
	ok := events[4].(ResponseInfo)
	assert.Equal(t, second, ok.RequestInfo)
	assert.Equal(t, http.StatusOK, ok.StatusCode)
	assert.Positive(t, ok.Elapsed)
	end := events[5].(StreamEndInfo)
	assert.Equal(t, RequestInfo{Method: "POST", Path: path}, end.RequestInfo)
	assert.Equal(t, chunks, end.Chunks)
	assert.Positive(t, end.Bytes)
	assert.GreaterOrEqual(t, end.Elapsed, ok.Elapsed)
	assert.True(t, end.Done)
	assert.NoError(t, end.Err)
}

// ctxMark is a context key the observer tests look for.
type ctxMark struct{}

// TestObserverGetsTheCallsContext checks that events arrive with the context of the call.
func TestObserverGetsTheCallsContext(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	var marks []any
	c, _ := newTestClient(t, srv, WithObserver(&Observer{
		GotResponse: func(ctx context.Context, _ ResponseInfo) { marks = append(marks, ctx.Value(ctxMark{})) },
	}))
	_, err := c.ListDeployments(context.WithValue(t.Context(), ctxMark{}, "call 1"))
	require.NoError(t, err)
	assert.Equal(t, []any{"call 1"}, marks)
}

// TestObserverSeesFailuresWithoutResponse checks the events of a refused connection, with no
// retries: a response event with the error and no status, whose Detail drops the request.
func TestObserverSeesFailuresWithoutResponse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	var log eventLog
	c, err := NewClient("http://"+addr+"/base", WithAPIKey("some-key"), WithMaxRetries(0),
		WithObserver(log.observer()))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.ListDeployments(t.Context())
	require.ErrorIs(t, err, ErrTransport)

	events := log.all()
	require.Len(t, events, 2)
	got := events[1].(ResponseInfo)
	assert.Equal(t, RequestInfo{Method: "GET", Path: "/base/openai/deployments", Attempt: 1}, got.RequestInfo)
	assert.Zero(t, got.StatusCode)
	assert.Nil(t, got.Header)
	assert.Equal(t, err, got.Err, "the error the call returned")
	assert.Equal(t, "dial: GET /base/openai/deployments: "+got.Detail(got.Err), err.Error())
	assert.Contains(t, got.Detail(got.Err), "connection refused")
	other := errors.New("dial: GET /elsewhere: no")
	assert.Equal(t, other.Error(), got.Detail(other), "another request's error stays whole")
}

// TestStreamEndEvents checks how the end of a stream closed early and of one broken by an
// error event are reported.
func TestStreamEndEvents(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "midstream",
		Reply: "a b c", StreamError: &emulator.StreamError{After: 1, Message: "boom"}}))
	var ends []StreamEndInfo
	c, _ := newTestClient(t, srv, WithObserver(&Observer{
		StreamEnd: func(_ context.Context, i StreamEndInfo) { ends = append(ends, i) },
	}))

	s, err := c.ChatStream(t.Context(), "gpt-4o", userMsg("one two three"))
	require.NoError(t, err)
	require.True(t, s.Next())
	s.Close()
	s.Close()
	require.Len(t, ends, 1, "one event per stream")
	assert.Equal(t, 1, ends[0].Chunks)
	assert.False(t, ends[0].Done)
	assert.NoError(t, ends[0].Err)

	s, err = c.ChatStream(t.Context(), "midstream", userMsg("x"))
	require.NoError(t, err)
	for s.Next() {
	}
	require.Len(t, ends, 2)
	assert.Equal(t, s.Err(), ends[1].Err)
	assert.False(t, ends[1].Done)
	assert.Equal(t, "error during stream: boom", ends[1].Detail(ends[1].Err))
}

// TestLoggerAndObserverTogether checks that a logger and an observer both get the events, the
// logger first.
func TestLoggerAndObserverTogether(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	var logs testutil.SyncBuffer
	var seen []string // what the log held when the observer got each event
	c, _ := newTestClient(t, srv, WithObserver(&Observer{
		RequestStart: func(context.Context, RequestInfo) { seen = append(seen, logs.String()) },
	}), WithLogger(newTestLogger(&logs)))
	_, err := c.ListDeployments(t.Context())
	require.NoError(t, err)
	require.Len(t, seen, 1)
	assert.Contains(t, seen[0], `msg="dial: request"`)
	assert.Contains(t, logs.String(), `msg="dial: request" method=GET path=/dial/openai/deployments attempt=1`)
	assert.Contains(t, logs.String(), `msg="dial: response" method=GET path=/dial/openai/deployments attempt=1 status=200 elapsed=`)
}

func TestWithObserverRefusesNil(t *testing.T) {
	t.Parallel()
	_, err := NewClient("http://h", WithAPIKey("k"), WithObserver(nil))
	assert.EqualError(t, err, "dial: WithObserver: nil observer")
}
