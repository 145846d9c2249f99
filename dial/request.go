package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// request describes one API call; it is turned into a fresh *http.Request for every attempt.
type request struct {
	method string
	path   string // escaped, relative to the base URL, without a leading '/'
	query  url.Values
	header http.Header
	body   *requestBody
	cc     *callConfig
	// idle, when not zero, replaces the client's idle timeout for this request: a subscription
	// has one of its own. Negative turns it off.
	idle time.Duration
}

// requestBody produces the body of each attempt.
type requestBody struct {
	contentType string
	size        int64 // -1 when unknown (sent chunked)
	// open returns the body of an attempt. It is called once per attempt.
	open func() (io.Reader, error)
	// replayable reports whether open may be called again after an attempt. nil means always.
	replayable func() bool
}

func (b *requestBody) canReplay() bool { return b == nil || b.replayable == nil || b.replayable() }

// jsonBody is a replayable JSON request body.
func jsonBody(data []byte) *requestBody {
	return &requestBody{
		contentType: "application/json",
		size:        int64(len(data)),
		open:        func() (io.Reader, error) { return bytes.NewReader(data), nil },
	}
}

// errIdle is the cancellation cause of an attempt whose idle timer fired.
var errIdle = errors.New("dial: idle timeout")

// send performs r with retries and returns a 2xx response whose body the caller must close.
// The body is guarded by the idle timeout and maps read errors to this package's errors.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, error) {
	if c.isClosed() {
		return nil, fmt.Errorf("dial: %s %s: %w", r.method, c.base.Path+r.pathOnly(), ErrClosed)
	}
	retries := c.cfg.maxRetries
	if r.cc != nil && r.cc.maxRetries >= 0 {
		retries = r.cc.maxRetries
	}
	// n counts attempts; the loop ends by returning a response, a non-retryable error, or the
	// last error once retries are used up.
	for n := 1; ; n++ {
		if err := c.gateWait(ctx, r); err != nil {
			return nil, err
		}
		resp, err := c.try(ctx, r, n)
		if err == nil {
			return resp, nil
		}
		c.gateBackoff(err, n)
		if ctx.Err() != nil {
			return nil, err // the caller gave up: never retry, never wrap as "giving up"
		}
		retry, after := shouldRetry(err)
		if !retry || n > retries || !r.body.canReplay() {
			if n > 1 {
				return nil, fmt.Errorf("dial: giving up after %d attempts: %w", n, err)
			}
			return nil, err
		}
		wait := backoff(n, c.cfg.retryWaitMin, c.cfg.retryWaitMax, after)
		failed := RequestInfo{Method: r.method, Path: c.base.Path + r.pathOnly(), Attempt: n}
		c.cfg.obs.joined.RetryWait(ctx, RetryInfo{RequestInfo: failed, Wait: wait, Err: err})
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("dial: %s %s: %w while waiting to retry after: %w",
				r.method, c.base.Path+r.pathOnly(), serr, err)
		}
	}
}

// shouldRetry classifies the error of one attempt and returns the server's Retry-After.
func shouldRetry(err error) (bool, time.Duration) {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return retryableStatus(apiErr.StatusCode), apiErr.RetryAfter
	}
	if errors.Is(err, ErrTimeout) {
		return true, 0
	}
	if errors.Is(err, ErrTransport) {
		return retryableTransport(err), 0
	}
	return false, 0
}

func (r *request) pathOnly() string {
	if i := strings.IndexByte(r.path, '?'); i >= 0 {
		return r.path[:i]
	}
	return r.path
}

