package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/runtime"
)

// simProc is one dialua batch process of the simulation.
type simProc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
}

// wait waits for the process to end and returns its exit code (-1 when killed by a signal).
func (p *simProc) wait() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// simulation is N shard processes of one batch against one emulator, writing parts to one
// storage folder; the emulator's part uploads drive the kills.
type simulation struct {
	t        *testing.T
	srv      *emulatortest.Server
	dir      string
	args     []string
	mu       sync.Mutex
	procs    map[int]*simProc // the last process started for each shard
	puts     map[int]int      // part uploads seen per shard
	created  map[string]int   // successful creations per part name
	refused  int              // uploads answered 412
	uploaded chan struct{}    // closed once the duplicate shard's second upload arrives
	stored   chan struct{}    // closed once the duplicate shard's first upload is stored
}

// start starts a process for shard with env added to its environment.
func (s *simulation) start(shard int, env ...string) *simProc {
	s.t.Helper()
	p := &simProc{done: make(chan struct{})}
	p.cmd = exec.Command(binary(s.t), append(s.args, "--shard", fmt.Sprintf("%d/4", shard))...)
	p.cmd.Dir = s.dir
	p.cmd.Env = append(os.Environ(), "DIAL_URL="+s.srv.URL, "DIAL_API_KEY="+s.srv.Key,
		"DIAL_BEARER_TOKEN=", "HOME="+s.dir, "XDG_CONFIG_HOME="+s.dir, "SIM_HOLD=")
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stderr = &p.stderr
	require.NoError(s.t, p.cmd.Start())
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	s.mu.Lock()
	s.procs[shard] = p
	s.mu.Unlock()
	return p
}

// proc returns the last process started for shard.
func (s *simulation) proc(shard int) *simProc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.procs[shard]
}

