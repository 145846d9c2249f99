package dial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ResourceEvent is one change of a watched resource, as Core sends it on a subscription.
type ResourceEvent struct {
	// URL is the resource's storage URL, such as "files/<bucket>/inbox/a.txt".
	URL string `json:"url"`
	// Action is "CREATE", "UPDATE" or "DELETE". A move shows as a DELETE of its source and a
	// CREATE (or UPDATE) of its destination.
	Action string `json:"action"`
	// Timestamp is the time of the change in milliseconds since the epoch.
	Timestamp int64 `json:"timestamp"`
	// Etag is the new version's ETag, when Core sends one.
	Etag string `json:"etag,omitempty"`
	// Raw is the event as received.
	Raw json.RawMessage `json:"-"`
}

// WatchOptions configures [Client.Watch]. The zero value reconnects forever with waits from
// [DefaultWatchWaitMin] to [DefaultWatchWaitMax].
type WatchOptions struct {
	// OnConnect, when not nil, is called on the caller's goroutine each time the subscription
	// is established (first and after every reconnection), before any event of it: changes
	// made from then on are reported. Returning false ends the watch at once, without error.
	OnConnect func() bool
	// MaxReconnects bounds the reconnections in a row that fail before Watch gives up with
	// the last error; zero means no bound.
	MaxReconnects int
	// WaitMin and WaitMax bound the wait before a reconnection, which doubles with every
	// failure in a row; zero means the defaults.
	WaitMin, WaitMax time.Duration
	// CallOptions apply to every subscription request.
	CallOptions []CallOption
	// Idle is how long a subscription may go without an event or a heartbeat before Watch
	// takes it for dead and subscribes again; zero means DefaultWatchIdle, negative never.
	Idle time.Duration
}

// Reconnection waits of [Client.Watch].
const (
	DefaultWatchWaitMin = time.Second
	DefaultWatchWaitMax = 30 * time.Second
	// DefaultWatchIdle is three of the heartbeats Core sends a quiet subscription every 30 s.
	DefaultWatchIdle = 90 * time.Second
)

// Watch subscribes to changes of the storage items urls (POST /v1/ops/resource/subscribe;
// Core watches items, not folders, and an item may not exist yet) and calls fn with each
// event, on the caller's goroutine, until fn returns false (Watch then returns nil) or ctx
// ends (it returns the context's error). The subscription has an idle timeout of its own
// (opts.Idle) instead of the client's: Core keeps a quiet subscription alive with
// heartbeats, so one that falls silent is dead. When the stream ends, breaks or falls
// silent, or the server answers with a status worth retrying, Watch subscribes again after a
// wait that grows with each failure in a row; changes made while it is disconnected are not
// reported. Other errors (a bad URL, 400, 403)
// end it.
func (c *Client) Watch(ctx context.Context, urls []string, fn func(ResourceEvent) bool, opts WatchOptions) error {
	if len(urls) == 0 {
		return errors.New("dial: Watch: no resources")
	}
	links := make([]SharedResource, len(urls))
	for i, u := range urls {
		su, err := c.ParseStorageURL(u)
		if err != nil {
			return err
		}
		links[i].URL = su.String()
	}
	body, err := marshalBody(map[string]any{"resources": links})
	if err != nil {
		return err
	}
	cc, err := newCallConfig(opts.CallOptions)
	if err != nil {
		return err
	}
	waitMin, waitMax := opts.WaitMin, opts.WaitMax
	if waitMin <= 0 {
		waitMin = DefaultWatchWaitMin
	}
	if waitMax < waitMin {
		waitMax = max(DefaultWatchWaitMax, waitMin)
	}
	idle := opts.Idle
	if idle == 0 {
		idle = DefaultWatchIdle
	}
	failures := 0
	for {
		r := &request{method: http.MethodPost, path: "v1/ops/resource/subscribe", body: jsonBody(body),
			cc: cc, idle: idle, header: http.Header{"Accept": {"text/event-stream"}}}
		done, connected, err := c.watchOnce(ctx, r, fn, opts.OnConnect)
		switch {
		case done:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("dial: Watch: %w", ctx.Err())
		case err != nil && !connected:
			if retry, _ := shouldRetry(err); !retry {
				return err
			}
		}
		if connected {
			failures = 0
		}
		failures++
		if opts.MaxReconnects > 0 && failures > opts.MaxReconnects {
			return fmt.Errorf("dial: Watch: giving up after %d reconnections: %w", opts.MaxReconnects, err)
		}
		wait := backoff(failures, waitMin, waitMax, 0)
		if err == nil {
			err = errWatchEnded
		}
		// A reconnection is a retry of the subscription: observers see its wait.
		c.cfg.obs.joined.RetryWait(ctx, RetryInfo{Wait: wait, Err: err,
			RequestInfo: RequestInfo{Method: r.method, Path: c.base.Path + r.pathOnly(), Attempt: failures}})
		if serr := c.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("dial: Watch: %w", serr)
		}
	}
}

// errWatchEnded is the reason of a reconnection after the server ended the subscription.
var errWatchEnded = errors.New("dial: Watch: the subscription ended")

// watchOnce runs one subscription: done reports that fn returned false, connected that the
// server accepted the subscription; err is why the subscription ended otherwise (nil when
// the stream simply ended).
func (c *Client) watchOnce(ctx context.Context, r *request, fn func(ResourceEvent) bool, onConnect func() bool) (done, connected bool, err error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return false, false, err
	}
	defer resp.Body.Close()
	var idle *idleTimer
	if b, ok := resp.Body.(*responseBody); ok {
		idle = b.idle
	}
	if onConnect != nil {
		idle.pause()
		more := onConnect()
		idle.resume()
		if !more {
			return true, true, nil
		}
	}
	dec := newSSEDecoder(resp.Body, c.cfg.maxLine)
	for {
		ev, err := dec.next()
		if err == io.EOF {
			return false, true, nil
		}
		if err != nil {
			return false, true, err
		}
		e := ResourceEvent{Raw: append(json.RawMessage(nil), ev.data...)}
		if err := json.Unmarshal(ev.data, &e); err != nil {
			return false, true, parseError(r.method, c.base.Path+r.path, err)
		}
		// However long fn takes, the subscription is not idle meanwhile.
		idle.pause()
		more := fn(e)
		idle.resume()
		if !more {
			return true, true, nil
		}
	}
}
