package perf_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// streamChunks is the length of the measured streams.
const streamChunks = 100_000

// measure runs each named path once per benchmark round, in turn, and reports the median
// rate of each (unit per second, counting what the path returns) and its ratio to the first
// path's. Running the paths interleaved gives them the same machine conditions.
func measure(b *testing.B, unit string, names []string, paths []path) {
	times := make([][]float64, len(paths))
	for b.Loop() {
		for i, p := range paths {
			start := time.Now()
			n, err := p(b.Context())
			if err != nil {
				b.Fatalf("%s: %v", names[i], err)
			}
			times[i] = append(times[i], float64(n)/time.Since(start).Seconds())
		}
	}
	base := median(times[0])
	for i, name := range names {
		rate := median(times[i])
		b.ReportMetric(rate, name+"-"+unit+"/s")
		if i > 0 {
			b.ReportMetric(rate/base, name+"/"+names[0])
		}
	}
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// BenchmarkStream reads a 100,000-chunk stream with go-openai, with dial's typed chunks, with
// dial merging the chunks (client:chat's work in Go), and from Lua with client:chat's
// on_chunk and with client:stream's iterator.
func BenchmarkStream(b *testing.B) {
	srv := server(b, streamChunks, true)
	c := newClients(b, srv.URL, streamChunks)
	measure(b, "chunks", []string{"openai", "dial", "dial-merge", "lua-on_chunk", "lua-stream"},
		[]path{c.openaiStream, c.dialStream(false), c.dialStream(true), c.luaOnChunk(), c.luaIterator()})
}

// BenchmarkBlock makes 1,000 block (non-streamed) chat calls per round with go-openai's
// CreateChatCompletion, dial's Client.Chat and Lua's client:chat.
func BenchmarkBlock(b *testing.B) {
	const calls = 1000
	srv := server(b, 2, true)
	c := newClients(b, srv.URL, 2)
	repeat := func(p path) path {
		return func(ctx context.Context) (int, error) {
			for range calls {
				if _, err := p(ctx); err != nil {
					return 0, err
				}
			}
			return calls, nil
		}
	}
	lua := c.luaScript(`for i = 1, ` + strconv.Itoa(calls) + ` do
			local resp = assert(client:chat(req))
			assert(resp.choices[1].message.content ~= "")
			n = n + 1
		end`)
	measure(b, "calls", []string{"openai", "dial", "lua"},
		[]path{repeat(c.openaiBlock), repeat(c.dialBlock), lua})
}

// BenchmarkAllocs reports the heap allocations per chunk of the whole process (the server's
// are a few per stream) while go-openai and dial read a 100,000-chunk stream.
func BenchmarkAllocs(b *testing.B) {
	srv := server(b, streamChunks, true)
	c := newClients(b, srv.URL, streamChunks)
	for _, p := range []struct {
		name string
		read path
	}{{"openai", c.openaiStream}, {"dial", c.dialStream(false)}, {"dial-merge", c.dialStream(true)}} {
		b.Run(p.name, func(b *testing.B) {
			var before, after runtime.MemStats
			chunks := 0
			runtime.ReadMemStats(&before)
			for b.Loop() {
				n, err := p.read(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				chunks += n
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(chunks), "allocs/chunk")
		})
	}
}

// rssChunks is the length of the stream whose memory use is measured.
const rssChunks = 1_000_000

// BenchmarkLuaRSS runs client:chat over a 1,000,000-chunk stream in a child process (this
// test binary, running TestRSSChild) and reports by how much the child's resident set grew
// from before the call to its peak, per byte of merged answer text, and the peak itself.
func BenchmarkLuaRSS(b *testing.B) {
	srv := server(b, rssChunks, false)
	var perByte, peak float64
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$")
		cmd.Env = append(os.Environ(), "PERF_RSS_URL="+srv.URL)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var start, hwm int
		for line := range strings.Lines(string(out)) {
			if rest, ok := strings.CutPrefix(line, "rss "); ok {
				f := strings.Fields(rest)
				start, _ = strconv.Atoi(f[0])
				hwm, _ = strconv.Atoi(f[1])
			}
		}
		if hwm == 0 {
			b.Fatalf("child printed no rss line:\n%s", out)
		}
		perByte = float64(hwm-start) * 1024 / float64(textSize(rssChunks))
		peak = float64(hwm) / 1024
	}
	b.ReportMetric(perByte, "rss-B/merged-byte")
	b.ReportMetric(peak, "peak-rss-MiB")
}

// TestRSSChild is BenchmarkLuaRSS's child: with PERF_RSS_URL set it merges the stream from
// that server in Lua and prints "rss START PEAK" in KiB (VmRSS before the call, VmHWM
// after).
func TestRSSChild(t *testing.T) {
	url := os.Getenv("PERF_RSS_URL")
	if url == "" {
		t.Skip("run by BenchmarkLuaRSS")
	}
	c := newClients(t, url, rssChunks)
	runtime.GC()
	start := procStatus(t, "VmRSS")
	read := c.luaScript(`local resp = assert(client:chat{ deployment = req.deployment,
			messages = req.messages, stream = true })
		n = #resp.choices[1].message.content`)
	n, err := read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != textSize(rssChunks) {
		t.Fatalf("merged %d bytes of text", n)
	}
	println("rss", start, procStatus(t, "VmHWM"))
}

// procStatus returns a field of /proc/self/status in KiB.
func procStatus(t *testing.T, field string) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}
