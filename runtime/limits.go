package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	goruntime "runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// DefaultSandboxMemoryLimit is the memory limit of a sandboxed host whose
// [Config.MemoryLimit] is 0: 1 GiB.
const DefaultSandboxMemoryLimit = 1 << 30

// heapWatchInterval is how often the heap is sampled while a run with a memory limit is going
// on. Sampling reads one runtime metric and does not stop the world; it is frequent because a
// string doubling in a loop grows the heap by hundreds of megabytes a second.
const heapWatchInterval = 10 * time.Millisecond

// The runtime/metrics samples the limits read: all heap objects (garbage not yet swept
// included), and the live heap as of the last collection.
const (
	heapObjectsMetric = "/memory/classes/heap/objects:bytes"
	heapLiveMetric    = "/gc/heap/live:bytes"
)

// LimitError is the cause of a run stopped by a resource limit of its [Config]: the message of
// the run's [*ScriptError], which unwraps to it, is "memory limit of 1 GiB exceeded" or "time
// limit of 5s exceeded", after the position of the script where it stopped.
type LimitError struct {
	// Memory is the memory limit, in bytes, that the heap passed; 0 for a time limit.
	Memory int64
	// Time is the time limit that expired; 0 for a memory limit.
	Time time.Duration
}

// Error returns "memory limit of SIZE exceeded" or "time limit of DURATION exceeded".
func (e *LimitError) Error() string {
	if e.Memory > 0 {
		return "memory limit of " + formatBytes(e.Memory) + " exceeded"
	}
	return "time limit of " + e.Time.String() + " exceeded"
}

// formatBytes shows n in the largest binary unit it fills ("64 MiB", "1.5 GiB", "512 B").
func formatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i, scale := 0, int64(1)
	for i < len(units)-1 && n/scale >= 1024 {
		i, scale = i+1, scale*1024
	}
	if n%scale == 0 {
		return fmt.Sprintf("%d %s", n/scale, units[i])
	}
	return fmt.Sprintf("%.1f %s", float64(n)/float64(scale), units[i])
}

// memoryLimit returns the memory limit cfg sets, in bytes, or 0 for none.
func (cfg *Config) memoryLimit() int64 {
	switch {
	case cfg.MemoryLimit > 0:
		return cfg.MemoryLimit
	case cfg.MemoryLimit == 0 && cfg.Sandbox:
		return DefaultSandboxMemoryLimit
	}
	return 0
}

// limitRun returns the context of a run under ctx with the host's limits: it expires with a
// [*LimitError] cause after Config.TimeLimit, and is canceled with one when the heap passes
// the memory limit. cancel cancels it with the cause context.Canceled and releases the limits;
// it must be called when the run ends, and may be called before (os.exit does).
func (h *Host) limitRun(ctx context.Context) (runCtx context.Context, cancel context.CancelFunc) {
	runCtx, cancelCause := context.WithCancelCause(ctx)
	stopTimer := context.CancelFunc(func() {})
	if d := h.cfg.TimeLimit; d > 0 {
		runCtx, stopTimer = context.WithTimeoutCause(runCtx, d, &LimitError{Time: d})
	}
	unwatch := func() {}
	if limit := h.cfg.memoryLimit(); limit > 0 {
		unwatch = heapWatch.add(limit, cancelCause)
	}
	return runCtx, func() {
		unwatch()
		stopTimer()
		cancelCause(nil)
	}
}

// limitCause returns the [*LimitError] that stopped the run of ctx, or nil.
func limitCause(ctx context.Context) *LimitError {
	var le *LimitError
	if errors.As(context.Cause(ctx), &le) {
		return le
	}
	return nil
}

// heapWatch is the one watchdog of the process: the Go heap is shared by every host.
var heapWatch = &heapWatcher{runs: make(map[*watchedRun]bool)}

// heapWatcher samples the heap while runs with a memory limit are going on and cancels those
// whose limit the heap passed. While it watches, the Go collector's soft memory limit is at
// most the smallest of the runs' limits, so the collector works harder before the watchdog
// would stop a run for garbage it had not yet collected.
type heapWatcher struct {
	mu   sync.Mutex
	runs map[*watchedRun]bool // the runs being watched; true once canceled
	// stop ends the sampling goroutine; nil when it is not running.
	stop chan struct{}
	// savedGCLimit is the collector's memory limit before the watch began; gcLimit is the
	// one set now.
	savedGCLimit, gcLimit int64
}

type watchedRun struct {
	limit  int64
	cancel context.CancelCauseFunc
}

// add watches a run whose limit is limit bytes: cancel is called with a [*LimitError] when
// the heap passes it. The returned function ends the watch; calls after the first do nothing.
func (w *heapWatcher) add(limit int64, cancel context.CancelCauseFunc) (remove func()) {
	r := &watchedRun{limit: limit, cancel: cancel}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop == nil {
		w.savedGCLimit = debug.SetMemoryLimit(-1)
		w.gcLimit = w.savedGCLimit
		w.stop = make(chan struct{})
		go w.sample(w.stop)
	}
	w.runs[r] = false
	w.setGCLimit()
	return sync.OnceFunc(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.runs, r)
		if len(w.runs) > 0 {
			w.setGCLimit()
			return
		}
		close(w.stop)
		w.stop = nil
		debug.SetMemoryLimit(w.savedGCLimit)
	})
}

// setGCLimit sets the collector's memory limit to the smallest of the watched runs' limits
// and the one the watch began with. w.mu is held.
func (w *heapWatcher) setGCLimit() {
	limit := w.savedGCLimit
	for r := range w.runs {
		limit = min(limit, r.limit)
	}
	if limit != w.gcLimit {
		debug.SetMemoryLimit(limit)
		w.gcLimit = limit
	}
}

// sample checks the heap every heapWatchInterval until stop is closed. A heap over a limit
// is checked again after a collection, so that garbage a stopped run left behind does not
// stop the next one.
func (w *heapWatcher) sample(stop <-chan struct{}) {
	tick := time.NewTicker(heapWatchInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if heap := heapObjects(); heap > w.lowestLimit() {
			goruntime.GC()
			w.cancelOver(heapObjects())
		}
	}
}

// lowestLimit returns the smallest limit of the runs not canceled yet.
func (w *heapWatcher) lowestLimit() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	lowest := int64(math.MaxInt64)
	for r, canceled := range w.runs {
		if !canceled {
			lowest = min(lowest, r.limit)
		}
	}
	return lowest
}

// cancelOver cancels the runs whose limit is below heap.
func (w *heapWatcher) cancelOver(heap int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for r, canceled := range w.runs {
		if !canceled && heap > r.limit {
			r.cancel(&LimitError{Memory: r.limit})
			w.runs[r] = true
		}
	}
}

// heapObjects returns the size of the heap's objects, garbage not yet swept included.
func heapObjects() int64 { return readMetric(heapObjectsMetric) }

// liveHeap returns the size of the live heap as of the last collection.
func liveHeap() int64 { return readMetric(heapLiveMetric) }

// readMetric reads a runtime metric of kind uint64.
func readMetric(name string) int64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// stoppedBy makes e report the limit that stopped its run: the message becomes the limit's,
// after the position of the original message or else of the traceback's first Lua frame, and
// e unwraps to le.
func (e *ScriptError) stoppedBy(le *LimitError) {
	pos := messageLine.FindString(e.Message)
	if m := frameLine.FindStringSubmatch(e.Traceback); pos == "" && m != nil {
		pos = m[1] + ":" + m[2] + ": "
	}
	e.Message = pos + le.Error()
	e.cause = le
}