// forward has the emulator store an upload and answers with what it answered, counting the
// outcome.
func (s *simulation) forward(w http.ResponseWriter, r *http.Request, name string) {
	rec := httptest.NewRecorder()
	s.srv.Emulator.ServeHTTP(rec, r)
	s.mu.Lock()
	switch {
	case rec.Code < 300:
		s.created[name]++
	case rec.Code == http.StatusPreconditionFailed:
		s.refused++
	}
	s.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// TestScaleOutSimulation runs a batch as 4 shard processes sharing only a storage folder:
// shard 0 is SIGKILLed once the emulator has stored its k-th part but before the process hears
// of it, shard 3 is SIGKILLed while the emulator holds its k-th upload (never stored), shard 2
// gets SIGTERM while records of it wait on the server and must flush what it buffered, and shard 1 runs as two
// processes at once whose first uploads take the same name. The killed shards are restarted;
// the merge then has every input key exactly once, and no part was ever written twice.
func TestScaleOutSimulation(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	dir := t.TempDir()
	root := "files/" + srv.Bucket + "/"
	const records = 200
	var in strings.Builder
	var want strings.Builder
	for i := 1; i <= records; i++ {
		fmt.Fprintf(&in, "{\"id\":\"k%d\",\"n\":%d}\n", i, i)
		fmt.Fprintf(&want, "{\"key\":\"k%d\",\"output\":%d}\n", i, i*i)
	}
	c, err := dial.NewClient(srv.URL, dial.WithAPIKey(srv.Key))
	require.NoError(t, err)
	_, err = c.UploadFile(t.Context(), root+"in.jsonl", strings.NewReader(in.String()))
	require.NoError(t, err)
	// With SIM_HOLD=H, the records past H wait on the server (GET sim/hold) until canceled.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.lua"), []byte(`local dial = require("dial")
local hold = tonumber(os.getenv("SIM_HOLD"))
return function(r)
  if hold and r.n > hold then dial.default():request{path = "sim/hold"} end
  return r.n * r.n
end`), 0o644))

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed))
	kill0, kill3 := 1+rng.IntN(4), 1+rng.IntN(4)
	t.Logf("seed %d: shard 0 killed after its part %d is stored, shard 3 during its upload %d",
		seed, kill0, kill3)

	s := &simulation{t: t, srv: srv, dir: dir, procs: map[int]*simProc{}, puts: map[int]int{},
		created: map[string]int{}, uploaded: make(chan struct{}), stored: make(chan struct{}),
		args: []string{"batch", "s.lua", "--input", root + "in.jsonl", "--output", root + "sim/",
			"-j", "2", "--flush-records", "4", "--flush-interval", "1h"}}
	var dupOnce, termOnce sync.Once
	srv.Handle("GET /sim/hold", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		termOnce.Do(func() { _ = s.proc(2).cmd.Process.Signal(syscall.SIGTERM) })
		<-r.Context().Done()
	}))
	srv.Handle("PUT /v1/files/"+srv.Bucket+"/sim/{name}", http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			name := r.PathValue("name")
			assert.Equal(t, "*", r.Header.Get("If-None-Match"), "part %s", name)
			var shard int
			_, err := fmt.Sscanf(name, "part-%d-", &shard)
			require.NoError(t, err, name)
			s.mu.Lock()
			s.puts[shard]++
			n := s.puts[shard]
			s.mu.Unlock()
			switch {
			case shard == 0 && n == kill0:
				s.forward(httptest.NewRecorder(), r, name) // stored, never acknowledged
				p := s.proc(0)
				_ = p.cmd.Process.Kill()
				p.wait()
			case shard == 3 && n == kill3:
				p := s.proc(3)
				_ = p.cmd.Process.Kill()
				p.wait()
				w.WriteHeader(http.StatusServiceUnavailable)
			case shard == 1 && name == "part-1-000000.jsonl":
				first := false
				dupOnce.Do(func() { first = true })
				if first { // held until the other process uploads under the same name
					select {
					case <-s.uploaded:
					case <-time.After(20 * time.Second):
						t.Error("the second process of shard 1 never uploaded part-1-000000")
					}
					s.forward(w, r, name)
					close(s.stored)
					return
				}
				close(s.uploaded)
				<-s.stored
				s.forward(w, r, name)
			default:
				s.forward(w, r, name)
			}
		}))

	first := map[int]*simProc{0: s.start(0), 2: s.start(2, "SIM_HOLD=100"), 3: s.start(3)}
	dup := []*simProc{s.start(1), s.start(1)}
	assert.Equal(t, -1, first[0].wait(), "shard 0 is killed: %s", first[0].stderr.String())
	assert.Equal(t, -1, first[3].wait(), "shard 3 is killed: %s", first[3].stderr.String())
	assert.Equal(t, exitInterrupted, first[2].wait(), first[2].stderr.String())
	for _, p := range dup {
		assert.Equal(t, 0, p.wait(), p.stderr.String())
	}

	// Shard 2 wrote on SIGTERM every result it counted.
	m := regexp.MustCompile(`(\d+) succeeded`).FindStringSubmatch(first[2].stderr.String())
	require.NotNil(t, m, first[2].stderr.String())
	succeeded, _ := strconv.Atoi(m[1])
	folder, err := newStorageFolder(c, root+"sim/")
	require.NoError(t, err)
	lines := 0
	names, err := folder.List(t.Context())
	require.NoError(t, err)
	for _, name := range runtime.PartNames(names) {
		if strings.HasPrefix(name, "part-2-") {
			require.NoError(t, runtime.ReadPart(t.Context(), folder, name,
				func(string, bool, []byte) error { lines++; return nil }))
		}
	}
	assert.Equal(t, succeeded, lines, "the results of shard 2 at SIGTERM are all in its parts")

	for _, shard := range []int{0, 2, 3} {
		p := s.start(shard)
		assert.Equal(t, 0, p.wait(), "shard %d restarted: %s", shard, p.stderr.String())
	}

	merged := filepath.Join(dir, "merged.jsonl")
	r := runBinary(t, dir, []string{"DIAL_URL=" + srv.URL, "DIAL_API_KEY=" + srv.Key},
		"batch", "merge", root+"sim/", "--to", merged, "--input", root+"in.jsonl")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, want.String(), readFile(t, merged), "every key once, in input order")

	s.mu.Lock()
	defer s.mu.Unlock()
	for name, n := range s.created {
		assert.Equal(t, 1, n, "part %s written once", name)
	}
	assert.GreaterOrEqual(t, s.refused, 1, "the second upload of part-1-000000 was refused")
}
