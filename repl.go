package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/runtime"
)

// replPrelude makes the modules globals in the REPL, where typing require every time is a
// chore; scripts still require them.
const replPrelude = `dial = require("dial"); json = require("json")`

// repl runs the REPL on h: with line editing, history and completion when standard input is a
// terminal, and as a plain read-eval-print loop over a pipe.
func (s *session) repl(ctx context.Context, h *runtime.Host) int {
	c := s.c
	if err := h.Run(ctx, "(repl)", strings.NewReader(replPrelude)); err != nil {
		return s.report(err)
	}
	cfg := runtime.REPLConfig{}
	if !c.isTerminal(c.stdin) {
		cfg.Input = runtime.NewScannerInput(c.stdin)
		cfg.StopOnError = true
		return s.replExit(ctx, h.REPL(ctx, cfg))
	}

	history := s.historyFile()
	editor, err := runtime.NewLineEditor(h, runtime.EditorConfig{
		HistoryFile: history, Stdin: c.stdin, Stdout: c.stdout, Stderr: c.stderr})
	if err != nil && history != "" {
		fmt.Fprintf(s.stderr, "dialua: %v; history is not saved\n", err)
		editor, err = runtime.NewLineEditor(h, runtime.EditorConfig{
			Stdin: c.stdin, Stdout: c.stdout, Stderr: c.stderr})
	}
	if err != nil {
		return c.errorf(exitFailure, "%v", err)
	}
	defer editor.Close()
	// SIGTERM or a closed terminal (SIGHUP) end the REPL even while it waits for a line.
	defer context.AfterFunc(ctx, func() { _ = editor.Close() })()
	fmt.Fprintf(c.stdout, "%s\n%s\n%s\n", versionString(), s.connectionLine(),
		"dial and json are loaded; Tab completes, Ctrl-C interrupts, Ctrl-D exits.")

	// The terminal sends Ctrl-C as SIGINT while a statement runs (the line editor reads it as
	// a key at the prompt): it interrupts the statement, never the REPL.
	interrupt, stop := interrupts()
	defer stop()

	cfg.Input = editor
	cfg.Interrupt = interrupt
	cfg.History = func(entry string) {
		if keepInHistory(entry, c.secrets) {
			_ = editor.AddHistory(entry)
		}
	}
	return s.replExit(ctx, h.REPL(ctx, cfg))
}

// replExit returns the exit code of a REPL that ended with err, or was ended by ctx.
func (s *session) replExit(ctx context.Context, err error) int {
	var exit *runtime.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.Code
	case ctx.Err() != nil:
		return exitInterrupted
	case err == nil:
		return exitOK
	}
	return s.report(err)
}

// historyFile returns the REPL's history file, dialua/history in the user's configuration
// directory, or "" when there is none.
func (s *session) historyFile() string {
	dir, err := s.c.configDir()
	if err != nil || dir == "" {
		return ""
	}
	return filepath.Join(dir, "dialua", "history")
}

// credentialAssignment matches a line that sets a credential: api_key = …, bearer_token = …,
// ["Api-Key"] = …, Authorization = ….
var credentialAssignment = regexp.MustCompile(
	`(?i)(api[_-]?key|bearer[_-]?token|authorization|password|secret)["'\]\s]*[=:]`)

// keepInHistory reports whether a REPL entry may be written to the history file: not when it
// contains a credential of secrets or assigns one.
func keepInHistory(entry string, secrets *dial.Secrets) bool {
	return secrets.Redact(entry) == entry && !credentialAssignment.MatchString(entry)
}
