package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/dialhost"
	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/lualib"
	"github.com/dialua/dialua/runtime"
)

// session is what the scripts and the REPL of one command share: the options, the dial
// module's configuration with its one connection pool, and the embedded emulator when no DIAL
// URL is configured.
type session struct {
	c      *command
	o      *options
	stderr io.Writer // c.stderr, which masks the credentials
	dial   *lualib.DialConfig
	// emulatorURL is the address of the embedded emulator, or "" when a URL is configured.
	emulatorURL string
}

// session sets up the DIAL side of the command from o, the environment and the configuration
// file, runs fn, then prints the token usage when --usage asked for it and releases everything.
func (c *command) session(ctx context.Context, o *options, fn func(*session) int) int {
	return c.sessionWith(ctx, o, dial.PoolOptions{}, fn)
}

// sessionWith is session with a connection pool made from pool; the session adds the proxy
// settings of the environment.
func (c *command) sessionWith(ctx context.Context, o *options, pool dial.PoolOptions,
	fn func(*session) int) int {
	if err := c.resolve(ctx, o); err != nil {
		return c.errorf(exitUsage, "%v", err)
	}
	c.secrets.Add(o.apiKey, o.bearerToken)
	s := &session{c: c, o: o, stderr: c.stderr}
	baseURL, apiKey, bearerToken := o.url, o.apiKey, o.bearerToken
	if o.url != "" {
		if err := checkURL(o.url); err != nil {
			return c.usageError(err.Error())
		}
	} else {
		stop, err := s.startEmulator()
		if err != nil {
			return c.errorf(exitFailure, "starting the embedded emulator: %v", err)
		}
		defer stop()
		baseURL, apiKey, bearerToken = s.emulatorURL, emulator.DefaultKey, ""
		if !o.quiet && !o.banner {
			// First, on a line of its own: output that follows cannot split it.
			fmt.Fprintf(s.stderr, "dialua: no DIAL URL configured; using the embedded emulator at %s\n",
				s.emulatorURL)
		}
	}
	if pool.Proxy == nil {
		pool.Proxy = http.ProxyFromEnvironment
	}
	p := dial.NewPool(pool)
	defer p.Close()
	// Every client of the session masks the credentials it knows (one set, which stderr
	// masks too), logs with --verbose, and records its chat completions in the prompt log
	// when the command logs.
	var shared []dial.Option
	var verbose *dial.Observer
	if o.verbose {
		verbose = requestLog(s.stderr)
	}
	exchanges, closeLog := s.startLog()
	defer closeLog()
	if obs := exchanges.observer(verbose); obs != nil {
		shared = append(shared, dial.WithObserver(obs))
	}
	if o.cache != nil {
		shared = append(shared, dial.WithCache(o.cache))
	}
	s.dial = &lualib.DialConfig{Pool: p, ClientOptions: shared, Secrets: c.secrets,
		Default: defaultClient(p, baseURL, apiKey, bearerToken,
			o.clientOptions(append(slices.Clip(shared), dial.WithSecrets(c.secrets))))}
	if o.usage {
		s.dial.Usage = &lualib.UsageCounter{}
		if o.cache != nil {
			s.dial.Usage.CountCache(o.cache)
		}
		defer s.printUsage(ctx)
	}
	if c.isTerminal(c.stderr) {
		s.dial.Progress = progressSink(c.stderr)
	}
	return fn(s)
}

// defaultClient returns the maker of dial.default()'s client: baseURL with the credentials
// and opts, in pool.
func defaultClient(pool *dial.Pool, baseURL, apiKey, bearerToken string,
	opts []dial.Option) func() (*dial.Client, error) {
	if apiKey != "" {
		opts = append(opts, dial.WithAPIKey(apiKey))
	}
	if bearerToken != "" {
		opts = append(opts, dial.WithBearerToken(bearerToken))
	}
	return func() (*dial.Client, error) {
		if apiKey == "" && bearerToken == "" {
			return nil, errors.New("no DIAL credentials are configured (set --api-key or " +
				"DIAL_API_KEY, or --bearer-token or DIAL_BEARER_TOKEN)")
		}
		return pool.NewClient(baseURL, opts...)
	}
}

