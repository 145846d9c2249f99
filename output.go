package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/dialua/dialua/dial"
)

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

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// redactor masks the credentials of secrets in what is written to w, as the dial package
// masks them in errors. Each write is masked on its own, which covers the one-line writes of
// error reports, tracebacks and request logs. secrets may grow while the process runs.
type redactor struct {
	w       io.Writer
	secrets *dial.Secrets
}

func (r *redactor) Write(p []byte) (int, error) {
	text := string(p)
	out := p
	if masked := r.secrets.Redact(text); masked != text {
		out = []byte(masked)
	}
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
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