// try performs one attempt. On success the response body is wrapped; on failure every
// resource of the attempt is released.
func (c *Client) try(ctx context.Context, r *request, n int) (*http.Response, error) {
	// Each attempt has its own context: the idle timer cancels it with errIdle as the cause,
	// which mapError turns into ErrTimeout, while a cancellation of ctx stays the caller's.
	actx, cancel := context.WithCancelCause(ctx)
	timeout := c.cfg.timeout
	if r.idle != 0 {
		timeout = max(r.idle, 0)
	}
	idle := newIdleTimer(timeout, func() { cancel(errIdle) })
	fail := func(err error) (*http.Response, error) {
		idle.stop()
		cancel(nil)
		return nil, err
	}
	target := c.baseStr + r.path
	if len(r.query) > 0 {
		sep := "?"
		if strings.Contains(r.path, "?") {
			sep = "&"
		}
		target += sep + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(actx, r.method, target, nil)
	if err != nil {
		return fail(invalidURL(r.path, "cannot build request: %v", err))
	}
	// path (without query) is what errors and logs show; the query may carry api-version
	// and paging tokens, which are not secrets but are noise.
	path := req.URL.EscapedPath()
	h := req.Header
	h.Set("User-Agent", c.cfg.userAgent)
	for _, src := range []http.Header{c.cfg.headers, r.header, r.callHeaders()} {
		for k, vs := range src {
			h[k] = append([]string(nil), vs...)
		}
	}
	// Credentials are evaluated per attempt so refreshed tokens are picked up; the values are
	// remembered only to mask them in an error that echoes them.
	if err := c.authorize(actx, h); err != nil {
		if ctx.Err() != nil {
			return fail(fmt.Errorf("dial: %s %s: %w", r.method, path, ctx.Err()))
		}
		return fail(fmt.Errorf("dial: %s %s: %w: %w", r.method, path, ErrCredentials, err))
	}
	if r.body != nil {
		rd, err := r.body.open()
		if err != nil {
			return fail(fmt.Errorf("dial: %s %s: opening request body: %w", r.method, path, err))
		}
		if br, ok := rd.(*bytes.Reader); ok && r.body.size <= smallBody {
			// The transport writes a body it knows to be in memory with the headers, in one
			// write; sending it takes no time worth watching.
			req.Body = io.NopCloser(br)
		} else {
			req.Body = io.NopCloser(&activityReader{r: rd, idle: idle})
		}
		req.ContentLength = r.body.size
		if r.body.size == 0 {
			req.Body = http.NoBody
		}
		h.Set("Content-Type", r.body.contentType)
	}
	info := RequestInfo{Method: r.method, Path: path, Attempt: n}
	c.cfg.obs.joined.RequestStart(ctx, info)
	sent := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		err = c.mapError(ctx, actx, r.method, path, err)
		c.cfg.obs.joined.GotResponse(ctx, ResponseInfo{RequestInfo: info, Elapsed: time.Since(sent), Err: err})
		return fail(err)
	}
	idle.touch()
	c.cfg.obs.joined.GotResponse(ctx, ResponseInfo{RequestInfo: info, StatusCode: resp.StatusCode,
		Header: resp.Header, Elapsed: time.Since(sent)})
	// Success: the body stays open for the caller, guarded by the same idle timer; the
	// attempt's context is released when the body is closed.
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		resp.Body = &responseBody{
			rc: resp.Body, idle: idle, cancel: cancel, ctx: ctx, actx: actx,
			client: c, method: r.method, path: path,
		}
		return resp, nil
	}
	// An error answer: read a bounded part of the body for the message, drain a little more so
	// the keep-alive connection survives, and build the APIError.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10) // lets the connection be reused
	resp.Body.Close()
	apiErr := &APIError{
		StatusCode: resp.StatusCode,
		Method:     r.method,
		Path:       path,
		RequestID:  resp.Header.Get("X-Request-Id"),
		RetryAfter: parseRetryAfter(resp.Header, time.Now()),
	}
	apiErr.fillFromBody(body)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != http.StatusNotModified {
		apiErr.Message = "redirect refused: credentials are not sent to another location"
	}
	apiErr.Body = capBytes(body)
	c.cfg.secrets.redactAPIError(apiErr)
	return fail(apiErr)
}

// callHeaders returns the per-call headers and the ETag conditions.
func (r *request) callHeaders() http.Header {
	if r.cc == nil {
		return nil
	}
	h := r.cc.headers.Clone()
	if h == nil {
		h = http.Header{}
	}
	if r.cc.ifMatch != "" {
		h.Set("If-Match", r.cc.ifMatch)
	}
	if r.cc.ifNoneMatch != "" {
		h.Set("If-None-Match", r.cc.ifNoneMatch)
	}
	return h
}

// authorize sets the credential headers of one attempt, calling credential functions, and
// adds the values sent to the client's secrets so they are masked in errors.
func (c *Client) authorize(ctx context.Context, h http.Header) error {
	if c.cfg.apiKey != nil {
		k, err := c.cfg.apiKey(ctx)
		if err != nil {
			return fmt.Errorf("api key: %w", err)
		}
		if strings.TrimSpace(k) == "" {
			return errors.New("api key function returned an empty key")
		}
		if checkHeaderValue(k) != nil {
			return errors.New("api key contains a line break")
		}
		h.Set("Api-Key", k)
		c.cfg.secrets.addRecent(k)
	}
	if c.cfg.bearer != nil {
		t, err := c.cfg.bearer(ctx)
		if err != nil {
			return fmt.Errorf("bearer token: %w", err)
		}
		if strings.TrimSpace(t) == "" {
			return errors.New("bearer token function returned an empty token")
		}
		if checkHeaderValue(t) != nil {
			return errors.New("bearer token contains a line break")
		}
		h.Set("Authorization", "Bearer "+t)
		c.cfg.secrets.addRecent(t)
	}
	return nil
}

