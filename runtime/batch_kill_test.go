package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/dialhost"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/runtime"
)

// childEnv names the environment variable that makes the test binary run one batch (its
// value, a JSON childBatch) instead of the tests: the process the kill test kills.
const childEnv = "DIALUA_TEST_BATCH_CHILD"

// childBatch is the batch a child process runs.
type childBatch struct {
	Dir                  string
	Args                 []string
	Output               string
	Ordered, RetryErrors bool
	// URL and Key, when URL is set, connect the dial module to an emulator of the parent, and
	// the records are answered by its echo model.
	URL, Key string
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// runChild runs the batch described by spec and returns the process's exit code.
func runChild(spec string) int {
	var c childBatch
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg := runtime.Config{WorkDir: c.Dir, Args: c.Args,
		Modules: []runtime.Module{testutilModule()}}
	opts := runtime.BatchOptions{Script: "s.lua", Source: []byte(killScript), Input: "in.jsonl",
		Output: c.Output, Workers: 6, Ordered: c.Ordered, RetryErrors: c.RetryErrors}
	if c.URL != "" {
		pool := dial.NewPool(dial.PoolOptions{MaxConnsPerHost: opts.Workers,
			Gate: dial.NewRateGate(0)})
		defer pool.Close()
		opts.Source = []byte(killDialScript)
		cfg.Modules = append(cfg.Modules, dialhost.Module(newDialConfig(pool, c.URL, c.Key)))
	}
	if _, err := runtime.RunBatch(context.Background(), cfg, opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// killScript sleeps a little per record so that kills land mid-run, and fails every third
// record when its first argument is "fail".
const killScript = `local t = require("testutil")
return function(r)
  t.sleep(1)
  if arg[1] == "fail" and r.n % 3 == 0 then return nil, "failing on purpose", {kind = "http", status = 503} end
  return {n = r.n, square = r.n * r.n}
end`

// killDialScript asks the emulator's echo model for each record.
const killDialScript = `local client = require("dial").default()
local json = require("json")
return function(r)
  local text = assert(client:ask("echo", json.encode({n = r.n, square = r.n * r.n})))
  return json.decode(text)
end`

// startChild starts a child process running c.
func startChild(t *testing.T, c childBatch) *exec.Cmd {
	t.Helper()
	spec, err := json.Marshal(c)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// checkWholeLines asserts that every newline-terminated line of the output is a result, and
// returns their number; only an unterminated tail (a write cut by SIGKILL at a page boundary)
// may be torn.
func checkWholeLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	require.NoError(t, err)
	i := bytes.LastIndexByte(data, '\n')
	if i < 0 {
		return 0
	}
	n := 0
	for line := range bytes.SplitSeq(data[:i], []byte("\n")) {
		var r batchResult
		require.NoError(t, json.Unmarshal(line, &r), "line %q", line)
		n++
	}
	return n
}

// runUntilDone kills children of c at random moments once they have written a result, until
// kills of them died mid-run, then lets one finish. It returns the number of processes killed.
func runUntilDone(t *testing.T, c childBatch, kills int) int {
	t.Helper()
	out := filepath.Join(c.Dir, c.Output)
	size := func() int64 {
		st, err := os.Stat(out)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	killed := 0
	for attempt := 0; attempt < 100; attempt++ {
		cmd := startChild(t, c)
		if killed == kills {
			require.NoError(t, cmd.Wait(), "stderr: %s", cmd.Stderr)
			return killed
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		before := size()
		var kill <-chan time.Time
		poll := time.NewTicker(time.Millisecond)
	wait:
		for {
			select {
			case err := <-done:
				poll.Stop()
				require.NoError(t, err, "stderr: %s", cmd.Stderr)
				return killed // finished before the kill: the job is done
			case <-poll.C:
				if kill == nil && size() > before {
					kill = time.After(time.Duration(rand.IntN(40)) * time.Millisecond)
				}
			case <-kill:
				break wait
			}
		}
		poll.Stop()
		require.NoError(t, cmd.Process.Kill())
		<-done
		killed++
		t.Logf("killed after %d results", checkWholeLines(t, out))
	}
	t.Fatal("the batch never finished")
	return killed
}

// Killing the process at random moments and rerunning the same command leaves every record
// exactly once in the output, without a torn line.
func TestBatchSurvivesKill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	const records = 1500
	modes := []struct {
		name    string
		ordered bool
		retry   bool
		dial    bool
	}{
		{name: "unordered"},
		{name: "ordered", ordered: true},
		{name: "retry errors", retry: true},
		{name: "dial", dial: true},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeLines(t, dir, records)
			c := childBatch{Dir: dir, Output: "out.jsonl", Ordered: mode.ordered}
			if mode.dial {
				srv := emulatortest.NewServer(t)
				c.URL, c.Key = srv.URL, srv.Key
			}
			if mode.retry {
				// A first complete run fails a third of the records; the killed reruns retry
				// them.
				c.Args = []string{"fail"}
				runUntilDone(t, c, 0)
				assert.Len(t, readResults(t, filepath.Join(dir, "out.jsonl")), records)
				c.Args = nil
				c.RetryErrors = true
			}
			killed := runUntilDone(t, c, 4)
			assert.GreaterOrEqual(t, killed, 2, "killed mid-run")

			res := readResults(t, filepath.Join(dir, "out.jsonl")) // no torn line, no duplicate
			require.Len(t, res, records, "no record lost")
			for i, r := range res {
				assert.Equal(t, fmt.Sprintf(`"r%d"`, i+1), string(r.Key), "a finished run is in input order")
				require.Nil(t, r.Error, "%s", r.Key)
				var out struct{ N, Square int }
				require.NoError(t, json.Unmarshal(r.Output, &out))
				assert.Equal(t, fmt.Sprintf(`"r%d"`, out.N), string(r.Key))
				assert.Equal(t, out.N*out.N, out.Square)
			}
		})
	}
}
