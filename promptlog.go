package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/promptlog"
)

// logOptions say whether a command records its chat completions in the prompt log.
type logOptions struct {
	log, noLog bool
	// source names the command in the log ("run", "ask", "chat"); byDefault logs without
	// --log. Set both with defaultLog.
	source    string
	byDefault bool
}

// logFlags defines --log and --no-log in fs.
func (o *logOptions) logFlags(fs *pflag.FlagSet) {
	boolFlag(fs, &o.log, "log", "",
		"record every chat completion in the prompt log (see dialua logs)")
	boolFlag(fs, &o.noLog, "no-log", "", "record nothing in the prompt log")
}

// defaultLog makes a command log its chat completions under source unless --no-log is given,
// as ask and chat do; call it before the session starts.
func (o *logOptions) defaultLog(source string) {
	o.source, o.byDefault = source, true
}

// logging reports whether the command records its chat completions: --no-log wins, then
// --log, then the command's default.
func (o *logOptions) logging() bool {
	return !o.noLog && (o.log || o.byDefault)
}

// logPath is where the prompt log lives: dialua/log.db in the user's configuration
// directory, next to the REPL history.
func (c *command) logPath() (string, error) {
	dir, err := c.configDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "dialua", "log.db"), nil
}

// openLog opens the prompt log, masking the process's credentials in what it stores.
func (c *command) openLog() (*promptlog.Log, error) {
	path, err := c.logPath()
	if err != nil {
		return nil, fmt.Errorf("prompt log: %w", err)
	}
	return promptlog.Open(path, c.secrets.Redact)
}

// exchangeLog records the chat completions of a session in the prompt log.
type exchangeLog struct {
	log    *promptlog.Log
	source string
	// warn reports the first failure to record on stderr; later ones are dropped.
	warn func(error)
}

// startLog opens the prompt log when the session's options ask for it and returns the log
// (nil when not logging) and a function that closes it. A log that cannot be opened is
// reported on stderr and the session goes on without it.
func (s *session) startLog() (*exchangeLog, func()) {
	if !s.o.logging() {
		return nil, func() {}
	}
	l, err := s.c.openLog()
	if err != nil {
		fmt.Fprintf(s.stderr, "dialua: %v; not logging\n", err)
		return nil, func() {}
	}
	source := s.o.source
	if source == "" {
		source = "run"
	}
	var once sync.Once
	warn := func(err error) {
		once.Do(func() { fmt.Fprintf(s.stderr, "dialua: %v; not logging\n", err) })
	}
	return &exchangeLog{log: l, source: source, warn: warn}, func() { l.Close() }
}

// logExchange records one chat completion; it is the dial.Observer's ChatEnd of every client
// of a logging session, so ask, chat and scripts log through it alike. It records even when
// the call's context is cancelled (an interrupted answer is logged with its error).
func (l *exchangeLog) logExchange(ctx context.Context, info dial.ChatEndInfo) {
	e := promptlog.Entry{Time: time.Now().Add(-info.Elapsed), Source: l.source,
		Deployment: info.Deployment, Request: info.Request, Response: info.Response,
		Duration: info.Elapsed}
	if info.Err != nil {
		e.Error = info.Err.Error()
	}
	if err := l.log.Record(context.WithoutCancel(ctx), e); err != nil {
		l.warn(err)
	}
}

// observer returns the session's observer: --verbose's request log (nil when not verbose)
// with ChatEnd recording in l when l is not nil; nil when it has nothing to do.
func (l *exchangeLog) observer(verbose *dial.Observer) *dial.Observer {
	if l == nil {
		return verbose
	}
	o := &dial.Observer{}
	if verbose != nil {
		*o = *verbose
	}
	o.ChatEnd = l.logExchange
	return o
}
