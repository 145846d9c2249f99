package runtime_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/dialhost"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/runtime"
)

// benchWorkers is the -j of the batch benchmarks.
const benchWorkers = 16

// heapPeak samples HeapInuse until stopped and returns the highest value seen.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	sample := func() {
		var ms goruntime.MemStats
		goruntime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-t.C:
			case <-done:
				return
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		sample()
		return peak.Load()
	}
}

// BenchmarkBatchAsk runs records through an ask script against the emulator with -j 16, and
// in the same run the same requests through package dial from 16 goroutines of plain Go.
// Metrics: batch-rec/s and go-rec/s, batch/go-% (target at least 70), conns (TCP connections
// the batch opened; target at most 16), peak-heap-MiB (HeapInuse sampled every 10ms during
// the batch, garbage included, so it wanders up to twice the live heap with the GC's pacing)
// and live-heap-MiB (HeapInuse after a collection halfway through); target: both flat between
// n=2000 and n=10000. Run with -benchtime=1x: one iteration is a whole batch.
//
// The emulator answers at once and shares the CPUs with both sides, so the comparison measures
// CPU cost per request; "latency=10ms" delays every answer as a real model would, which leaves
// both sides waiting on the server as they do in production.
func BenchmarkBatchAsk(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) { benchmarkBatchAsk(b, n, 0) })
	}
	b.Run("n=2000/latency=10ms", func(b *testing.B) {
		benchmarkBatchAsk(b, 2000, 10*time.Millisecond)
	})
}

func benchmarkBatchAsk(b *testing.B, n int, latency time.Duration) {
	srv := emulatortest.NewServer(b)
	if latency > 0 {
		srv.Handle("POST /openai/deployments/echo/chat/completions",
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(latency)
				srv.Emulator.ServeHTTP(w, r)
			}))
	}
	dir := b.TempDir()
	writeTexts(b, dir, n)

	// Each iteration alternates the two sides for a few rounds and keeps the best time of
	// each, so that load from outside the benchmark does not decide the comparison.
	const rounds = 3
	var batchTime, goTime time.Duration
	var conns int
	var peak, live uint64
	for b.Loop() {
		bestBatch, bestGo := time.Duration(1<<62), time.Duration(1<<62)
		for range rounds {
			d, c, p, l := runBatchSide(b, srv, dir, n)
			bestBatch = min(bestBatch, d)
			conns, peak, live = max(conns, c), max(peak, p), max(live, l)
			bestGo = min(bestGo, runGoSide(b, srv, readTexts(b, filepath.Join(dir, "in.jsonl"))))
		}
		batchTime += bestBatch
		goTime += bestGo
	}
	iters := float64(b.N)
	batchRate := float64(n) * iters / batchTime.Seconds()
	goRate := float64(n) * iters / goTime.Seconds()
	b.ReportMetric(batchRate, "batch-rec/s")
	b.ReportMetric(goRate, "go-rec/s")
	b.ReportMetric(100*batchRate/goRate, "batch/go-%")
	b.ReportMetric(float64(conns), "conns")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(live)/(1<<20), "live-heap-MiB")
	b.ReportMetric(0, "ns/op")
}

// runBatchSide runs the batch of n records in dir once, from an empty output, and returns its
// duration, the connections it opened, the peak HeapInuse and the live heap halfway.
func runBatchSide(b *testing.B, srv *emulatortest.Server, dir string, n int) (d time.Duration,
	conns int, peak, live uint64) {
	script := `local dial = require("dial")
local client = dial.default()
return function(r) return assert(client:ask("echo", r.text)) end`
	require.NoError(b, os.RemoveAll(filepath.Join(dir, "out.jsonl")))
	goruntime.GC()
	dc := dialConfig(b, srv, dial.PoolOptions{MaxConnsPerHost: benchWorkers})
	defer dc.Pool.Close()
	before := srv.Connections()
	stop := heapPeak()
	start := time.Now()
	sum, err := runtime.RunBatch(b.Context(),
		runtime.Config{WorkDir: dir, Modules: []runtime.Module{dialhost.Module(dc)}},
		runtime.BatchOptions{Script: "ask.lua", Source: []byte(script), Input: "in.jsonl",
			Output: "out.jsonl", Workers: benchWorkers,
			Progress: func(p runtime.BatchProgress) {
				if p.Done == p.Total/2 { // the live heap halfway, after a collection
					goruntime.GC()
					var ms goruntime.MemStats
					goruntime.ReadMemStats(&ms)
					live = ms.HeapInuse
				}
			}})
	d = time.Since(start)
	peak = stop()
	require.NoError(b, err)
	require.Equal(b, n, sum.Succeeded)
	return d, srv.Connections() - before, peak, live
}

// runGoSide makes the requests of the batch from benchWorkers goroutines through package dial
// and returns how long they took.
func runGoSide(b *testing.B, srv *emulatortest.Server, texts []string) time.Duration {
	pool := dial.NewPool(dial.PoolOptions{MaxConnsPerHost: benchWorkers})
	defer pool.Close()
	c, err := pool.NewClient(srv.URL, dial.WithAPIKey(srv.Key))
	require.NoError(b, err)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchWorkers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(texts); i = int(next.Add(1)) - 1 {
				resp, err := c.Chat(b.Context(), "echo", dial.ChatRequest{Messages: []dial.Message{
					{Role: dial.RoleUser, Content: texts[i]}}})
				if err != nil || resp.Text() != texts[i] {
					b.Errorf("plain Go request %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// readTexts returns the text member of every record of a JSONL file.
func readTexts(b *testing.B, path string) []string {
	b.Helper()
	f, err := os.Open(path)
	require.NoError(b, err)
	defer f.Close()
	var texts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct{ Text string }
		require.NoError(b, json.Unmarshal(sc.Bytes(), &r))
		texts = append(texts, r.Text)
	}
	return texts
}

// BenchmarkBatchOverhead runs records through a script that returns its record, measuring the
// runner's own cost per record: reading, decoding into Lua, calling, encoding and appending.
func BenchmarkBatchOverhead(b *testing.B) {
	dir := b.TempDir()
	const n = 10000
	writeTexts(b, dir, n)
	for b.Loop() {
		require.NoError(b, os.RemoveAll(filepath.Join(dir, "out.jsonl")))
		sum, err := runtime.RunBatch(b.Context(), runtime.Config{WorkDir: dir},
			runtime.BatchOptions{Script: "id.lua", Source: []byte("return function(r) return r end"),
				Input: "in.jsonl", Output: "out.jsonl", Workers: benchWorkers})
		require.NoError(b, err)
		require.Equal(b, n, sum.Succeeded)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}
