package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// The signal policy of dialua, all of it here:
//
//   - SIGTERM and SIGHUP (a closed terminal) end the command: they cancel the context of the
//     whole process (processContext), so a script or batch stops as when interrupted, the
//     REPL exits, and serve shuts down.
//   - SIGINT (Ctrl-C) interrupts what runs in the foreground: the script and its -e chunks, a
//     batch (which leaves an output a rerun finishes) or serve (interruptible). In the REPL it
//     interrupts the running statement, never the REPL (interrupts); at the prompt the line
//     editor reads it as a key.

// processContext returns the context of the whole process, canceled by SIGTERM or SIGHUP, and
// the function that stops watching them.
func processContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP)
}

// interruptible returns ctx also canceled by Ctrl-C, and the function that stops watching it.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt)
}

// interrupts returns a channel that receives a value at each Ctrl-C (one waits at most, so
// presses while a statement is being interrupted count once), and the function that stops
// watching.
func interrupts() (<-chan struct{}, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	interrupt := make(chan struct{}, 1)
	go func() {
		for range sig {
			select {
			case interrupt <- struct{}{}:
			default:
			}
		}
	}()
	return interrupt, func() {
		signal.Stop(sig)
		close(sig)
	}
}
