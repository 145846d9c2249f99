package dial

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
)

// TestWatchEvents watches two files: uploads, a move and a delete each give their event, in
// order, and fn returning false ends the watch without error.
func TestWatchEvents(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := watchContext(t)
	home := filesHome(t, c)
	a, b := home+"inbox/a.txt", home+"inbox/b.txt"
	other := home + "elsewhere.txt"
	var got []string
	err := c.Watch(ctx, []string{a, b}, func(e ResourceEvent) bool {
		got = append(got, e.Action+" "+strings.TrimPrefix(e.URL, home))
		assert.NotZero(t, e.Timestamp)
		assert.Contains(t, string(e.Raw), `"action":"`+e.Action+`"`)
		return len(got) < 5
	}, WatchOptions{OnConnect: func() bool {
		// The subscription is live: these changes are all reported, and only these.
		for _, step := range []func() error{
			func() error { _, err := c.UploadFile(ctx, other, strings.NewReader("x")); return err },
			func() error { _, err := c.UploadFile(ctx, a, strings.NewReader("1")); return err },
			func() error { _, err := c.UploadFile(ctx, a, strings.NewReader("2")); return err },
			func() error { return c.MoveFile(ctx, a, b) },
			func() error { return c.DeleteFile(ctx, b) },
		} {
			require.NoError(t, step())
		}
		return true
	}})
	require.NoError(t, err)
	assert.Equal(t, []string{"CREATE inbox/a.txt", "UPDATE inbox/a.txt", "CREATE inbox/b.txt",
		"DELETE inbox/a.txt", "DELETE inbox/b.txt"}, got)
}

// TestWatchReconnects: a dropped stream and a 503 are followed by new subscriptions, with
// growing waits, and events of the new subscription arrive.
func TestWatchReconnects(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, waits := newTestClient(t, srv, WithMaxRetries(0))
	ctx := watchContext(t)
	url := filesHome(t, c) + "watched.txt"
	connects := 0
	srv.Handle("POST /v1/ops/resource/subscribe", emulatortest.Fail(1, http.StatusServiceUnavailable, 0,
		http.HandlerFunc(srv.Emulator.ServeHTTP)))
	err := c.Watch(ctx, []string{url}, func(e ResourceEvent) bool {
		assert.Equal(t, "CREATE", e.Action)
		return false
	}, WatchOptions{WaitMin: time.Second, WaitMax: 4 * time.Second, OnConnect: func() bool {
		connects++
		if connects == 1 {
			srv.Emulator.DropSubscriptions()
			return true
		}
		_, err := c.UploadFile(ctx, url, strings.NewReader("x"))
		require.NoError(t, err)
		return true
	}})
	require.NoError(t, err)
	assert.Equal(t, 2, connects)
	w := waits.all()
	require.Len(t, w, 2, "a wait after the 503, and one after the drop")
	for _, d := range w {
		assert.True(t, d >= time.Second/2 && d <= time.Second, "%v: a connection resets the count", d)
	}
}

func TestWatchErrors(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, waits := newTestClient(t, srv)
	ctx := watchContext(t)
	home := filesHome(t, c)
	never := func(ResourceEvent) bool { t.Error("no event expected"); return false }
	var apiErr *APIError
	err := c.Watch(ctx, []string{home + "folder/"}, never, WatchOptions{})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "resource folder is not supported: "+home+"folder/", apiErr.Message)
	foreign := "files/" + emulator.SecondBucket + "/x.txt"
	err = c.Watch(ctx, []string{foreign}, never, WatchOptions{})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 403, apiErr.StatusCode)
	assert.Equal(t, "resource is not allowed: "+foreign, apiErr.Message)
	require.ErrorContains(t, c.Watch(ctx, nil, never, WatchOptions{}), "no resources")
	assert.Empty(t, waits.all(), "errors that are not worth retrying end the watch at once")

	cctx, cancel := context.WithCancel(ctx)
	err = c.Watch(cctx, []string{home + "x.txt"}, never, WatchOptions{OnConnect: func() bool { cancel(); return true }})
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, c.Watch(ctx, []string{home + "x.txt"}, never, WatchOptions{OnConnect: func() bool { return false }}),
		"OnConnect returning false ends the watch")

	gone := emulatortest.NewServer(t)
	g, gwaits := newTestClient(t, gone, WithMaxRetries(0))
	gone.Handle("POST /v1/ops/resource/subscribe", emulatortest.Fail(100, http.StatusBadGateway, 0, nil))
	err = g.Watch(ctx, []string{filesHome(t, g) + "x.txt"}, never, WatchOptions{MaxReconnects: 2})
	require.ErrorContains(t, err, "giving up after 2 reconnections")
	gw := gwaits.all()
	require.Len(t, gw, 2)
	assert.GreaterOrEqual(t, gw[1], DefaultWatchWaitMin, "the wait doubles with each failure in a row")
}

