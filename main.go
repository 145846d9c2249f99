// Command dialua runs Lua scripts against AI DIAL. This build offers `dialua serve`, the
// embedded DIAL Core emulator as a server.
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
	"syscall"

	"github.com/dialua/dialua/emulator"
	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the process exit code: 0 on success, 1 on a
// failure, 2 on a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "serve" {
		fmt.Fprintln(stderr, "usage: dialua serve [--addr 127.0.0.1:8080] [--config FILE] [--data DIR]")
		return 2
	}
	return serve(ctx, args[1:], stdout, stderr)
}

// serve runs the emulator until ctx ends.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("dialua serve", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	config := fs.String("config", "", "emulator configuration (JSON); default: the built-in one")
	data := fs.String("data", "", "keep storage in this directory instead of memory")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg := emulator.DefaultConfig()
	if *config != "" {
		var err error
		if cfg, err = emulator.LoadConfig(*config); err != nil {
			fmt.Fprintln(stderr, "dialua:", err)
			return 2
		}
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	e, err := emulator.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "dialua:", err)
		return 1
	}
	defer e.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "dialua:", err)
		return 1
	}
	fmt.Fprintf(stdout, "DIAL emulator listening on http://%s\n", ln.Addr())
	for _, k := range cfg.Keys {
		fmt.Fprintf(stdout, "  api key %s\n", k.Key)
	}
	srv := &http.Server{Handler: e}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "dialua:", err)
		return 1
	}
	return 0
}
