package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
)

// BatchOptions configures [RunBatch]. Relative paths are resolved against Config.WorkDir (the
// process's current directory when it is empty), as [Host.RunFile] does.
type BatchOptions struct {
	// Script is the path of the batch script, also its chunk name and arg[0]. Required.
	Script string
	// Source is the script's text; nil reads the file at Script.
	Source []byte
	// Input is a JSONL file (each non-blank line is one record, decoded into Lua values) or a
	// folder (each regular file whose name does not start with '.' is one record, the table
	// {path = absolute path, name = file name}, in name order; the output file is not a
	// record). Required.
	Input string
	// RemoteInput, when not nil, is the input instead of a local path: a JSONL file or a
	// folder whose files are the records, the tables {url = …, name = …}; Input then only
	// names it in messages.
	RemoteInput RemoteInput
	// Output is the JSONL file results are appended to, created when missing. A file that
	// holds anything but results (see [RunBatch]) is refused and left untouched. Required
	// unless Parts is set, when it only names the output in messages.
	Output string
	// Parts, when not nil, takes the results instead of the Output file: they are buffered
	// and flushed as new parts "part-<shard>-<seq>.jsonl" (see [PartStore]), each a JSONL
	// file of result lines. A run first reads every part (of every shard) and skips the keys
	// they have, so processes that share the folder (restarts, several shards) write each
	// record once; a record running or buffered when its process was killed runs again. Two
	// processes of one shard running at the same time both write the records they run: such a
	// key is in two parts, and merging the parts ([MergeParts]) keeps it once. A run of parts
	// never rewrites them.
	Parts PartStore
	// FlushRecords and FlushInterval are when buffered results are flushed as a part: once
	// FlushRecords of them are buffered, or once the oldest has waited FlushInterval (zero
	// or less: [DefaultFlushRecords], [DefaultFlushInterval]); and always when the run ends,
	// canceled or not. Only with Parts.
	FlushRecords  int
	FlushInterval time.Duration
	// Workers is the number of records run at the same time, each worker with a state of its
	// own; zero or less means 1.
	Workers int
	// Ordered writes results in input order, holding back those that finish early. Without it
	// results are written as they finish.
	Ordered bool
	// RetryErrors runs again the records whose result in the output is an error.
	RetryErrors bool
	// Shard and Shards select the records of this run: those whose key hashes to Shard among
	// Shards (0 <= Shard < Shards). Shards of 0 or 1 selects every record.
	Shard, Shards int
	// RecordTimeout bounds each call of the record function; zero means no bound. A record
	// that runs out of time fails with kind "timeout".
	RecordTimeout time.Duration
	// SyncInterval is how often the output file is at most fsynced while results are written;
	// zero means every second, a negative value after every result. The file is always fsynced
	// when the run ends. Results reach the file with one write each as soon as they are
	// known, so a killed process loses none of them; the fsync guards against a system crash.
	SyncInterval time.Duration
	// Redact, when not nil, masks the error results: every string of an error record (its
	// message, traceback and the fields of an error table, keys included) is written as
	// Redact returns it. The CLI masks credentials with it, as on stderr.
	Redact func(string) string
	// Progress, when not nil, is called after each result is written and once at the start.
	// Calls are serialized and hold up the writing of results, so it must return quickly.
	Progress func(BatchProgress)
	// Warn, when not nil, is told what the run repaired before starting: a torn last line it
	// cut off the output.
	Warn func(msg string)
	// Report counts the checks of the shard's records in BatchSummary.Checks when the run ends
	// without an error: those of each record's last line in the output (with Parts, its last
	// in part name order), so records done by earlier runs count too.
	Report bool
}

// BatchProgress is the state of a running batch.
type BatchProgress struct {
	// Total is the number of records this run has to run: the records of the shard minus
	// those done before.
	Total int
	// Done counts the results written, failures included; Failed counts the failures.
	Done, Failed int
	// Elapsed is the time since the run started.
	Elapsed time.Duration
	// Rate is Done per second of Elapsed.
	Rate float64
	// ETA is the time left at Rate; zero while Rate is zero.
	ETA time.Duration
}

