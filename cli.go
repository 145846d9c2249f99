package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/dialua/dialua/dial"
)

// Exit codes of the dialua process, besides the code a script passes to os.exit.
const (
	exitOK          = 0
	exitFailure     = 1   // a script or API failure
	exitUsage       = 2   // a usage or syntax error
	exitInterrupted = 130 // Ctrl-C, as a shell reports a process killed by SIGINT
)

// command is one invocation of dialua: its standard streams and the environment it reads.
// Everything the process takes from outside comes through it, so tests run it in-process.
type command struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal reports whether a stream is an interactive terminal.
	isTerminal func(any) bool
	// configDir is the user's configuration directory, for the REPL history and the prompt
	// log.
	configDir func() (string, error)
	// secrets are the credentials the process knows: those of the command line and the
	// environment, and those the dial module learns while scripts run. Everything written to
	// stderr, the batch error records and the REPL history keep them out.
	secrets *dial.Secrets
}

// newCommand returns a command on the given streams. Writes to stdout and stderr are
// serialized, since HTTP logging and progress bars write from other goroutines.
func newCommand(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *command {
	secrets := &dial.Secrets{}
	return &command{
		stdin:      stdin,
		stdout:     &lockedWriter{w: stdout},
		stderr:     &redactor{w: &lockedWriter{w: stderr}, secrets: secrets},
		getenv:     getenv,
		isTerminal: isTerminal,
		configDir:  os.UserConfigDir,
		secrets:    secrets,
	}
}

// main parses args and runs the subcommand they name.
func (c *command) main(ctx context.Context, args []string) int {
	learnCredentials(c.secrets, args, c.getenv)
	o := &options{}
	fs := o.flagSet("dialua", true)
	// dialua -h COMMAND is the help of COMMAND, as dialua COMMAND -h is.
	help := func(c *command) string {
		if rest := fs.Args(); len(rest) > 0 && commandHelp[rest[0]] != nil {
			return commandHelp[rest[0]](c)
		}
		return mainHelp(c)
	}
	if code, ok := c.parse(fs, args, help); !ok {
		return code
	}
	if o.version {
		fmt.Fprintln(c.stdout, versionString())
		return exitOK
	}
	rest := fs.Args()
	if len(rest) > 0 {
		switch rest[0] {
		case "run":
			return c.runCommand(ctx, o, args, rest[1:])
		case "repl":
			return c.replCommand(ctx, o, rest[1:])
		case "serve":
			return c.serve(ctx, rest[1:])
		case "batch":
			return c.batch(ctx, o, rest[1:])
		case "ask":
			return c.ask(ctx, o, rest[1:])
		case "config":
			return c.config(ctx, o, rest[1:])
		case "logs":
			return c.logs(ctx, rest[1:])
		case "chat":
			return c.chatCommand(ctx, o, rest[1:])
		case "help":
			return c.help(rest[1:])
		}
	}
	return c.script(ctx, o, rest, slices.Clone(args[:len(args)-len(rest)]))
}

// runCommand is `dialua run [flags] SCRIPT [ARGS…]`; all is the whole command line and args
// what follows "run".
func (c *command) runCommand(ctx context.Context, o *options, all, args []string) int {
	fs := o.flagSet("dialua run", false)
	if code, ok := c.parse(fs, args, runHelp); !ok {
		return code
	}
	rest := fs.Args()
	interpreter := slices.Clone(all[:len(all)-len(rest)])
	if len(rest) == 0 && len(o.chunks) == 0 && c.isTerminal(c.stdin) {
		return c.usageError(
			"run needs a script: dialua run SCRIPT [ARGS...], or - for standard input")
	}
	return c.script(ctx, o, rest, interpreter)
}

// replCommand is `dialua repl [flags]`.
func (c *command) replCommand(ctx context.Context, o *options, args []string) int {
	fs := o.flagSet("dialua repl", false)
	if code, ok := c.parse(fs, args, replHelp); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Sprintf("repl takes no arguments (got %q); "+
			"to run a script first, use dialua -i SCRIPT", fs.Arg(0)))
	}
	o.interactive = true
	return c.script(ctx, o, nil, []string{"repl"})
}