// TestWatchSharedRevoked: a colleague watches a shared file; once the owner revokes it, its
// changes are no longer reported to the colleague.
func TestWatchSharedRevoked(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	owner, _ := newTestClient(t, srv)
	other, err := NewClient(srv.URL, WithAPIKey(emulator.SecondKey))
	require.NoError(t, err)
	ctx := watchContext(t)
	shared := filesHome(t, owner) + "status.txt"
	own := filesHome(t, other) + "mine.txt"
	_, err = owner.UploadFile(ctx, shared, strings.NewReader("v1"))
	require.NoError(t, err)
	link, err := owner.CreateShare(ctx, ShareRequest{Resources: []SharedResource{{URL: shared}}})
	require.NoError(t, err)
	require.NoError(t, other.AcceptInvitation(ctx, string(link[len(`{"invitationLink":"`):len(link)-2])))
	var got []string
	err = other.Watch(ctx, []string{shared, own}, func(e ResourceEvent) bool {
		got = append(got, e.Action+" "+e.URL)
		return len(got) < 2
	}, WatchOptions{OnConnect: func() bool {
		for _, step := range []func() error{
			func() error { _, err := owner.UploadFile(ctx, shared, strings.NewReader("v2")); return err },
			func() error { return owner.RevokeShares(ctx, []SharedResource{{URL: shared}}) },
			func() error { _, err := owner.UploadFile(ctx, shared, strings.NewReader("v3")); return err },
			func() error { _, err := other.UploadFile(ctx, own, strings.NewReader("x")); return err },
		} {
			require.NoError(t, step())
		}
		return true
	}})
	require.NoError(t, err)
	assert.Equal(t, []string{"UPDATE " + shared, "CREATE " + own}, got, "v3 is not reported")
}

// TestWatchHeartbeats: a subscription that gets many heartbeats before its event delivers
// the event alone, without reconnecting, with idle timeouts (the watch's and the client's)
// shorter than the quiet time before it.
func TestWatchHeartbeats(t *testing.T) {
	t.Parallel()
	// The idle timeouts are a hundred heartbeats long, so that a loaded machine's stalls do not
	// reach them, and the event comes after twice that.
	const period, idle, beats = 10 * time.Millisecond, time.Second, 200
	cfg := emulator.DefaultConfig()
	cfg.HeartbeatPeriod = emulator.Duration(period)
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	hb := &heartbeatCounter{n: beats, reached: make(chan struct{})}
	c, waits := newTestClient(t, srv, WithTimeout(idle), WithHTTPClient(&http.Client{Transport: hb}))
	// The upload goes through a client with the default idle timeout: only the watch is
	// under test.
	up, _ := newTestClient(t, srv)
	ctx := watchContext(t)
	url := "files/" + srv.Bucket + "/watched.txt"

	start := time.Now()
	var quiet time.Duration
	uploaded := make(chan error, 1)
	go func() {
		select {
		case <-hb.reached:
			quiet = time.Since(start)
			_, err := up.UploadFile(ctx, url, strings.NewReader("x"))
			uploaded <- err
		case <-ctx.Done():
			uploaded <- ctx.Err()
		}
	}()
	var got []string
	connects := 0
	err := c.Watch(ctx, []string{url}, func(e ResourceEvent) bool {
		got = append(got, e.Action+" "+e.URL)
		return false
	}, WatchOptions{Idle: idle, OnConnect: func() bool { connects++; return true }})
	require.NoError(t, err)
	require.NoError(t, <-uploaded)
	assert.Equal(t, []string{"CREATE " + url}, got, "heartbeats are not events")
	assert.Equal(t, 1, connects, "heartbeats do not end the subscription")
	assert.Empty(t, waits.all(), "no reconnection")
	assert.Greater(t, quiet, idle, "%d heartbeats take longer than the idle timeout", beats)
}