// BatchSummary is the outcome of [RunBatch].
type BatchSummary struct {
	// Records is the number of records of the input in this run's shard.
	Records int
	// Skipped counts the records the output already had a result for, which were not run
	// again; SkippedFailed counts those of them whose result is an error (without
	// BatchOptions.RetryErrors).
	Skipped, SkippedFailed int
	// Succeeded and Failed count the results this run wrote.
	Succeeded, Failed int
	// Abandoned counts the records that were running when the run was canceled and whose
	// result was not written; a later run does them.
	Abandoned int
	// Elapsed is the duration of the run.
	Elapsed time.Duration
	// Checks counts, by check name in sorted order, the records that passed and failed each
	// check; filled in only with BatchOptions.Report.
	Checks []CheckCount
}

// Complete reports whether every record of the shard has a result in the output.
func (s BatchSummary) Complete() bool {
	return s.Skipped+s.Succeeded+s.Failed == s.Records
}

// AnyFailed reports whether the output holds an error result for a record of the shard.
func (s BatchSummary) AnyFailed() bool { return s.Failed+s.SkippedFailed > 0 }

// AnyCheckFailed reports whether a record of the shard failed a check, in Checks.
func (s BatchSummary) AnyCheckFailed() bool {
	return slices.ContainsFunc(s.Checks, func(c CheckCount) bool { return c.Failed > 0 })
}

