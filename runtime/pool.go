package runtime

import (
	"context"
	"errors"
	"io"
	"sync"
)

// Pool runs many scripts or jobs at once, each on a [Host] of its own, and reuses hosts between
// jobs so that a job does not pay for a new state. At most size jobs run at a time; the hosts
// are created on demand, up to size, from one Config, and share its chunk cache.
//
// A Pool is safe for concurrent use. A job runs on the goroutine that calls [Pool.Do] and has
// the host to itself until it returns, so a state is used by one goroutine at a time and
// handed between goroutines only through the pool's channels.
type Pool struct {
	cfg   Config
	slots chan struct{} // one token per running job
	idle  chan *Host

	mu     sync.Mutex
	closed bool
}

// NewPool returns a pool of up to size hosts made from cfg. When cfg.Cache is nil the hosts
// share a new cache. It creates one host right away, so that a bad Config fails here.
func NewPool(cfg Config, size int) (*Pool, error) {
	if size < 1 {
		return nil, errors.New("runtime: pool size must be at least 1")
	}
	if cfg.Cache == nil {
		cfg.Cache = NewChunkCache(0)
	}
	h, err := New(cfg)
	if err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, slots: make(chan struct{}, size), idle: make(chan *Host, size)}
	p.idle <- h
	return p, nil
}

// Do waits until a host is free (or ctx is done, returning ctx.Err()) and calls fn with it on
// the calling goroutine. fn has the host to itself until it returns and must not keep it, its
// state or any Lua value of it afterwards. The host goes back to the pool as fn left it: globals
// a job set are seen by the next job on that host unless fn calls [Host.Reset]. A host whose fn
// panicked is closed instead. Do returns what fn returns, or [ErrClosed] after Close.
func (p *Pool) Do(ctx context.Context, fn func(h *Host) error) error {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.slots }()
	h, err := p.get()
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if ok {
			p.put(h)
		} else {
			h.Close()
		}
	}()
	err = fn(h)
	ok = true
	return err
}

// Run runs a script on a free host with [Host.Run] and resets the host afterwards.
func (p *Pool) Run(ctx context.Context, name string, src io.Reader) error {
	return p.Do(ctx, func(h *Host) error {
		defer h.Reset()
		return h.Run(ctx, name, src)
	})
}

// RunFile runs a script file on a free host with [Host.RunFile] and resets the host
// afterwards.
func (p *Pool) RunFile(ctx context.Context, path string) error {
	return p.Do(ctx, func(h *Host) error {
		defer h.Reset()
		return h.RunFile(ctx, path)
	})
}

// Cache returns the chunk cache the pool's hosts share.
func (p *Pool) Cache() *ChunkCache { return p.cfg.Cache }

// get returns an idle host or a new one; the caller holds a slot, so there are never more
// hosts than slots.
func (p *Pool) get() (*Host, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	select {
	case h := <-p.idle:
		return h, nil
	default:
		return New(p.cfg)
	}
}

func (p *Pool) put(h *Host) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		h.Close()
		return
	}
	p.idle <- h // never blocks: there are at most size hosts
}

// Close closes the idle hosts now and the busy ones when their jobs return; later calls of Do
// return [ErrClosed]. It does not wait for running jobs. It is idempotent.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	for {
		select {
		case h := <-p.idle:
			errs = append(errs, h.Close())
		default:
			return errors.Join(errs...)
		}
	}
}
