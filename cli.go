package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/dialua/dialua/dial"
)

// Exit codes of the dialua process, besides the code a script passes to os.exit.
const (
	exitOK          = 0
	exitFailure     = 1   // a script or API failure
	exitUsage       = 2   // a usage or syntax error
	exitInterrupted = 130 // Ctrl-C, as a shell reports a process killed by SIGINT
)

// command is one invocation of dialua: its standard streams and the environment it reads.
// Everything the process takes from outside comes through it, so tests run it in-process.
type command struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal reports whether a stream is an interactive terminal.
	isTerminal func(any) bool
	// configDir is the user's configuration directory, for the REPL history.
	configDir func() (string, error)
	// secrets are the credentials the process knows: those of the command line and the
	// environment, and those the dial module learns while scripts run. Everything written to
	// stderr, the batch error records and the REPL history keep them out.
	secrets *dial.Secrets
}

// newCommand returns a command on the given streams. Writes to stdout and stderr are
// serialized, since HTTP logging and progress bars write from other goroutines.
func newCommand(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *command {
	secrets := &dial.Secrets{}
	return &command{
		stdin:      stdin,
		stdout:     &lockedWriter{w: stdout},
		stderr:     &redactor{w: &lockedWriter{w: stderr}, secrets: secrets},
		getenv:     getenv,
		isTerminal: isTerminal,
		configDir:  os.UserConfigDir,
		secrets:    secrets,
	}
}

// isTerminal reports whether v is an *os.File open on a terminal.
func isTerminal(v any) bool {
	if r, ok := v.(*redactor); ok {
		v = r.w
	}
	if lw, ok := v.(*lockedWriter); ok {
		v = lw.w
	}
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// main parses args and runs the subcommand they name.
func (c *command) main(ctx context.Context, args []string) int {
	learnCredentials(c.secrets, args, c.getenv)
	o := &options{}
	fs := c.flagSet("dialua", o, true)
	// dialua -h COMMAND is the help of COMMAND, as dialua COMMAND -h is.
	help := func(c *command) string {
		if rest := fs.Args(); len(rest) > 0 && commandHelp[rest[0]] != nil {
			return commandHelp[rest[0]](c)
		}
		return mainHelp(c)
	}
	if code, ok := c.parse(fs, args, help); !ok {
		return code
	}
	if o.version {
		fmt.Fprintln(c.stdout, versionString())
		return exitOK
	}
	rest := fs.Args()
	if len(rest) > 0 {
		switch rest[0] {
		case "run":
			return c.runCommand(ctx, o, args, rest[1:])
		case "repl":
			return c.replCommand(ctx, o, rest[1:])
		case "serve":
			return c.serve(ctx, rest[1:])
		case "batch":
			return c.batch(ctx, o, rest[1:])
		case "help":
			return c.help(rest[1:])
		}
	}
	return c.script(ctx, o, rest, slices.Clone(args[:len(args)-len(rest)]))
}

// runCommand is `dialua run [flags] SCRIPT [ARGS…]`; all is the whole command line and args
// what follows "run".
func (c *command) runCommand(ctx context.Context, o *options, all, args []string) int {
	fs := c.flagSet("dialua run", o, false)
	if code, ok := c.parse(fs, args, runHelp); !ok {
		return code
	}
	rest := fs.Args()
	interpreter := slices.Clone(all[:len(all)-len(rest)])
	if len(rest) == 0 && len(o.chunks) == 0 && c.isTerminal(c.stdin) {
		return c.usageError(
			"run needs a script: dialua run SCRIPT [ARGS...], or - for standard input")
	}
	return c.script(ctx, o, rest, interpreter)
}

// replCommand is `dialua repl [flags]`.
func (c *command) replCommand(ctx context.Context, o *options, args []string) int {
	fs := c.flagSet("dialua repl", o, false)
	if code, ok := c.parse(fs, args, replHelp); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Sprintf("repl takes no arguments (got %q); "+
			"to run a script first, use dialua -i SCRIPT", fs.Arg(0)))
	}
	o.interactive = true
	return c.script(ctx, o, nil, []string{"repl"})
}

// usageError reports a usage error as one line and returns its exit code.
func (c *command) usageError(msg string) int {
	fmt.Fprintf(c.stderr, "dialua: %s (see dialua --help)\n", msg)
	return exitUsage
}

// errorf reports a failure as one line and returns code.
func (c *command) errorf(code int, format string, args ...any) int {
	fmt.Fprintf(c.stderr, "dialua: "+format+"\n", args...)
	return code
}

