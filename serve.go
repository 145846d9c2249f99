package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/emulator"
)

// serveFlagSet returns the flags of serve and where they are stored.
func serveFlagSet() (fs *pflag.FlagSet, addr, config, data *string) {
	fs = newFlagSet("dialua serve", false, func(fs *pflag.FlagSet) {
		addr = fs.String("addr", "127.0.0.1:8080",
			"`ADDRESS` to listen on (host:port; port 0 picks a free one)")
		config = fs.String("config", "",
			"emulator configuration `FILE` (JSON); default: the built-in one")
		data = fs.String("data", "", "keep storage in `DIR`, so files survive a restart")
	})
	return fs, addr, config, data
}

// serve is `dialua serve [--addr 127.0.0.1:8080] [--config FILE] [--data DIR]`: the emulator as
// a server until ctx ends (SIGTERM) or Ctrl-C.
func (c *command) serve(ctx context.Context, args []string) int {
	fs, addr, config, data := serveFlagSet()
	if code, ok := c.parse(fs, args, serveHelp); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Sprintf("serve takes no arguments (got %q)", fs.Arg(0)))
	}
	cfg := emulator.DefaultConfig()
	if *config != "" {
		var err error
		if cfg, err = emulator.LoadConfig(*config); err != nil {
			return c.errorf(exitUsage, "%v", err)
		}
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	e, err := emulator.New(cfg)
	if errors.Is(err, emulator.ErrDataDirInUse) {
		return c.errorf(exitFailure, "%v: stop that server or give another --data", err)
	}
	if err != nil {
		return c.errorf(exitFailure, "%v", err)
	}
	defer e.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return c.errorf(exitFailure, "%v", err)
	}
	url, everywhere := clientURL(ln.Addr())
	where := ""
	if everywhere {
		where = " (on every interface)"
	}
	fmt.Fprintf(c.stdout, "DIAL emulator listening on %s%s\n", url, where)
	for _, k := range cfg.Keys {
		fmt.Fprintf(c.stdout, "  api key       %s\n", k.Key)
	}
	for _, k := range cfg.Tokens {
		fmt.Fprintf(c.stdout, "  bearer token  %s\n", k.Key)
	}
	if len(cfg.Keys) > 0 {
		fmt.Fprintf(c.stdout, "Use it from another shell:\n  export DIAL_URL=%s DIAL_API_KEY=%s\n",
			url, cfg.Keys[0].Key)
	}
	if *data != "" {
		fmt.Fprintf(c.stdout, "Storage in %s\n", *data)
	}

	ctx, stop := interruptible(ctx)
	defer stop()
	var inFlight activeConns
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 30 * time.Second, ConnState: inFlight.track}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		shutdown(srv, &inFlight)
		err = <-done
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return c.errorf(exitFailure, "%v", err)
	}
	return exitOK
}

// shutdownGrace is how long a stopping server lets the requests in flight finish.
const shutdownGrace = 2 * time.Second

// shutdown stops srv: it stops accepting, waits for the requests in flight (at most
// shutdownGrace), then closes every connection, including the open ones that carry no request.
func shutdown(srv *http.Server, inFlight *activeConns) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	go func() {
		select {
		case <-inFlight.drained():
			cancel()
		case <-ctx.Done():
		}
	}()
	_ = srv.Shutdown(ctx)
	srv.Close()
}

// clientURL returns the URL a client uses to reach a server listening on addr, and whether
// addr is every interface (0.0.0.0 or [::]), which a client reaches through the loopback.
func clientURL(addr net.Addr) (url string, everywhere bool) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return "http://" + addr.String(), false
	}
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port)), true
}

// activeConns tracks the connections that are serving a request, as an http.Server's
// ConnState hook.
type activeConns struct {
	mu     sync.Mutex
	active map[net.Conn]bool
	idle   chan struct{} // closed once no request is in flight, after drained was called
}

// track is the http.Server.ConnState hook.
func (a *activeConns) track(c net.Conn, state http.ConnState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.active == nil {
		a.active = map[net.Conn]bool{}
	}
	if state == http.StateActive {
		a.active[c] = true
	} else {
		delete(a.active, c)
	}
	a.notify()
}

// drained returns a channel closed once no connection is serving a request.
func (a *activeConns) drained() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.idle == nil {
		a.idle = make(chan struct{})
	}
	a.notify()
	return a.idle
}

// notify closes idle when it is being waited for and no request is in flight. a.mu is held.
func (a *activeConns) notify() {
	if a.idle == nil || len(a.active) > 0 {
		return
	}
	select {
	case <-a.idle:
	default:
		close(a.idle)
	}
}