// checkURL rejects a --url or DIAL_URL that cannot be a DIAL server's root.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("DIAL URL %q: %v", raw, errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("DIAL URL %q: must start with https:// or http://", raw)
	case u.Host == "":
		return fmt.Errorf("DIAL URL %q: no host", raw)
	case u.User != nil:
		return errors.New("DIAL URL: credentials in the URL are not supported; " +
			"use --api-key or --bearer-token")
	}
	var uerr *dial.URLError
	if errors.As(dial.CheckBaseURL(raw), &uerr) {
		return fmt.Errorf("DIAL URL %q: %s", raw, uerr.Reason)
	}
	return nil
}

// startEmulator serves the embedded emulator on a loopback port and returns a function that
// stops it.
func (s *session) startEmulator() (stop func(), err error) {
	e, err := emulator.New(emulator.DefaultConfig())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.Close()
		return nil, err
	}
	s.emulatorURL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: e}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		srv.Close()
		e.Close()
	}, nil
}

// newHost returns a Lua host for the scripts of the session. A host for the REPL on a
// terminal gets no standard input: the line editor owns the terminal.
func (s *session) newHost(args, interpreter []string, stdin io.Reader,
	repl bool) (*runtime.Host, error) {
	if repl && s.c.isTerminal(s.c.stdin) {
		stdin = nil
	}
	cfg := s.c.runtimeConfig(s.o)
	cfg.Stdin, cfg.Args, cfg.Interpreter = stdin, args, interpreter
	// Each REPL statement is a run: a stream opened in one is read in the next ones.
	cfg.Modules = s.modules(repl)
	return runtime.New(cfg)
}

// modules is the one list of the Lua modules the session's hosts load besides the built-in
// json; keepStreams keeps the streams a run opens for the next runs, as the REPL needs.
func (s *session) modules(keepStreams bool) []runtime.Module {
	dialCfg := *s.dial
	dialCfg.KeepStreams = keepStreams
	return []runtime.Module{dialhost.Module(&dialCfg)}
}

// runtimeConfig is the configuration of the command's Lua hosts that o and the environment
// give: output, profile, LUA_PATH and limits. Stderr masks the credentials.
func (c *command) runtimeConfig(o *options) runtime.Config {
	return runtime.Config{
		Stdout:      c.stdout,
		Stderr:      c.stderr,
		Sandbox:     o.sandbox,
		PackagePath: c.getenv("LUA_PATH"),
		MemoryLimit: o.memoryLimit(),
		TimeLimit:   time.Duration(o.maxTime),
	}
}

// printUsage prints the token usage summed over the session, how many responses came from a
// cache when one was used (batch's --cache or a script's), and the cost when the pricing of
// every deployment used is known (see lualib.UsageCounter.Cost).
func (s *session) printUsage(ctx context.Context) {
	n, prompt, completion, total := s.dial.Usage.Totals()
	cached := ""
	if hits, ok := s.dial.Usage.CacheHits(); ok {
		cached = fmt.Sprintf(", %d from cache", hits)
	}
	cost := ""
	if c, ok := s.dial.Usage.Cost(ctx); ok {
		cost = ", cost " + lualib.FormatCost(c)
	}
	fmt.Fprintf(s.stderr, "dialua: usage: %d %s%s, %d prompt + %d completion = %d tokens%s\n",
		n, plural(n, "response", "responses"), cached, prompt, completion, total, cost)
}

// plural returns one or many by n.
func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// connectionLine describes where dial.default() connects, for the REPL's banner.
func (s *session) connectionLine() string {
	if s.emulatorURL != "" {
		return "DIAL: the embedded emulator at " + s.emulatorURL + " (no DIAL URL configured)"
	}
	return "DIAL: " + strings.TrimRight(s.o.url, "/")
}
