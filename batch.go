package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
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
const batchUsage = `Usage: dialua batch SCRIPT --input FILE|DIR --output FILE [flags] [-- ARGS...]

Runs SCRIPT, which returns a function, once per worker, then calls that function with each input
record and appends one JSON line per record to the output: {"key": …, "output": …} or
{"key": …, "error": {"kind": …, "message": …}}. A record is a line of a JSONL file (decoded) or
a file of a folder ({path = …, name = …}); its key is its "id", else its line number or file
name. Rerunning the same command skips the records already done, so an interrupted or killed
run is finished by running it again; a finished run leaves the output in input order. An output
that holds anything but such lines is refused and left as it is. ARGS are the script's arg[1..n].

Exit status: 0 when every record succeeded, 1 when any failed (in the output, this run or an
earlier one) or the run could not start, 2 on a usage or script syntax error, 130 when
interrupted.

Flags:
`

// batchEnv is what the batch command takes from the rest of the CLI.
type batchEnv struct {
	// Flags, when not nil, adds the connection flags (--url, --api-key, …) to the batch's flag
	// set, so that they parse among the batch flags. It must not define --input, --output,
	// --jobs/-j, --ordered, --retry-errors, --shard, --max-rps, --timeout-per-record or
	// --help/-h.
	Flags func(fs *pflag.FlagSet)
	// Session sets up the DIAL connection from the parsed connection flags and the
	// environment (the embedded emulator when no URL is configured), with a connection pool
	// made from pool plus the CLI's own settings (such as a proxy), calls fn with the `dial`
	// module's configuration, releases what it set up when fn returns, and returns fn's exit
	// code; when the set-up fails it reports the failure and returns an exit code of its own.
	// The batch sets the configuration's Usage when it is nil.
	Session func(ctx context.Context, pool dial.PoolOptions, fn func(*lualib.DialConfig) int) int
	// Runtime is the configuration of the workers' hosts (Stdout, Stderr, Sandbox, WorkDir,
	// LuaPath); the batch sets Args and adds the dial module to Modules. Stdout and Stderr must
	// be safe for concurrent use.
	Runtime runtime.Config
	// Terminal reports whether stderr is a terminal: the progress bar is drawn only then.
	Terminal bool
}

// batchFlags are the flags of `dialua batch`.
type batchFlags struct {
	input, output string
	jobs          int
	ordered       bool
	retryErrors   bool
	shard         string
	maxRPS        float64
	recordTimeout time.Duration
}

// batchFlagSet returns the flags of `dialua batch`, stored in f, with the connection flags
// that connection (when not nil) defines.
func batchFlagSet(f *batchFlags, connection func(*pflag.FlagSet)) *pflag.FlagSet {
	fs := pflag.NewFlagSet("dialua batch", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	fs.StringVar(&f.input, "input", "", "read the records from `FILE|DIR`: a JSONL file, or a folder whose files are the records")
	fs.StringVar(&f.output, "output", "", "the JSONL `FILE` results are appended to (created when missing)")
	fs.IntVarP(&f.jobs, "jobs", "j", 4, "run `N` records at a time, each worker with its own Lua state; also the most connections opened")
	boolFlag(fs, &f.ordered, "ordered", "", "write the results in input order")
	boolFlag(fs, &f.retryErrors, "retry-errors", "", "run again the records whose result is an error")
	fs.StringVar(&f.shard, "shard", "", "run only shard `I/N` (0 <= I < N) of the records, by a hash of their keys")
	fs.Float64Var(&f.maxRPS, "max-rps", 0, "send at most `R` requests per second, retries included (default no cap)")
	fs.DurationVar(&f.recordTimeout, "timeout-per-record", 0, "fail a record that runs longer than `DURATION` (default no limit)")
	if connection != nil {
		connection(fs)
	}
	boolFlag(fs, new(bool), "help", "h", "show this help")
	return fs
}

// batchHelp is the text of `dialua batch --help`, with the flags of fs.
func batchHelp(fs *pflag.FlagSet) string { return batchUsage + fs.FlagUsagesWrapped(100) }

// batchCommand runs `dialua batch SCRIPT --input FILE|DIR --output FILE [flags] [-- ARGS…]`
// with args (what follows "batch" on the command line) and returns the exit code: 0 when every
// record of the shard has a successful result, 1 when any has a failed one or the run fails, 2
// on a usage or script syntax error, 130 when ctx is canceled or the process gets SIGINT
// (Ctrl-C), which it handles while the batch runs — the output then holds whole lines only, and
// rerunning the command finishes the job. --help prints the usage on
// stdout; progress (on a terminal only) and the summary go to stderr.
func batchCommand(ctx context.Context, args []string, stdout, stderr io.Writer, env batchEnv) int {
	var f batchFlags
	fs := batchFlagSet(&f, env.Flags)
	usageError := func(msg string) int {
		fmt.Fprintf(stderr, "dialua batch: %s (see dialua batch --help)\n", msg)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if helpRequested(fs) {
		// Not fs's: its defaults are the values of flags given before "batch", a key among them.
		fmt.Fprint(stdout, batchCommandHelp(nil))
		return exitOK
	}
	shard, shards, err := parseShard(f.shard)
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
	case err != nil:
		return usageError(err.Error())
	}
	opts := runtime.BatchOptions{Script: fs.Arg(0), Input: f.input, Output: f.output,
		Workers: f.jobs, Ordered: f.ordered, RetryErrors: f.retryErrors, Shard: shard,
		Shards: shards, RecordTimeout: f.recordTimeout,
		Warn: func(msg string) { fmt.Fprintf(stderr, "dialua batch: warning: %s\n", msg) }}
	cfg := env.Runtime
	cfg.Args = fs.Args()[1:]

	// Ctrl-C stops the run cleanly; the caller's ctx covers the other signals.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	pool := dial.PoolOptions{MaxConnsPerHost: f.jobs, Gate: dial.NewRateGate(f.maxRPS)}
	return env.Session(ctx, pool, func(dc *lualib.DialConfig) int {
		if dc.Usage == nil {
			dc.Usage = &lualib.UsageCounter{}
		}
		opts.Dial = dc
		opts.Redact = dc.Secrets.Redact // error records are masked as stderr is
		var bar *progressbar.ProgressBar
		if env.Terminal {
			opts.Progress = func(p runtime.BatchProgress) {
				if bar == nil { // the first call, before any record, knows the total
					bar = newBatchBar(stderr, p.Total)
				}
				if p.Failed > 0 {
					bar.Describe(fmt.Sprintf("batch (%d failed)", p.Failed))
				}
				_ = bar.Set(p.Done)
			}
		}
		sum, err := runtime.RunBatch(ctx, cfg, opts)
		if bar != nil {
			_ = bar.Clear()
		}
		return batchReport(stderr, opts, sum, err)
	})
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

// batchReport prints the summary of a batch, or its error, and returns the exit code.
func batchReport(w io.Writer, opts runtime.BatchOptions, sum runtime.BatchSummary, err error) int {
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
	if sum.Responses > 0 {
		fmt.Fprintf(&b, "; %d tokens (%d prompt + %d completion) in %d %s", sum.TotalTokens,
			sum.PromptTokens, sum.CompletionTokens, sum.Responses,
			plural(sum.Responses, "response", "responses"))
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
