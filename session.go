package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dialua/dialua/dial"
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
	// notice guards the one-line notice about the embedded emulator.
	notice sync.Once
}

// session sets up the DIAL side of the command from o and the environment, runs fn, then
// prints the token usage when --usage asked for it and releases everything.
func (c *command) session(ctx context.Context, o *options, fn func(*session) int) int {
	return c.sessionWith(ctx, o, dial.PoolOptions{}, fn)
}

// sessionWith is session with a connection pool made from pool; the session adds the proxy
// settings of the environment.
func (c *command) sessionWith(ctx context.Context, o *options, pool dial.PoolOptions,
	fn func(*session) int) int {
	o.applyEnv(c.getenv)
	c.secrets.Add(o.apiKey, o.bearerToken)
	s := &session{c: c, o: o, stderr: c.stderr}
	def := lualib.ClientConfig{
		BaseURL: o.url, APIKey: o.apiKey, BearerToken: o.bearerToken, APIVersion: o.apiVersion,
		Timeout: time.Duration(o.timeout), MaxRetries: o.maxRetries.value(),
	}
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
		def.BaseURL, def.APIKey, def.BearerToken = s.emulatorURL, emulator.DefaultKey, ""
	}
	if pool.Proxy == nil {
		pool.Proxy = http.ProxyFromEnvironment
	}
	p := dial.NewPool(pool)
	defer p.Close()
	s.dial = &lualib.DialConfig{Pool: p, Default: def, Secrets: c.secrets}
	if o.verbose {
		s.dial.Logger = slog.New(newRequestLog(s.stderr))
	}
	if o.usage {
		s.dial.Usage = &lualib.Usage{}
		defer s.printUsage(ctx)
	}
	if c.isTerminal(c.stderr) {
		s.dial.Progress = progressSink(c.stderr)
	}
	return fn(s)
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
// stops it. The notice saying so is printed on the first request, so runs that never talk to
// DIAL stay quiet.
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
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.announce()
		e.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		srv.Close()
		e.Close()
	}, nil
}

// announce prints, once, that the embedded emulator serves the session.
func (s *session) announce() {
	if s.emulatorURL == "" {
		return
	}
	s.notice.Do(func() {
		fmt.Fprintf(s.stderr, "dialua: no DIAL URL configured; using the embedded emulator at %s\n",
			s.emulatorURL)
	})
}

// silence keeps announce quiet, for a REPL whose banner said where it connects.
func (s *session) silence() { s.notice.Do(func() {}) }

// newHost returns a Lua host for the scripts of the session. A host for the REPL on a
// terminal gets no standard input: the line editor owns the terminal.
func (s *session) newHost(args, interpreter []string, stdin io.Reader,
	repl bool) (*runtime.Host, error) {
	if repl && s.c.isTerminal(s.c.stdin) {
		stdin = nil
	}
	return runtime.New(runtime.Config{
		Stdout:      s.c.stdout,
		Stderr:      s.stderr,
		Stdin:       stdin,
		Args:        args,
		Interpreter: interpreter,
		Sandbox:     s.o.sandbox,
		PackagePath: s.c.getenv("LUA_PATH"),
		MemoryLimit: s.o.memoryLimit(),
		TimeLimit:   time.Duration(s.o.maxTime),
		Modules:     []runtime.Module{runtime.DialModule(s.dial)},
	})
}

// printUsage prints the token usage summed over the session, and its cost when the pricing
// of every deployment used is known (see lualib.Usage.Cost).
func (s *session) printUsage(ctx context.Context) {
	n, prompt, completion, total := s.dial.Usage.Totals()
	cost := ""
	if c, ok := s.dial.Usage.Cost(ctx); ok {
		cost = ", cost " + lualib.FormatCost(c)
	}
	fmt.Fprintf(s.stderr, "dialua: usage: %d %s, %d prompt + %d completion = %d tokens%s\n",
		n, plural(n, "response", "responses"), prompt, completion, total, cost)
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
