// Package testutil holds helpers shared by the tests and benchmarks of several packages: a
// buffer safe for concurrent writers, the peak heap during an operation, a source of bytes
// that takes no memory, and an HTTP client of the tests' own.
package testutil

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"runtime"
	"sync"
	"time"
)

// HeapPeak starts sampling HeapInuse every 5 ms and returns a function that stops sampling
// and returns the highest value seen.
func HeapPeak() (stop func() uint64) {
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		peak = max(peak, ms.HeapInuse)
		mu.Unlock()
	}
	sample()
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		sample()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// PatternReader produces Size bytes of a repeating pattern and can seek, so an upload of it
// has a Content-Length and nothing of it is held in memory.
type PatternReader struct {
	Size, off int64
}

// NewPatternReader returns a reader of size bytes.
func NewPatternReader(size int64) *PatternReader { return &PatternReader{Size: size} }

// Read fills b with the pattern.
func (p *PatternReader) Read(b []byte) (int, error) {
	if p.off >= p.Size {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.Size-p.off))
	for i := range n {
		b[i] = byte((p.off + int64(i)) % 251)
	}
	p.off += int64(n)
	return n, nil
}

// Seek moves the read offset as io.Seeker says.
func (p *PatternReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += p.off
	case io.SeekEnd:
		off += p.Size
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	p.off = off
	return off, nil
}

// SyncBuffer is a bytes.Buffer safe for concurrent use, for output written by several
// goroutines (loggers, pooled hosts). The zero value is ready.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// HTTPClient is an HTTP client with a transport of its own. Tests use it, not
// http.DefaultClient: httptest.Server.Close closes the idle connections of
// http.DefaultTransport, which breaks a request of a parallel test that was about to reuse
// one (and net/http does not retry a POST or DELETE that met a closed connection).
var HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
