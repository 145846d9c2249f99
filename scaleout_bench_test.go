package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// BenchmarkBatchStorage compares the records/s of one batch (2000 trivial records at -j 4)
// writing to a local file, to a storage folder as parts (flushed every 100 results), and
// reading its input from storage too. Metrics: file-rec/s, parts-rec/s, storage-in-rec/s.
func BenchmarkBatchStorage(b *testing.B) {
	srv := emulatortest.NewServer(b)
	dir := b.TempDir()
	const records = 2000
	var in strings.Builder
	for i := 1; i <= records; i++ {
		fmt.Fprintf(&in, "{\"id\":%d,\"n\":%d}\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte(in.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "s.lua"), []byte(`return function(r) return r.n * 2 end`), 0o644); err != nil {
		b.Fatal(err)
	}
	c, err := dial.NewClient(srv.URL, dial.WithAPIKey(srv.Key))
	if err != nil {
		b.Fatal(err)
	}
	root := "files/" + srv.Bucket + "/"
	if _, err := c.UploadFile(b.Context(), root+"in.jsonl", strings.NewReader(in.String())); err != nil {
		b.Fatal(err)
	}
	var elapsed [3]time.Duration
	b.ResetTimer()
	for i := range b.N {
		for k, io := range [][2]string{
			{"in.jsonl", fmt.Sprintf("out-%d.jsonl", i)},
			{"in.jsonl", fmt.Sprintf("%sparts-%d/", root, i)},
			{root + "in.jsonl", fmt.Sprintf("%sboth-%d/", root, i)},
		} {
			start := time.Now()
			r := runBatchCommand(b, b.Context(), srv, dir, false, "s.lua", "--input", io[0],
				"--output", io[1], "-j", "4", "--flush-records", "100")
			elapsed[k] += time.Since(start)
			if r.code != 0 {
				b.Fatal(r.stderr)
			}
		}
	}
	for k, name := range []string{"file-rec/s", "parts-rec/s", "storage-in-rec/s"} {
		b.ReportMetric(float64(records*b.N)/elapsed[k].Seconds(), name)
	}
}
