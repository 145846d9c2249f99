package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/lualib"
	"github.com/dialua/dialua/runtime"
)

// batchUsage is the help of `dialua batch`, before its flags.
const batchUsage = `Usage: dialua batch SCRIPT --input FILE|DIR --output FILE|FOLDER-URL [flags] [-- ARGS...]

Runs SCRIPT, which returns a function, once per worker, then calls that function with each input
record and appends one JSON line per record to the output: {"key": …, "output": …} or
{"key": …, "error": {"kind": …, "message": …}}. A record is a line of a JSONL file (decoded) or
a file of a folder ({path = …, name = …}); its key is its "id", else its line number or file
name. Rerunning the same command skips the records already done, so an interrupted or killed
run is finished by running it again; a finished run leaves the output in input order. An output
that holds anything but such lines is refused and left as it is. An output that is a DIAL storage
folder URL (ending in '/') receives the results as parts, new files part-<shard>-<seq>.jsonl that
a rerun reads to skip the records done (see docs/batch.md); "dialua batch merge" merges them
(see dialua batch merge --help; a script called merge is given as ./merge). ARGS are the
script's arg[1..n].

A record may record checks (dial.check(name, ok [, detail]), or a table returned after its
output); they go into its line as "checks", and --report counts them over every record of the
output, earlier runs' included.

Exit status: 0 when every record succeeded, 1 when any failed (in the output, this run or an
earlier one), when a check failed with --report, or the run could not start, 2 on a usage or
script syntax error, 130 when interrupted.

Flags:
`

// batchFlags are the flags of `dialua batch`.
type batchFlags struct {
	input, output string
	jobs          int
	ordered       bool
	retryErrors   bool
	shard         string
	shards        int
	maxRPS        float64
	recordTimeout time.Duration
	report        bool
	reportJSON    string
	cache         string
	cacheTTL      time.Duration
	flushRecords  int
	flushInterval time.Duration
}

// batchFlagSet returns the flags of `dialua batch`, stored in f, with the connection flags
// stored in o.
func batchFlagSet(f *batchFlags, o *options) *pflag.FlagSet {
	return newFlagSet("dialua batch", true, func(fs *pflag.FlagSet) {
		fs.StringVar(&f.input, "input", "", "read the records from `FILE|DIR`: a JSONL file, or a folder whose files are the records; local, or a DIAL storage URL (a folder's ends in '/')")
		fs.StringVar(&f.output, "output", "", "the JSONL `FILE` results are appended to (created when missing), or a DIAL storage folder URL (ending in '/') results are written to as parts")
		fs.IntVarP(&f.jobs, "jobs", "j", 4, "run `N` records at a time, each worker with its own Lua state; also the most connections opened")
		boolFlag(fs, &f.ordered, "ordered", "", "write the results in input order")
		boolFlag(fs, &f.retryErrors, "retry-errors", "", "run again the records whose result is an error")
		fs.StringVar(&f.shard, "shard", "", "run only shard `I/N` (0 <= I < N) of the records, by a hash of their keys; auto: I and N from a Kubernetes indexed Job or a Slurm job array")
		fs.IntVar(&f.shards, "shards", 0, "with --shard auto, the number of shards `N` (required for a Kubernetes Job: its completions)")
		fs.Float64Var(&f.maxRPS, "max-rps", 0, "send at most `R` requests per second, retries included (default no cap)")
		fs.DurationVar(&f.recordTimeout, "timeout-per-record", 0, "fail a record that runs longer than `DURATION` (default no limit)")
		boolFlag(fs, &f.report, "report", "", "print the pass/fail counts of the records' checks on stdout at the end; exit 1 when any failed")
		fs.StringVar(&f.reportJSON, "report-json", "", "also write the report as JSON to `FILE` (implies --report)")
		cacheFlags(fs, &f.cache, &f.cacheTTL)
		fs.IntVar(&f.flushRecords, "flush-records", runtime.DefaultFlushRecords, "with a storage --output, write a part once `N` results are buffered")
		fs.DurationVar(&f.flushInterval, "flush-interval", runtime.DefaultFlushInterval, "with a storage --output, write a part once the oldest buffered result has waited `DURATION`")
		o.connectionFlags(fs)
	})
}

// batchHelp is the text of dialua batch --help. Not the flag set of the command line: its
// defaults are the values of flags given before "batch", a key among them.
func batchHelp(*command) string {
	return batchUsage + batchFlagSet(&batchFlags{}, &options{}).FlagUsagesWrapped(100)
}

