package runtime

import (
	"io"
	"sync/atomic"
)

// lineWriter is the host's standard output: it remembers whether the last byte written was a
// line break, so that the REPL's prompt can start on a line of its own after output such as
// io.write("partial").
type lineWriter struct {
	w io.Writer
	// midLine is set when the last byte written was not '\n'. Writes may come from other
	// goroutines (a command's output copied by os/exec), hence the atomic.
	midLine atomic.Bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.midLine.Store(p[n-1] != '\n')
	}
	return n, err
}

// lineEnded records that the cursor is at the start of a line, after output to the same
// terminal that did not pass through l.
func (l *lineWriter) lineEnded() { l.midLine.Store(false) }

// endLine writes a line break when the output stopped mid-line.
func (l *lineWriter) endLine() {
	if l.midLine.Load() {
		_, _ = l.Write([]byte{'\n'})
	}
}
