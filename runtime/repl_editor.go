package runtime

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chzyer/readline"
)

// EditorConfig configures [NewLineEditor].
type EditorConfig struct {
	// HistoryFile is loaded when the editor starts and receives every entry added with
	// [LineEditor.AddHistory]; it and its directory are created private to the user (0600,
	// 0700) when missing. Empty keeps history in memory only.
	HistoryFile string
	// HistoryLimit is the number of entries kept; zero means 1000.
	HistoryLimit int
	// Stdin, Stdout and Stderr are the terminal; nil means the process's own. Closing the
	// editor does not close Stdin.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// LineEditor is a [LineReader] for a terminal: line editing, history (the arrow keys, Ctrl-R)
// and Tab completion of the host's globals, fields and methods (see [Complete]). Ctrl-C at the
// prompt is [ErrInterrupt] and Ctrl-D on an empty line is io.EOF.
//
// Completion reads the host's state from the editor's goroutine while [LineEditor.ReadLine]
// waits, so a LineEditor must be used by the goroutine that runs the host, and only between
// runs. Close it when done.
type LineEditor struct {
	rl *readline.Instance
	h  *Host
}

// NewLineEditor returns a line editor for the REPL of h.
func NewLineEditor(h *Host, cfg EditorConfig) (*LineEditor, error) {
	if cfg.HistoryFile != "" {
		if err := createPrivate(cfg.HistoryFile); err != nil {
			return nil, fmt.Errorf("runtime: history file: %w", err)
		}
	}
	var stdin io.ReadCloser
	if cfg.Stdin != nil {
		// Closing the editor closes its input: the wrapper lets it stop reading without
		// closing the caller's stream.
		stdin = readline.NewCancelableStdin(cfg.Stdin)
	}
	limit := cfg.HistoryLimit
	if limit == 0 {
		limit = 1000
	}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:                 Prompt,
		HistoryFile:            cfg.HistoryFile,
		HistoryLimit:           limit,
		DisableAutoSaveHistory: true,
		AutoComplete:           completer{h: h},
		Stdin:                  stdin,
		Stdout:                 cfg.Stdout,
		Stderr:                 cfg.Stderr,
	})
	if err != nil {
		return nil, fmt.Errorf("runtime: line editor: %w", err)
	}
	if cfg.HistoryFile != "" {
		// Trimming an overlong history rewrites the file with the default permissions.
		_ = os.Chmod(cfg.HistoryFile, 0o600)
	}
	return &LineEditor{rl: rl, h: h}, nil
}

// createPrivate creates path and its directory, readable only by the user, if missing.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// ReadLine implements [LineReader]. When the host's output stopped mid-line (io.write without
// a line break), the prompt starts on the next line: redrawing it would erase that output.
func (e *LineEditor) ReadLine(prompt string) (string, error) {
	e.h.out.endLine()
	e.rl.SetPrompt(prompt)
	line, err := e.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", ErrInterrupt
	}
	return line, err
}

// AddHistory appends entry to the history and its file. The caller decides what may be kept:
// the editor stores whatever it is given.
func (e *LineEditor) AddHistory(entry string) error {
	return e.rl.SaveHistory(entry)
}

// Close restores the terminal and closes the history file.
func (e *LineEditor) Close() error { return e.rl.Close() }

// completer adapts [Complete] to readline.
type completer struct{ h *Host }

// Do returns the completions of the name before the cursor, as readline wants them: the
// untyped rest of each name and the length of the typed part.
func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	if c.h.L == nil {
		return nil, 0
	}
	names, prefix := Complete(c.h.L, string(line[:pos]))
	out := make([][]rune, len(names))
	for i, n := range names {
		out[i] = []rune(strings.TrimPrefix(n, prefix))
	}
	return out, len([]rune(prefix))
}

// ScannerInput is a [LineReader] over a plain reader, such as a pipe: it shows no prompt and
// never interrupts.
type ScannerInput struct {
	s *bufio.Scanner
}

// NewScannerInput returns a LineReader that reads lines from r.
func NewScannerInput(r io.Reader) *ScannerInput {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 16<<20)
	return &ScannerInput{s: s}
}

// ReadLine implements [LineReader]; the prompt is ignored.
func (in *ScannerInput) ReadLine(string) (string, error) {
	if in.s.Scan() {
		return strings.TrimSuffix(in.s.Text(), "\r"), nil
	}
	if err := in.s.Err(); err != nil {
		return "", err
	}
	return "", io.EOF
}