// options are the flags of run, repl and the default command, after the environment's
// defaults are applied (see [options.applyEnv]).
type options struct {
	chunks      chunkList // -e and -l, in command-line order
	interactive bool
	url         string
	apiKey      string
	bearerToken string
	apiVersion  string
	timeout     secondsFlag
	maxRetries  retriesFlag
	sandbox     bool
	maxMemory   sizeFlag
	maxTime     secondsFlag
	verbose     bool
	usage       bool
	quiet       bool
	version     bool
	// banner is set when the REPL's banner will say which DIAL server the session uses, which
	// makes the notice about the embedded emulator redundant.
	banner bool
}

// flagSet returns the flags of the default command (top, with --version), run and repl, all
// writing into o, so flags given before and after the subcommand name add up.
func (c *command) flagSet(name string, o *options, top bool) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors are reported by usageError, help by the caller
	fs.Usage = func() {}
	fs.SetInterspersed(false)
	fs.SortFlags = false
	fs.VarP(o.chunks.kind("e"), "execute", "e", "run Lua `CODE` before the script (repeatable)")
	fs.VarP(o.chunks.kind("l"), "require", "l",
		"require module `NAME` as the global NAME before the script (repeatable)")
	boolFlag(fs, &o.interactive, "interactive", "i", "enter the REPL after running the script")
	o.connectionFlags(fs)
	boolFlag(fs, &o.sandbox, "sandbox", "",
		"no os.execute, io.popen or os.getenv; files in the working directory only")
	o.limitFlags(fs)
	if top {
		boolFlag(fs, &o.version, "version", "", "print the version and exit")
	}
	boolFlag(fs, new(bool), "help", "h", "show this help")
	return fs
}

// connectionFlags defines the flags of the DIAL connection and its logging in fs: those of
// run and repl that batch takes too.
func (o *options) connectionFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.url, "url", o.url,
		"DIAL server `URL` (env DIAL_URL); without one, the embedded emulator")
	fs.StringVar(&o.apiKey, "api-key", o.apiKey, "DIAL API `KEY` (env DIAL_API_KEY)")
	fs.StringVar(&o.bearerToken, "bearer-token", o.bearerToken,
		"DIAL bearer `TOKEN`, a JWT (env DIAL_BEARER_TOKEN)")
	fs.StringVar(&o.apiVersion, "api-version", o.apiVersion,
		"`VERSION` of the chat API (env DIAL_API_VERSION)")
	fs.Var(&o.timeout, "timeout",
		"connect timeout and longest wait for a chunk, a `DURATION`: 30s, 2m, 90 (default 10m)")
	fs.Var(&o.maxRetries, "max-retries",
		"retry a failed request (429, 5xx, connection error) up to `N` times (default 2)")
	boolFlag(fs, &o.verbose, "verbose", "",
		"log each HTTP request, retry wait and stream end on stderr (never a credential)")
	boolFlag(fs, &o.usage, "usage", "", "print the token usage of the run on stderr at exit")
	boolFlag(fs, &o.quiet, "quiet", "q", "no notice on stderr that the embedded emulator is used")
}

// limitFlags defines the resource limits of the scripts in fs.
func (o *options) limitFlags(fs *pflag.FlagSet) {
	fs.Var(&o.maxMemory, "max-memory",
		"stop a script when the process's heap passes `SIZE`: 512M, 2G; 0 for no limit "+
			"(default 1G with --sandbox, else none)")
	fs.Var(&o.maxTime, "max-time",
		"stop a script that runs longer than `DURATION`: 30s, 2m, 90 (default none)")
}

// memoryLimit returns the runtime's memory limit for --max-memory: 0 (the runtime's default)
// when the flag is not given, -1 (none) for --max-memory 0.
func (o *options) memoryLimit() int64 {
	switch {
	case !o.maxMemory.set:
		return 0
	case o.maxMemory.n == 0:
		return -1
	}
	return o.maxMemory.n
}

// applyEnv fills the connection settings no flag gave from the environment.
func (o *options) applyEnv(getenv func(string) string) {
	for _, v := range []struct {
		dst *string
		env string
	}{
		{&o.url, "DIAL_URL"}, {&o.apiKey, "DIAL_API_KEY"}, {&o.bearerToken, "DIAL_BEARER_TOKEN"},
		{&o.apiVersion, "DIAL_API_VERSION"},
	} {
		if *v.dst == "" {
			*v.dst = strings.TrimSpace(getenv(v.env))
		}
	}
}
