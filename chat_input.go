package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/chzyer/readline"

	"github.com/dialua/dialua/runtime"
)

// sharedInput is a terminal read by one line editor after another (the chat's, then the Lua
// REPL's of .lua, then the chat's again): one goroutine reads the terminal, each view reads
// what it sends until the view is closed, and what a closed view left unread goes to the next.
// A line editor keeps reading its input in the background, so each needs a view of its own.
type sharedInput struct {
	data chan []byte
	mu   sync.Mutex
	rest []byte // read from the terminal, not yet by any view
}

// newSharedInput starts reading r.
func newSharedInput(r io.Reader) *sharedInput {
	in := &sharedInput{data: make(chan []byte)}
	go func() {
		defer close(in.data)
		for {
			buf := make([]byte, 1024)
			n, err := r.Read(buf)
			if n > 0 {
				in.data <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return in
}

// view returns a reader of the input until it is closed.
func (in *sharedInput) view() *inputView {
	return &inputView{in: in, closed: make(chan struct{})}
}

// inputView is one reader of a sharedInput; Close makes its reads end with io.EOF without
// taking anything from the input.
type inputView struct {
	in     *sharedInput
	closed chan struct{}
	once   sync.Once
}

func (v *inputView) Read(p []byte) (int, error) {
	in := v.in
	in.mu.Lock()
	if len(in.rest) > 0 {
		n := copy(p, in.rest)
		in.rest = in.rest[n:]
		in.mu.Unlock()
		return n, nil
	}
	in.mu.Unlock()
	select {
	case b, ok := <-in.data:
		if !ok {
			return 0, io.EOF
		}
		in.mu.Lock()
		defer in.mu.Unlock()
		select {
		case <-v.closed: // read for the next view
			in.rest = append(in.rest, b...)
			return 0, io.EOF
		default:
		}
		n := copy(p, b)
		in.rest = append(in.rest, b[n:]...)
		return n, nil
	case <-v.closed:
		return 0, io.EOF
	}
}

// Close ends the view's reads.
func (v *inputView) Close() error {
	v.once.Do(func() { close(v.closed) })
	return nil
}

// chatEditor is the line editor of the chat: history in dialua/chat_history in the user's
// configuration directory, no completion. It reads a view of the terminal; suspend gives the
// terminal up (to the Lua REPL of .lua) until resume.
type chatEditor struct {
	s       *session
	in      *sharedInput
	history string
	mu      sync.Mutex // guards rl and view: Close may come from another goroutine
	rl      *readline.Instance
	stdin   io.Closer // the editor's reader of view
	view    *inputView
}

// newChatEditor returns the chat's line editor on the terminal in.
func newChatEditor(s *session, in *sharedInput) (*chatEditor, error) {
	e := &chatEditor{s: s, in: in}
	if dir, err := s.c.configDir(); err == nil && dir != "" {
		e.history = filepath.Join(dir, "dialua", "chat_history")
		if err := createPrivateFile(e.history); err != nil {
			fmt.Fprintf(s.stderr, "dialua: chat history: %v; history is not saved\n", err)
			e.history = ""
		}
	}
	return e, e.resume()
}

// resume opens the editor on a new view of the terminal.
func (e *chatEditor) resume() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	view := e.in.view()
	stdin := readline.NewCancelableStdin(view)
	rl, err := readline.NewEx(&readline.Config{
		HistoryFile:            e.history,
		HistoryLimit:           1000,
		DisableAutoSaveHistory: true,
		Stdin:                  stdin,
		Stdout:                 e.s.c.stdout,
		Stderr:                 e.s.c.stderr,
	})
	if err != nil {
		view.Close()
		return fmt.Errorf("line editor: %w", err)
	}
	e.rl, e.stdin, e.view = rl, stdin, view
	return nil
}

// suspend closes the editor, leaving the terminal to the next reader.
func (e *chatEditor) suspend() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rl != nil {
		// The editor's reading ends first: closing the editor waits for it.
		e.view.Close()
		_ = e.stdin.Close()
		_ = e.rl.Close()
		e.rl, e.stdin, e.view = nil, nil, nil
	}
}

// ReadLine implements runtime.LineReader.
func (e *chatEditor) ReadLine(prompt string) (string, error) {
	e.mu.Lock()
	rl := e.rl
	e.mu.Unlock()
	if rl == nil {
		return "", io.EOF
	}
	rl.SetPrompt(prompt)
	line, err := rl.Readline()
	if err == readline.ErrInterrupt {
		return "", runtime.ErrInterrupt
	}
	return line, err
}

// AddHistory adds a line to the history.
func (e *chatEditor) AddHistory(line string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rl == nil {
		return nil
	}
	return e.rl.SaveHistory(line)
}

// Close closes the editor; the terminal stays open.
func (e *chatEditor) Close() error {
	e.suspend()
	return nil
}

// createPrivateFile creates path and its directory, readable only by the user, when missing.
func createPrivateFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}
