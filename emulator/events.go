package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// resourceEvent is Core's ResourceEvent.
type resourceEvent struct {
	URL       string `json:"url"`
	Action    string `json:"action"`
	Timestamp int64  `json:"timestamp"`
	Etag      string `json:"etag,omitempty"`
}

// eventHub delivers storage changes to the subscriptions that watch them.
type eventHub struct {
	mu   sync.Mutex
	subs map[*subscription]bool
}

func newEventHub() *eventHub { return &eventHub{subs: map[*subscription]bool{}} }

// subscription is one open POST /v1/ops/resource/subscribe.
type subscription struct {
	urls map[string]bool
	// mayRead tells whether the subscriber may still read a watched URL, at the time of the
	// change: an event of a resource whose share was revoked is not queued.
	mayRead func(url string) bool
	signal  chan struct{} // has a value when queue is not empty
	drop    chan struct{} // closed by DropSubscriptions

	mu    sync.Mutex
	queue []resourceEvent
}

// publish queues an event for every subscription watching url that may read it. It never
// blocks.
func (h *eventHub) publish(url, action, etag string) {
	ev := resourceEvent{URL: url, Action: action, Timestamp: time.Now().UnixMilli(), Etag: etag}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if !s.urls[url] || !s.mayRead(url) {
			continue
		}
		s.mu.Lock()
		s.queue = append(s.queue, ev)
		s.mu.Unlock()
		select {
		case s.signal <- struct{}{}:
		default:
		}
	}
}

// take empties the queue.
func (s *subscription) take() []resourceEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

// DropSubscriptions ends every open resource subscription, as a restart of Core or a proxy
// timeout would: tests use it to exercise a client's reconnection.
func (e *Emulator) DropSubscriptions() {
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	for s := range e.events.subs {
		close(s.drop)
		delete(e.events.subs, s)
	}
}

// serveSubscribe answers POST /v1/ops/resource/subscribe as Core does: every URL must be a
// storage item (not a folder) that the caller may read; the
// subscription is registered before the 200 answer, so a client that has the answer sees
// every later change. Events are "data: {url, action, timestamp, etag}" lines, for changes made
// while the caller may read the resource; quiet streams get ": heartbeat" comments every
// [Config.HeartbeatPeriod].
func (e *Emulator) serveSubscribe(w http.ResponseWriter, r *http.Request, c *caller) {
	var req struct {
		Resources []struct {
			URL string `json:"url"`
		} `json:"resources"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResourceSize))
	if err != nil || json.Unmarshal(body, &req) != nil {
		plain(w, http.StatusBadRequest, "Invalid body provided")
		return
	}
	if len(req.Resources) == 0 {
		plain(w, http.StatusBadRequest, "resources list must be provided")
		return
	}
	watched := map[string]resource{}
	s := &subscription{urls: map[string]bool{}, signal: make(chan struct{}, 1), drop: make(chan struct{}),
		mayRead: func(url string) bool { return e.mayRead(c, watched[url]) }}
	for _, link := range req.Resources {
		res, err := e.store.parseURL(link.URL)
		switch {
		case err != nil:
			plain(w, http.StatusBadRequest, err.Error())
			return
		case res.folder:
			plain(w, http.StatusBadRequest, "resource folder is not supported: "+res.url())
			return
		case !e.mayRead(c, res):
			plain(w, http.StatusForbidden, "resource is not allowed: "+res.url())
			return
		}
		s.urls[res.url()] = true
		watched[res.url()] = res
	}
	e.events.mu.Lock()
	e.events.subs[s] = true
	e.events.mu.Unlock()
	defer func() {
		e.events.mu.Lock()
		delete(e.events.subs, s)
		e.events.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	flush()
	beat := time.NewTicker(time.Duration(e.cfg.HeartbeatPeriod))
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.drop:
			return
		case <-beat.C:
			io.WriteString(w, ": heartbeat\n\n")
		case <-s.signal:
			for _, ev := range s.take() {
				data, _ := json.Marshal(ev)
				io.WriteString(w, "data: "+string(data)+"\n\n")
			}
		}
		flush()
	}
}
