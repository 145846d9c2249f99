package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/emulator"
)

// serveFlagSet returns the flags of serve and where they are stored.
func serveFlagSet() (fs *pflag.FlagSet, addr, config, data *string) {
	fs = pflag.NewFlagSet("dialua serve", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SetInterspersed(false)
	fs.SortFlags = false
	addr = fs.String("addr", "127.0.0.1:8080",
		"`ADDRESS` to listen on (host:port; port 0 picks a free one)")
	config = fs.String("config", "",
		"emulator configuration `FILE` (JSON); default: the built-in one")
	data = fs.String("data", "", "keep storage in `DIR`, so files survive a restart")
	boolFlag(fs, new(bool), "help", "h", "show this help")
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
	if err != nil {
		return c.errorf(exitFailure, "%v", err)
	}
	defer e.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return c.errorf(exitFailure, "%v", err)
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(c.stdout, "DIAL emulator listening on %s\n", url)
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

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 30 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		srv.Close()
		err = <-done
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return c.errorf(exitFailure, "%v", err)
	}
	return exitOK
}
