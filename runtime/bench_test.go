package runtime_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dialua/dialua/runtime"
)

// mediumScript is about 300 lines that define functions and run little, so that compiling
// dominates its cost.
func mediumScript() string {
	var b strings.Builder
	b.WriteString("local json = require('json')\nlocal M = {}\n")
	for i := range 50 {
		fmt.Fprintf(&b, `function M.f%d(t, n)
  local out = {}
  for i = 1, n do
    if t[i] ~= nil and type(t[i]) == "table" then out[#out + 1] = json.encode(t[i])
    elseif t[i] then out[#out + 1] = tostring(t[i]) .. "%d" end
  end
  return table.concat(out, ",")
end
`, i, i)
	}
	b.WriteString("return M\n")
	return b.String()
}

// BenchmarkNewHostRun measures creating a host, running a script in it and closing it: the
// cost of one `dialua run`. "cached" shares one chunk cache across iterations, as a process
// running many scripts does; "uncached" compiles every time.
func BenchmarkNewHostRun(b *testing.B) {
	scripts := map[string]string{"empty": "", "medium": mediumScript()}
	for _, script := range []string{"empty", "medium"} {
		for _, cached := range []bool{true, false} {
			name := script + "/uncached"
			if cached {
				name = script + "/cached"
			}
			b.Run(name, func(b *testing.B) {
				cache := runtime.NewChunkCache(0)
				dir := b.TempDir()
				src := scripts[script]
				b.ReportAllocs()
				for b.Loop() {
					cfg := runtime.Config{WorkDir: dir}
					if cached {
						cfg.Cache = cache
					}
					h, err := runtime.New(cfg)
					if err != nil {
						b.Fatal(err)
					}
					if err := h.Run(b.Context(), "bench.lua", strings.NewReader(src)); err != nil {
						b.Fatal(err)
					}
					h.Close()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/op")
			})
		}
	}
}

// BenchmarkReusedStateRun measures running a script on a state that ran it before, as the
// REPL's statements and a batch worker's records do: no state to create, the chunk cached.
func BenchmarkReusedStateRun(b *testing.B) {
	for _, script := range []string{"", mediumScript()} {
		name := "empty"
		if script != "" {
			name = "medium"
		}
		b.Run(name, func(b *testing.B) {
			h, err := runtime.New(runtime.Config{WorkDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close()
			b.ReportAllocs()
			for b.Loop() {
				if err := h.Run(b.Context(), "bench.lua", strings.NewReader(script)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/op")
		})
	}
}
