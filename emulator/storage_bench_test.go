package emulator_test

import (
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
)

// BenchmarkUpload256MiB uploads a 256 MiB file with a multipart body streamed through an
// io.Pipe, to an emulator with a data directory and to an in-memory one. It reports the upload
// throughput in MiB/s and the heap high-water mark above the starting heap in MiB, sampled with
// runtime.ReadMemStats every 2 ms while it runs (client and server share the process). Each
// upload is deleted after it. In memory the content itself is on the heap, with the garbage
// collector's headroom on top.
//
//	go test -run '^$' -bench BenchmarkUpload256MiB -benchtime 3x ./emulator/
func BenchmarkUpload256MiB(b *testing.B) {
	const size = 256 << 20
	for _, mode := range []string{"datadir", "memory"} {
		b.Run(mode, func(b *testing.B) {
			cfg := emulator.DefaultConfig()
			cfg.MaxUploadSize = 1 << 30
			if mode == "datadir" {
				cfg.DataDir = b.TempDir()
			}
			srv := emulatortest.NewServer(b, emulatortest.WithConfig(cfg))
			url := srv.URL + "/v1/files/" + srv.Bucket + "/bench/big.bin"
			chunk := make([]byte, 1<<20)
			for i := range chunk {
				chunk[i] = byte(rand.Uint32())
			}

			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var ms runtime.MemStats
				tick := time.NewTicker(2 * time.Millisecond)
				defer tick.Stop()
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > peak.Load() {
						peak.Store(ms.HeapAlloc)
					}
					select {
					case <-stop:
						return
					case <-tick.C:
					}
				}
			}()

			b.SetBytes(size)
			start := time.Now()
			for b.Loop() {
				pr, pw := io.Pipe()
				mw := multipart.NewWriter(pw)
				go func() {
					part, err := mw.CreateFormFile("file", "big.bin")
					for i := 0; err == nil && i < size/len(chunk); i++ {
						_, err = part.Write(chunk)
					}
					if err == nil {
						err = mw.Close()
					}
					pw.CloseWithError(err)
				}()
				req, err := http.NewRequestWithContext(b.Context(), http.MethodPut, url, pr)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Api-Key", srv.Key)
				req.Header.Set("Content-Type", mw.FormDataContentType())
				resp, err := testutil.HTTPClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("upload: %s", resp.Status)
				}
				// Delete it, so that an in-memory upload does not replace a live 256 MiB version.
				req, _ = http.NewRequestWithContext(b.Context(), http.MethodDelete, url, nil)
				req.Header.Set("Api-Key", srv.Key)
				if resp, err = testutil.HTTPClient.Do(req); err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
			elapsed := time.Since(start)
			close(stop)
			<-sampled
			b.ReportMetric(float64(size)*float64(b.N)/(1<<20)/elapsed.Seconds(), "MiB/s")
			b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MiB")
		})
	}
}