// RunBatch runs a batch script over every record of an input, writing one JSON line per
// record to an output file, and returns what it did.
//
// The script runs once in each worker's state and must return a function (an error
// otherwise, before any record runs). That function is then called with each record on one of
// opts.Workers workers; each worker keeps its state (a [Host] made from cfg) for all its
// records, so what the script sets up at load time (clients, caches, globals) is made once per
// worker. All workers share cfg.Cache and what cfg.Modules share (such as a connection pool:
// one that opens no more connections than opts.Workers, and a rate gate that holds back every
// worker after a 429, keep a run polite).
//
// Each record has a key: the "id" member of a JSONL object when it is a string or a number
// (kept as that JSON type), else the record's line number, or the file name for a folder.
// Duplicate keys in the shard are an error before any record runs. Results are lines
//
//	{"key": KEY, "output": VALUE}                      the function's first result, as JSON
//	{"key": KEY, "error": {"kind": …, "message": …}}   a failure
//
// A failure is an error the function raised (kind "runtime", with "traceback"; when the
// error value is a table its fields are kept), a returned nil, message[, err] (the fields of
// err, such as those of the dial module, with message filling in a missing "message"; kind
// "script" when err has no kind; a number err is the "status"), a run past
// opts.RecordTimeout (kind "timeout"), a result that is not JSON-encodable (kind "output"),
// or a call of os.exit (kind "exit"). A function that returns nothing, or nil alone,
// succeeds with the output null.
//
// A record may record checks, named pass/fail outcomes: with dial.check (or any module that
// writes to the [luabridge.CheckSink] of the run's context) while it runs, or by returning a
// table of them as the function's second result after a non-nil output (name = boolean, or a
// list of {name = …, ok = …, detail = …}; a table with a metatable, such as a decoded JSON
// value or a dial response, is not checks and is ignored). They go into its line as "checks": {"name": true,
// "other": {"ok": false, "detail": "…"}}, masked by opts.Redact.
//
// The output holds results only: each line is a JSON object whose members are "key", one of
// "output" or "error" (an object), optionally "checks", and no other. A run first reads the output and refuses
// to start, leaving the file as it is, when a line is anything else; only a last line without
// a newline that starts like a result is taken for a torn write and cut off (opts.Warn is
// told).
//
// The run is resumable and safe to kill: each result is appended with one write as soon as it
// is known, and a run skips the records that already have a result (with opts.RetryErrors,
// not the failed ones, whose new result is appended). When a key has several lines, the last
// one counts. A run that ends with every record of the shard done leaves the file with one
// line per key in input order (results for keys the input no longer has follow, in file
// order): a file not already so is rewritten through a temporary file renamed over it. So
// rerunning the same command after a crash until it completes leaves every record exactly
// once in the output, in input order, although a record that was running at the crash runs
// again. One process at a time may use an output file.
//
// When ctx is canceled, records stop being started, the records running are canceled and
// their failures are not written (a success that comes in is), the file is fsynced, and
// RunBatch returns the summary with ctx's error. Other errors (the input, the output, the
// script failing to load or to return a function) end the run with the summary so far and the
// error; a script that fails to compile or to run returns a [*ScriptError].
func RunBatch(ctx context.Context, cfg Config, opts BatchOptions) (BatchSummary, error) {
	start := time.Now()
	var sum BatchSummary
	b, err := newBatch(cfg, opts)
	if err != nil {
		return sum, err
	}
	if err := b.prepare(ctx, &sum); err != nil {
		return sum, err
	}
	err = b.run(ctx, start, &sum)
	if err == nil && opts.Report {
		sum.Checks, err = tallyChecks(ctx, b.output, b.opts.Parts, b.keys)
		if err != nil {
			err = fmt.Errorf("batch: %w", err)
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, err
}

// batch is one run of RunBatch.
type batch struct {
	cfg     Config
	opts    BatchOptions
	script  string // chunk name
	src     []byte
	input   string // resolved paths
	output  string
	keys    keyTable
	toRun   int
	workers int
	writer  *batchWriter
	nextSeq int // the sequence number of this shard's next part, with Parts
}

func newBatch(cfg Config, opts BatchOptions) (*batch, error) {
	switch {
	case opts.Script == "":
		return nil, errors.New("batch: no script")
	case opts.Input == "" && opts.RemoteInput == nil:
		return nil, errors.New("batch: no input")
	case opts.Output == "" && opts.Parts == nil:
		return nil, errors.New("batch: no output")
	case opts.Shards > 1 && (opts.Shard < 0 || opts.Shard >= opts.Shards):
		return nil, fmt.Errorf("batch: shard %d out of range 0..%d", opts.Shard, opts.Shards-1)
	case opts.RecordTimeout < 0:
		return nil, errors.New("batch: negative record timeout")
	}
	dir := cfg.WorkDir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("batch: working directory: %w", err)
		}
		dir = wd
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	b := &batch{cfg: cfg, opts: opts, script: opts.Script, src: opts.Source,
		input: abs(opts.Input), workers: max(opts.Workers, 1), keys: make(keyTable)}
	if opts.Parts == nil {
		b.output = abs(opts.Output)
	}
	if b.src == nil {
		src, err := os.ReadFile(abs(opts.Script))
		if err != nil {
			return nil, fmt.Errorf("batch: %w", err)
		}
		b.src = src
	}
	if opts.Parts != nil {
		return b, nil
	}
	if p, err := filepath.EvalSymlinks(b.output); err == nil {
		b.output = p // finishing renames a file over the output: the link's target, not the link
	}
	if in, err := os.Stat(b.input); err == nil && opts.RemoteInput == nil {
		if out, err := os.Stat(b.output); err == nil && os.SameFile(in, out) {
			return nil, errors.New("batch: the output is the input")
		}
	}
	return b, nil
}

// scan calls fn with every record of the input, in order (see [scanInput]); check validates
// each JSONL line.
func (b *batch) scan(ctx context.Context, check bool, fn func(batchRecord) error) error {
	return scanSource(ctx, b.opts.RemoteInput, b.opts.Input, b.input, b.output, check, fn)
}

// inShard reports whether rec belongs to this run's shard.
func (b *batch) inShard(rec batchRecord) bool {
	return b.opts.Shards <= 1 || shardOf(rec.key, b.opts.Shards) == b.opts.Shard
}

// runs reports whether a record of the shard with key state st is to run.
func (b *batch) runs(st recordKeyState) bool {
	return st&keyDone == 0 || (b.opts.RetryErrors && st&keyFailed != 0)
}

// prepare reads the output, then checks the input and counts its records.
func (b *batch) prepare(ctx context.Context, sum *BatchSummary) error {
	var err error
	if b.opts.Parts != nil {
		b.nextSeq, err = readParts(ctx, b.opts.Parts, b.opts.Shard, b.keys)
	} else {
		err = readOutput(b.output, b.keys, b.opts.Warn)
	}
	if err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	err = b.scan(ctx, true, func(rec batchRecord) error {
		if !b.inShard(rec) {
			return nil
		}
		id := idOf(rec.key)
		st := b.keys[id]
		if st&keyInInput != 0 {
			return fmt.Errorf("input: record %d: duplicate key %s (keys are the records' "+
				"\"id\" members, else their line numbers)", rec.pos, rec.key)
		}
		b.keys[id] = st | keyInInput
		sum.Records++
		switch {
		case b.runs(st):
			b.toRun++
		case st&keyFailed != 0:
			sum.Skipped++
			sum.SkippedFailed++
		default:
			sum.Skipped++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	return nil
}

// job is a record handed to a worker, with its place in the order of results.
type job struct {
	seq int
	rec batchRecord
}

// run starts the workers, feeds them the records to run and waits for them.
func (b *batch) run(ctx context.Context, start time.Time, sum *BatchSummary) error {
	if b.cfg.Cache == nil {
		b.cfg.Cache = NewChunkCache(0)
	}
	sink, err := b.openSink(ctx)
	if err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	w := newWriter(sink, b.keys, b.opts.Ordered, max(64, 8*b.workers))
	b.writer = w
	w.after = func(failed bool) {
		if failed {
			sum.Failed++
		} else {
			sum.Succeeded++
		}
		b.report(start, sum)
	}
	b.report(start, sum)

	runErr := b.runWorkers(ctx, sum)
	if err := w.close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("batch: %w", err)
	}
	if runErr != nil {
		return runErr
	}
	if sum.Complete() && b.opts.Parts == nil {
		scan := func(fn func(batchRecord) error) error { return b.scan(ctx, false, fn) }
		if err := finishOutput(b.output, scan, b.inShard); err != nil {
			return fmt.Errorf("batch: %w", err)
		}
	}
	return nil
}

// openSink opens where the results go: the output file or new parts.
func (b *batch) openSink(ctx context.Context) (resultSink, error) {
	if b.opts.Parts != nil {
		n, every := b.opts.FlushRecords, b.opts.FlushInterval
		if n <= 0 {
			n = DefaultFlushRecords
		}
		if every <= 0 {
			every = DefaultFlushInterval
		}
		return newPartSink(ctx, b.opts.Parts, b.opts.Shard, b.nextSeq, n, every), nil
	}
	syncEvery := b.opts.SyncInterval
	if syncEvery == 0 {
		syncEvery = time.Second
	}
	return openFileSink(b.output, syncEvery)
}

// report calls the progress callback; the writer's lock is held.
func (b *batch) report(start time.Time, sum *BatchSummary) {
	if b.opts.Progress == nil {
		return
	}
	p := BatchProgress{Total: b.toRun, Done: sum.Succeeded + sum.Failed, Failed: sum.Failed,
		Elapsed: time.Since(start)}
	if p.Done > 0 && p.Elapsed > 0 {
		p.Rate = float64(p.Done) / p.Elapsed.Seconds()
		p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
	}
	b.opts.Progress(p)
}

// runWorkers loads the script in every worker, then runs the records. It returns the first
// fatal error, or ctx's error when the run was canceled.
func (b *batch) runWorkers(ctx context.Context, sum *BatchSummary) error {
	if b.toRun == 0 {
		return nil
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var fatalOnce sync.Once
	var fatal error
	fail := func(err error) {
		fatalOnce.Do(func() { fatal = err })
		cancel(err)
	}

	workers := min(b.workers, b.toRun)
	// The first worker loads the script before the others start, so a script that does not
	// load fails once, with its own error.
	first, err := b.newWorker(runCtx)
	if err != nil {
		return err
	}
	jobs := make(chan job, workers)
	var abandonedMu sync.Mutex // guards sum.Abandoned
	var wg sync.WaitGroup
	work := func(wk *batchWorker) {
		defer wk.close()
		for j := range jobs {
			if runCtx.Err() != nil {
				continue // not started: a later run does it
			}
			r, ok := wk.run(runCtx, j.rec)
			if !ok {
				abandonedMu.Lock()
				sum.Abandoned++
				abandonedMu.Unlock()
				continue
			}
			if err := b.writer.put(j.seq, r); err != nil {
				fail(fmt.Errorf("batch: %w", err))
			}
		}
	}
	wg.Go(func() { work(first) })
	for range workers - 1 {
		wg.Go(func() {
			wk, err := b.newWorker(runCtx)
			if err != nil {
				if runCtx.Err() == nil {
					fail(err)
				}
				for range jobs { // leave the records to the other workers
				}
				return
			}
			work(wk)
		})
	}

	feedErr := b.feed(runCtx, jobs)
	close(jobs)
	wg.Wait()
	switch {
	case fatal != nil:
		return fatal
	case ctx.Err() != nil:
		return ctx.Err()
	case feedErr != nil:
		return fmt.Errorf("batch: %w", feedErr)
	}
	return nil
}

// errStopFeed ends the scan of the input when the run is canceled.
var errStopFeed = errors.New("batch: stopped")

// feed sends the records to run to the workers, in input order, until the input ends or ctx
// is done. When ordered, it holds back records while the writer's window of unwritten results
// is full.
func (b *batch) feed(ctx context.Context, jobs chan<- job) error {
	seq := 0
	err := b.scan(ctx, false, func(rec batchRecord) error {
		if !b.inShard(rec) {
			return nil
		}
		// A record the first scan did not see (a file added to the folder since) is left for
		// the next run.
		if st := b.keyState(rec.key); st&keyInInput == 0 || !b.runs(st) {
			return nil
		}
		if seq == b.toRun {
			return errors.New("the input changed during the run")
		}
		if b.writer.window != nil {
			select {
			case b.writer.window <- struct{}{}:
			case <-ctx.Done():
				return errStopFeed
			}
		}
		select {
		case jobs <- job{seq: seq, rec: rec}:
			seq++
			return nil
		case <-ctx.Done():
			return errStopFeed
		}
	})
	switch {
	case errors.Is(err, errStopFeed):
		return nil
	case err != nil:
		return err
	case seq != b.toRun:
		return errors.New("the input changed during the run")
	}
	return nil
}

// keyState returns the state of key. The writer changes states as results come in, so it is
// read under the writer's lock; a key not fed yet still has the state the run started with.
func (b *batch) keyState(key string) recordKeyState {
	b.writer.mu.Lock()
	defer b.writer.mu.Unlock()
	return b.keys[idOf(key)]
}

// batchWorker is one worker: a host and the record function its script returned.
type batchWorker struct {
	b  *batch
	h  *Host
	fn *lua.LFunction
}

// newWorker creates a host and runs the script in it.
func (b *batch) newWorker(ctx context.Context) (*batchWorker, error) {
	h, err := New(b.cfg)
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	chunk, err := h.Load(b.script, b.src)
	if err != nil {
		h.Close()
		return nil, err
	}
	w := &batchWorker{b: b, h: h}
	err = h.do(ctx, b.script, func(L *lua.LState) error {
		h.setScript(L, b.script)
		L.Push(chunk)
		for _, a := range b.cfg.Args {
			L.Push(lua.LString(a))
		}
		if err := L.PCall(len(b.cfg.Args), 1, nil); err != nil {
			return err
		}
		fn, ok := L.Get(-1).(*lua.LFunction)
		if !ok {
			return fmt.Errorf("batch: %s must return the function to call for each record, "+
				"not a %s value", b.script, L.Get(-1).Type())
		}
		w.fn = fn
		return nil
	})
	if err != nil {
		h.Close()
		return nil, err
	}
	return w, nil
}

func (w *batchWorker) close() { w.h.Close() }

// run calls the record function with rec and returns the result line. ok is false when the run
// was canceled and the record failed: its result is then not written. The checks the record
// records (dial.check, through the context's [luabridge.CheckSink], and a table returned as the
// function's second result, see [recordResult]) go into its line, whether it succeeds or fails.
func (w *batchWorker) run(ctx context.Context, rec batchRecord) (r result, ok bool) {
	rctx, cancel := ctx, context.CancelFunc(func() {})
	if d := w.b.opts.RecordTimeout; d > 0 {
		rctx, cancel = context.WithTimeout(ctx, d)
	}
	defer cancel()
	checks := checkSet{}
	rctx = luabridge.WithCheckSink(rctx, checks.add)
	var out []byte
	var fail map[string]any
	err := w.h.do(rctx, w.b.script, func(L *lua.LState) error {
		arg, err := rec.value(L)
		if err != nil {
			fail = map[string]any{"kind": "input", "message": err.Error()}
			return nil
		}
		L.Push(w.fn)
		L.Push(arg)
		if err := L.PCall(1, 3, nil); err != nil {
			return err
		}
		out, fail = recordResult(L, L.Get(-3), L.Get(-2), L.Get(-1), checks)
		return nil
	})
	if err != nil {
		fail = raisedError(w.h.L, err)
	}
	redact := w.b.opts.Redact
	if redact == nil {
		redact = func(s string) string { return s }
	}
	checksJSON := checksMember(checks.redacted(redact))
	if fail == nil {
		return result{key: rec.key, line: outputLine(rec.key, out, checksJSON)}, true
	}
	if ctx.Err() != nil {
		return result{}, false
	}
	if rctx.Err() != nil {
		fail["kind"] = "timeout"
		fail["message"] = fmt.Sprintf("record timed out after %v: %v", w.b.opts.RecordTimeout,
			fail["message"])
	}
	fail = redactStrings(fail, redact).(map[string]any)
	line, err := errorLine(rec.key, fail, checksJSON)
	if err != nil {
		line, _ = errorLine(rec.key, map[string]any{"kind": fail["kind"],
			"message": fmt.Sprint(fail["message"])}, checksJSON)
	}
	return result{key: rec.key, line: line, failed: true}, true
}

// checksMember is the JSON of a record's checks for its line, nil when it has none.
func checksMember(c checkSet) []byte {
	if len(c) == 0 {
		return nil
	}
	b, _ := json.Marshal(c) // names and details are strings, outcomes booleans: it cannot fail
	return b
}

// value returns the Lua value a record is passed to the function as.
func (rec batchRecord) value(L *lua.LState) (lua.LValue, error) {
	if rec.data != nil {
		v, err := luabridge.FromJSON(L, rec.data)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", rec.pos, err)
		}
		return v, nil
	}
	t := L.CreateTable(0, 2)
	if rec.url != "" {
		t.RawSetString("url", lua.LString(rec.url))
	} else {
		t.RawSetString("path", lua.LString(rec.path))
	}
	t.RawSetString("name", lua.LString(rec.name))
	return t, nil
}

// recordResult reads the results v, msg, e of a record function: the JSON of v, or the fields
// of a failure. With a v that is not nil, a table msg without a metatable is the record's
// checks, added to checks.
func recordResult(L *lua.LState, v, msg, e lua.LValue, checks checkSet) ([]byte, map[string]any) {
	if v == lua.LNil && (msg != lua.LNil || e != lua.LNil) {
		fail := map[string]any{}
		switch e := e.(type) {
		case *lua.LTable:
			if m, ok := tableFields(L, e); ok {
				fail = m
			}
		case lua.LNumber:
			fail["status"] = float64(e)
		}
		if _, ok := fail["message"].(string); !ok {
			switch msg.Type() {
			case lua.LTString, lua.LTNumber:
				fail["message"] = msg.String()
			default:
				fail["message"] = "the record function returned nil without a message"
			}
		}
		if _, ok := fail["kind"].(string); !ok {
			fail["kind"] = "script"
		}
		return nil, fail
	}
	// A table with a metatable (a decoded JSON value, a response of the dial module, as
	// `return assert(client:ask(…))` returns) is not checks: the second result is ignored.
	if t, ok := msg.(*lua.LTable); ok && v != lua.LNil && t.Metatable == lua.LNil {
		if err := checks.addReturned(t); err != nil {
			return nil, map[string]any{"kind": "output",
				"message": "the checks the record function returned: " + err.Error()}
		}
	}
	out, err := luabridge.ToJSON(L, v)
	if err != nil {
		return nil, map[string]any{"kind": "output",
			"message": "cannot write the result as JSON: " + err.Error()}
	}
	return out, nil
}

// raisedError returns the fields of the failure err of a record: a raised error, a canceled
// run, or os.exit.
func raisedError(L *lua.LState, err error) map[string]any {
	var se *ScriptError
	var exit *ExitError
	switch {
	case errors.As(err, &exit):
		return map[string]any{"kind": "exit",
			"message": "the record function called os.exit(" + strconv.Itoa(exit.Code) + ")"}
	case errors.As(err, &se):
		fail := map[string]any{}
		var apiErr *lua.ApiError
		if errors.As(se.Err, &apiErr) {
			if t, ok := apiErr.Object.(*lua.LTable); ok {
				if m, ok := tableFields(L, t); ok {
					fail = m
				}
			}
		}
		if _, ok := fail["message"].(string); !ok {
			fail["message"] = se.Message
		}
		if _, ok := fail["kind"].(string); !ok || se.Kind == KindCanceled {
			fail["kind"] = se.Kind.String()
		}
		if se.Traceback != "" {
			fail["traceback"] = se.Traceback
		}
		return fail
	}
	return map[string]any{"kind": "runtime", "message": err.Error()}
}

// tableFields converts an error table to its fields; ok is false when it is not an object
// that converts to JSON.
func tableFields(L *lua.LState, t *lua.LTable) (map[string]any, bool) {
	g, err := luabridge.ToGo(L, t)
	if err != nil {
		return nil, false
	}
	m, ok := g.(map[string]any)
	return m, ok
}

// outputLine is the result line of a success, with its checks' JSON when not nil.
func outputLine(key string, out, checks []byte) []byte {
	line := make([]byte, 0, len(key)+len(out)+len(checks)+32)
	line = append(line, `{"key":`...)
	line = append(line, key...)
	line = append(line, `,"output":`...)
	line = append(line, out...)
	return appendChecks(line, checks)
}

// appendChecks ends a result line: the checks member when checks is not nil, the closing brace
// and the newline.
func appendChecks(line, checks []byte) []byte {
	if checks != nil {
		line = append(line, `,"checks":`...)
		line = append(line, checks...)
	}
	return append(line, "}\n"...)
}

// redactStrings returns v, a value of [luabridge.ToGo]'s kinds, with every string in it, map
// keys included, replaced by what redact returns for it.
func redactStrings(v any, redact func(string) string) any {
	switch v := v.(type) {
	case string:
		return redact(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = redactStrings(x, redact)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[redact(k)] = redactStrings(x, redact)
		}
		return out
	}
	return v
}

// errorLine is the result line of a failure, with its checks' JSON when not nil.
func errorLine(key string, fail map[string]any, checks []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"key":`)
	buf.WriteString(key)
	buf.WriteString(`,"error":`)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fail); err != nil {
		return nil, err
	}
	buf.Truncate(buf.Len() - 1) // the encoder's newline
	return appendChecks(buf.Bytes(), checks), nil
}
