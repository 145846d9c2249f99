package emulator_test

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
)

// BenchmarkSSEServe measures SSE events per second served to a plain net/http reader that
// scans the stream line by line: each iteration is one stream of 10,000 content chunks.
func BenchmarkSSEServe(b *testing.B) {
	const chunks = 10000
	srv := emulatortest.NewServer(b, emulatortest.WithDeployments(
		emulator.Deployment{ID: "bulk", Chunks: chunks, ChunkSize: 8}))
	body := `{"messages":[{"role":"user","content":"go"}],"stream":true}`
	events := 0
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(b.Context(), http.MethodPost,
			srv.URL+"/openai/deployments/bulk/chat/completions", strings.NewReader(body))
		req.Header.Set("Api-Key", srv.Key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := testutil.HTTPClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		n := 0
		for sc.Scan() {
			if bytes.HasPrefix(sc.Bytes(), []byte("data: ")) {
				n++
			}
		}
		resp.Body.Close()
		if err := sc.Err(); err != nil || n != chunks+3 {
			b.Fatalf("read %d events, err %v", n, err)
		}
		events += n
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