// batch is `dialua batch SCRIPT --input FILE|DIR --output FILE [flags] [-- ARGS…]` with args
// (what follows "batch" on the command line); the connection flags parse among the batch's
// own, flags given before "batch" (such as --sandbox) apply too, and the DIAL side is the same
// session as run's. It returns the exit code: 0 when every record of the shard has a
// successful result, 1 when any has a failed one or the run fails, 2 on a usage or script
// syntax error, 130 when interrupted — the output then holds whole lines only, and rerunning
// the command finishes the job; with --report, 1 too when a record of the output failed a
// check. Progress (on a terminal only) and the summary go to stderr, the report to stdout.
func (c *command) batch(ctx context.Context, o *options, args []string) int {
	if len(args) > 0 && args[0] == "merge" {
		return c.batchMerge(ctx, o, args[1:])
	}
	var f batchFlags
	fs := batchFlagSet(&f, o)
	usageError := func(msg string) int {
		fmt.Fprintf(c.stderr, "dialua batch: %s (see dialua batch --help)\n", msg)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if helpRequested(fs) {
		fmt.Fprint(c.stdout, batchHelp(c))
		return exitOK
	}
	shard, shards, err := parseShard(f.shard)
	if f.shard == "auto" {
		shard, shards, err = autoShard(f.shards, c.getenv)
	}
	switch {
	case fs.NArg() == 0:
		return usageError("no script: dialua batch SCRIPT --input FILE|DIR --output FILE")
	case f.input == "":
		return usageError("--input is required")
	case f.output == "":
		return usageError("--output is required")
	case f.jobs < 1:
		return usageError(fmt.Sprintf("--jobs %d: at least one worker is needed", f.jobs))
	case f.maxRPS < 0:
		return usageError("--max-rps must not be negative")
	case f.recordTimeout < 0:
		return usageError("--timeout-per-record must not be negative")
	case f.flushRecords < 1:
		return usageError("--flush-records must be at least 1")
	case f.flushInterval <= 0:
		return usageError("--flush-interval must be positive")
	case isStorageURL(f.output) && !strings.HasSuffix(f.output, "/"):
		return usageError(fmt.Sprintf("--output %s: a storage output is a folder URL, ending in '/'", f.output))
	case f.shards != 0 && f.shard != "auto":
		return usageError("--shards goes with --shard auto")
	case err != nil:
		return usageError(err.Error())
	}
	if o.cache, err = openCache(f.cache, f.cacheTTL); err != nil {
		return usageError(err.Error())
	}
	opts := runtime.BatchOptions{Script: fs.Arg(0), Input: f.input, Output: f.output,
		Workers: f.jobs, Ordered: f.ordered, RetryErrors: f.retryErrors, Shard: shard,
		Shards: shards, RecordTimeout: f.recordTimeout, Report: f.report || f.reportJSON != "",
		FlushRecords: f.flushRecords, FlushInterval: f.flushInterval,
		Redact: c.secrets.Redact, // error records are masked as stderr is
		Warn:   func(msg string) { fmt.Fprintf(c.stderr, "dialua batch: warning: %s\n", msg) }}
	cfg := c.runtimeConfig(o)
	cfg.Args = fs.Args()[1:]

	ctx, stop := interruptible(ctx)
	defer stop()
	return c.sessionWith(ctx, o, batchPool(f), func(s *session) int {
		if s.dial.Usage == nil {
			s.dial.Usage = &lualib.UsageCounter{}
		}
		cfg.Modules = s.modules(false)
		if isStorageURL(f.input) {
			in, err := s.storageInput(f.input)
			if err != nil {
				return c.errorf(exitFailure, "batch: --input: %v", err)
			}
			opts.RemoteInput = in
		}
		if isStorageURL(f.output) {
			parts, err := s.storageFolder(f.output)
			if err != nil {
				return c.errorf(exitFailure, "batch: --output: %v", err)
			}
			opts.Parts = parts
		}
		var bar *progressbar.ProgressBar
		if c.isTerminal(c.stderr) {
			opts.Progress = func(p runtime.BatchProgress) {
				if bar == nil { // the first call, before any record, knows the total
					bar = newBatchBar(c.stderr, p.Total)
				}
				if p.Failed > 0 {
					bar.Describe(fmt.Sprintf("batch (%d failed)", p.Failed))
				}
				_ = bar.Set(p.Done)
			}
		}
		before := usageOf(s.dial.Usage)
		sum, err := runtime.RunBatch(ctx, cfg, opts)
		if bar != nil {
			_ = bar.Clear()
		}
		code := batchReport(c.stderr, opts, sum, usageOf(s.dial.Usage).since(before), err)
		if err != nil || !opts.Report {
			return code
		}
		printCheckReport(c.stdout, sum)
		if f.reportJSON != "" {
			if err := writeCheckReport(f.reportJSON, opts.Output, sum, c.secrets.Redact); err != nil {
				fmt.Fprintf(c.stderr, "dialua batch: %s\n", err)
				return exitFailure
			}
		}
		if sum.AnyCheckFailed() {
			return max(code, exitFailure)
		}
		return code
	})
}

// batchPool is the connection pool of a batch: no more connections than workers, and a gate
// that caps the request rate (--max-rps) and makes a 429's Retry-After hold back every worker.
func batchPool(f batchFlags) dial.PoolOptions {
	return dial.PoolOptions{MaxConnsPerHost: f.jobs, Gate: dial.NewRateGate(f.maxRPS)}
}

// tokenUsage is a reading of a usage counter.
type tokenUsage struct{ responses, prompt, completion, total int64 }

// usageOf reads u.
func usageOf(u *lualib.UsageCounter) tokenUsage {
	var t tokenUsage
	t.responses, t.prompt, t.completion, t.total = u.Totals()
	return t
}

// since returns the usage counted between the reading earlier and t.
func (t tokenUsage) since(earlier tokenUsage) tokenUsage {
	return tokenUsage{t.responses - earlier.responses, t.prompt - earlier.prompt,
		t.completion - earlier.completion, t.total - earlier.total}
}

// newBatchBar returns the progress bar of a batch of total records on the terminal w: count,
// rate and time left.
func newBatchBar(w io.Writer, total int) *progressbar.ProgressBar {
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("batch"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("records"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)
}

// batchReport prints the summary of a batch with the tokens it used, or its error, and returns the exit code.
func batchReport(w io.Writer, opts runtime.BatchOptions, sum runtime.BatchSummary,
	tokens tokenUsage, err error) int {
	var se *runtime.ScriptError
	interrupted := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	switch {
	case interrupted:
	case errors.As(err, &se):
		fmt.Fprintf(w, "dialua batch: %s\n", se.Message)
		if se.Traceback != "" {
			fmt.Fprintln(w, se.Traceback)
		}
		return runtime.ExitCode(err)
	case err != nil:
		// The runtime's errors start with "batch: ", which the command's name says already.
		fmt.Fprintf(w, "dialua batch: %s\n", strings.TrimPrefix(err.Error(), "batch: "))
		return exitFailure
	}
	var b strings.Builder
	fmt.Fprintf(&b, "dialua batch: %s: %d %s", opts.Output, sum.Records,
		plural(int64(sum.Records), "record", "records"))
	if opts.Shards > 1 {
		fmt.Fprintf(&b, " in shard %d/%d", opts.Shard, opts.Shards)
	}
	fmt.Fprintf(&b, ": %d succeeded, %d failed", sum.Succeeded, sum.Failed)
	if sum.Skipped > 0 {
		fmt.Fprintf(&b, ", %d done before", sum.Skipped)
		if sum.SkippedFailed > 0 {
			fmt.Fprintf(&b, " (%d of them failed)", sum.SkippedFailed)
		}
	}
	if left := sum.Records - sum.Skipped - sum.Succeeded - sum.Failed; left > 0 {
		fmt.Fprintf(&b, ", %d not done", left)
	}
	secs := sum.Elapsed.Seconds()
	fmt.Fprintf(&b, " in %s", sum.Elapsed.Round(time.Millisecond))
	if done := sum.Succeeded + sum.Failed; done > 0 && secs > 0 {
		fmt.Fprintf(&b, " (%.1f records/s)", float64(done)/secs)
	}
	if tokens.responses > 0 {
		fmt.Fprintf(&b, "; %d tokens (%d prompt + %d completion) in %d %s", tokens.total,
			tokens.prompt, tokens.completion, tokens.responses,
			plural(tokens.responses, "response", "responses"))
	}
	fmt.Fprintln(w, b.String())
	switch {
	case err != nil:
		fmt.Fprintln(w, "dialua batch: interrupted; run the same command again to finish")
		return exitInterrupted
	case sum.AnyFailed():
		return exitFailure
	}
	return exitOK
}

// parseShard reads --shard I/N; an empty value is the whole input (0, 1).
func parseShard(s string) (shard, shards int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	i, n, ok := strings.Cut(s, "/")
	shard, err1 := strconv.Atoi(strings.TrimSpace(i))
	shards, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || shards < 1 || shard < 0 || shard >= shards {
		return 0, 0, fmt.Errorf("--shard %q: want I/N with 0 <= I < N, such as 0/4", s)
	}
	return shard, shards, nil
}
