package main

import (
	"slices"
	"time"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/dial"
)

// options are the flags of run, repl and the default command, after the environment's and
// the configuration file's defaults are applied (see [command.resolve]).
type options struct {
	chunks      chunkList // -e and -l, in command-line order
	interactive bool
	url         string
	apiKey      string
	bearerToken string
	apiVersion  string
	profile     string // --profile: the configuration file's profile
	deployment  string // the deployment of ask and chat (their -m)
	timeout     secondsFlag
	maxRetries  retriesFlag
	sandbox     bool
	maxMemory   sizeFlag
	maxTime     secondsFlag
	verbose     bool
	usage       bool
	cache       *dial.Cache // batch's --cache, given to every client of the session
	quiet       bool
	version     bool
	// banner is set when the REPL's banner will say which DIAL server the session uses, which
	// makes the notice about the embedded emulator redundant.
	banner bool
	// resolved records where each setting came from, once [command.resolve] has run.
	resolved *resolution
	logOptions
}

// flagSet returns the flags of the default command (top, with --version), run and repl, all
// writing into o, so flags given before and after the subcommand name add up.
func (o *options) flagSet(name string, top bool) *pflag.FlagSet {
	return newFlagSet(name, false, func(fs *pflag.FlagSet) {
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
	})
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
	fs.StringVar(&o.profile, "profile", o.profile,
		"use profile `NAME` of the configuration file (env DIAL_PROFILE)")
	fs.Var(&o.timeout, "timeout",
		"connect timeout and longest wait for a chunk, a `DURATION`: 30s, 2m, 90 (default 10m)")
	fs.Var(&o.maxRetries, "max-retries",
		"retry a failed request (429, 5xx, connection error) up to `N` times (default 2)")
	boolFlag(fs, &o.verbose, "verbose", "",
		"log each HTTP request, retry wait and stream end on stderr (never a credential)")
	boolFlag(fs, &o.usage, "usage", "", "print the token usage of the run on stderr at exit")
	boolFlag(fs, &o.quiet, "quiet", "q", "no notice on stderr that the embedded emulator is used")
	o.logFlags(fs)
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

// clientOptions returns base followed by the client options of the connection flags:
// --api-version, --timeout and --max-retries (the credentials are the caller's).
func (o *options) clientOptions(base []dial.Option) []dial.Option {
	opts := slices.Clone(base)
	if o.apiVersion != "" {
		opts = append(opts, dial.WithAPIVersion(o.apiVersion))
	}
	if o.timeout > 0 {
		opts = append(opts, dial.WithTimeout(time.Duration(o.timeout)))
	}
	if o.maxRetries.set {
		opts = append(opts, dial.WithMaxRetries(o.maxRetries.n))
	}
	return opts
}