// mapError turns a failure of http.Client.Do or of a body read into this package's errors:
// the caller's cancellation, an idle or connect timeout, or a transport error.
func (c *Client) mapError(ctx, actx context.Context, method, path string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("dial: %s %s: %w", method, path, ctx.Err())
	}
	if errors.Is(context.Cause(actx), errIdle) {
		return timeoutError(method, path, fmt.Sprintf("no data for %v", c.cfg.timeout))
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // its text repeats the URL; the method and path are enough
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Errorf("dial: %s %s: %w: %w", method, path, ErrTimeout, err)
	}
	return transportError(method, path, err)
}

// smallBody is the size up to which an in-memory request body is handed to the transport
// as it is rather than watched by the idle timer.
const smallBody = 64 << 10

// activityReader resets the idle timer whenever the transport reads request body data.
type activityReader struct {
	r    io.Reader
	idle *idleTimer
}

// Read reads request body data and counts it as activity.
func (p *activityReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.idle.touch()
	}
	return n, err
}

// responseBody is the body of a successful attempt: reads reset the idle timer, errors are
// mapped, and Close releases the attempt.
type responseBody struct {
	rc        io.ReadCloser
	idle      *idleTimer
	cancel    context.CancelCauseFunc
	ctx, actx context.Context
	client    *Client
	method    string
	path      string
	closeOnce sync.Once
}

// Read reads response data, counts it as activity and maps failures.
func (b *responseBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.idle.touch()
	}
	if err != nil && err != io.EOF {
		err = b.client.mapError(b.ctx, b.actx, b.method, b.path, err)
	}
	return n, err
}

// Close stops the idle timer, closes the body and releases the attempt; it is idempotent.
func (b *responseBody) Close() error {
	var err error
	b.closeOnce.Do(func() {
		b.idle.stop()
		err = b.rc.Close()
		b.cancel(nil)
	})
	return err
}

// idleTimer calls fire when touch has not been called for d. A nil *idleTimer (timeout
// disabled) does nothing. touch is cheap: it stores a timestamp, and the timer re-arms itself
// for the remaining time when it finds recent activity.
type idleTimer struct {
	d       time.Duration
	start   time.Time
	last    atomic.Int64 // nanoseconds since start of the last activity
	stopped atomic.Bool
	paused  atomic.Bool // the reader is busy elsewhere: no time is idle
	t       *time.Timer
	fire    func()
}

func newIdleTimer(d time.Duration, fire func()) *idleTimer {
	if d <= 0 {
		return nil
	}
	it := &idleTimer{d: d, start: time.Now(), fire: fire}
	it.t = time.AfterFunc(d, it.check)
	return it
}

func (it *idleTimer) check() {
	if it.stopped.Load() {
		return
	}
	if it.paused.Load() {
		it.t.Reset(it.d)
		return
	}
	idle := time.Since(it.start) - time.Duration(it.last.Load())
	if idle >= it.d {
		it.fire()
		return
	}
	it.t.Reset(it.d - idle)
}

func (it *idleTimer) touch() {
	if it != nil {
		it.last.Store(int64(time.Since(it.start)))
	}
}

// pause stops the clock until resume: the time the reader spends on what it read is not
// idleness of the connection.
func (it *idleTimer) pause() {
	if it != nil {
		it.paused.Store(true)
	}
}

// resume starts the clock again, from now.
func (it *idleTimer) resume() {
	if it != nil {
		it.touch()
		it.paused.Store(false)
	}
}

func (it *idleTimer) stop() {
	if it != nil {
		it.stopped.Store(true)
		it.t.Stop()
	}
}

// call performs r and returns the whole response body.
func (c *Client) call(ctx context.Context, r *request) ([]byte, http.Header, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	return data, resp.Header, nil
}

// callJSON performs r and decodes the JSON response into out (unless out is nil).
func (c *Client) callJSON(ctx context.Context, r *request, out any) error {
	data, _, err := c.call(ctx, r)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return parseError(r.method, c.base.Path+r.pathOnly(), err)
	}
	return nil
}

// marshalBody encodes a request value, reporting failures as caller errors.
func marshalBody(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("dial: encoding request: %w", err)
	}
	return b, nil
}