// TestWatchRenewsASilentSubscription: a subscription that gets neither events nor heartbeats
// for the watch's idle time is taken for dead and made again, after a reconnection wait.
func TestWatchRenewsASilentSubscription(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.HeartbeatPeriod = emulator.Duration(time.Hour)
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	c, waits := newTestClient(t, srv)
	connects := 0
	err := c.Watch(watchContext(t), []string{"files/" + srv.Bucket + "/quiet.txt"}, func(ResourceEvent) bool {
		t.Error("no event expected")
		return false
	}, WatchOptions{Idle: 20 * time.Millisecond, OnConnect: func() bool {
		connects++
		return connects < 2
	}})
	require.NoError(t, err)
	assert.Equal(t, 2, connects)
	assert.Len(t, waits.all(), 1, "one reconnection wait")
}

// TestWatchSlowCallback: the time fn spends on an event is not idleness of the subscription,
// however much longer than the idle timeout it is: the next event comes on the same one.
func TestWatchSlowCallback(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.HeartbeatPeriod = emulator.Duration(10 * time.Millisecond)
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	c, waits := newTestClient(t, srv)
	ctx := watchContext(t)
	url := "files/" + srv.Bucket + "/slow.txt"
	const idle = time.Second // a hundred heartbeats
	var got []string
	connects := 0
	err := c.Watch(ctx, []string{url}, func(e ResourceEvent) bool {
		got = append(got, e.Action)
		if len(got) == 1 {
			time.Sleep(5 * idle / 2) // slow work on the event, not a wait for anything
			_, err := c.UploadFile(ctx, url, strings.NewReader("v2"))
			require.NoError(t, err)
		}
		return len(got) < 2
	}, WatchOptions{Idle: idle, OnConnect: func() bool {
		connects++
		if connects == 1 {
			_, err := c.UploadFile(ctx, url, strings.NewReader("v1"))
			require.NoError(t, err)
		}
		return true
	}})
	require.NoError(t, err)
	assert.Equal(t, []string{"CREATE", "UPDATE"}, got)
	assert.Equal(t, 1, connects, "the subscription was kept")
	assert.Empty(t, waits.all())
}

// heartbeatCounter is a transport that closes reached once the bodies of resource
// subscriptions have brought n ": heartbeat" comments to the client.
type heartbeatCounter struct {
	n       int
	reached chan struct{}

	mu   sync.Mutex
	seen []byte // what the subscriptions have read so far
	once sync.Once
}

func (h *heartbeatCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := testutil.HTTPClient.Transport.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/v1/ops/resource/subscribe") {
		resp.Body = &heartbeatBody{ReadCloser: resp.Body, h: h}
	}
	return resp, err
}

// heartbeatBody reports what a subscription reads to its counter.
type heartbeatBody struct {
	io.ReadCloser
	h *heartbeatCounter
}

func (b *heartbeatBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.h.mu.Lock()
	b.h.seen = append(b.h.seen, p[:n]...)
	if bytes.Count(b.h.seen, []byte(": heartbeat\n\n")) >= b.h.n {
		b.h.once.Do(func() { close(b.h.reached) })
	}
	b.h.mu.Unlock()
	return n, err
}

// watchContext bounds a test's watch, so that a missing event fails the test instead of
// hanging it.
func watchContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
