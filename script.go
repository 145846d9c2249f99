package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dialua/dialua/runtime"
)

// stdinName is the chunk name of a script read from standard input, as in the lua binary.
const stdinName = "stdin"

// script runs the default command: the -e and -l chunks, then the script rest[0] with the
// arguments rest[1:] ("-" or nothing with a non-terminal stdin: the script on standard input),
// then the REPL when -i is given or when there is nothing else to do on a terminal.
// interpreter is the command line before the script, for arg's negative indices, which leave
// out the credential flags and their values.
func (c *command) script(ctx context.Context, o *options, rest, interpreter []string) int {
	_, interpreter = splitCredentials(interpreter)
	var name string
	var src []byte
	var args []string
	stdin := c.stdin
	switch {
	case len(rest) > 0:
		name, args = rest[0], rest[1:]
	case len(o.chunks) == 0 && !o.interactive && !c.isTerminal(c.stdin):
		name = "-"
	}
	switch name {
	case "":
	case "-":
		data, err := io.ReadAll(c.stdin)
		if err != nil {
			return c.errorf(exitFailure, "reading the script from standard input: %v", err)
		}
		name, src, stdin = stdinName, data, strings.NewReader("")
	default:
		data, err := os.ReadFile(name)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return c.errorf(exitUsage, "cannot open %s: %v", name, err)
		}
		src = data
	}
	repl := o.interactive || (name == "" && len(o.chunks) == 0)
	// A REPL that starts at once on a terminal names the DIAL server in its banner.
	o.banner = repl && name == "" && len(o.chunks) == 0 && c.isTerminal(c.stdin)

	return c.session(ctx, o, func(s *session) int {
		h, err := s.newHost(args, append([]string{"dialua"}, interpreter...), stdin, repl)
		if err != nil {
			return c.errorf(exitFailure, "%v", err)
		}
		defer h.Close()
		if code := s.runChunks(ctx, h, name, src); code != exitOK || !repl {
			return code
		}
		return s.repl(ctx, h)
	})
}

// runChunks runs the -e and -l chunks and then the script src named name, if any, stopping at
// the first failure. Ctrl-C interrupts them.
func (s *session) runChunks(ctx context.Context, h *runtime.Host, name string, src []byte) int {
	ctx, stop := interruptible(ctx)
	defer stop()
	for _, ch := range s.o.chunks {
		code := ch.text
		if ch.kind == "l" {
			code = fmt.Sprintf("require(%q)", ch.text)
			if isIdentifier(ch.text) {
				code = fmt.Sprintf("%s = require(%q)", ch.text, ch.text)
			}
		}
		if err := h.Run(ctx, "(command line)", strings.NewReader(code)); err != nil {
			return s.report(err)
		}
	}
	if name == "" {
		return exitOK
	}
	return s.report(h.Run(ctx, name, bytes.NewReader(stripShebang(src))))
}

// stripShebang blanks a first line starting with "#" ("#!/usr/bin/env dialua"), as the lua
// binary does, keeping its line break so line numbers stay right.
func stripShebang(src []byte) []byte {
	if !bytes.HasPrefix(src, []byte("#")) {
		return src
	}
	if i := bytes.IndexByte(src, '\n'); i >= 0 {
		return src[i:]
	}
	return nil
}

// report writes the failure of a run to stderr, as one line plus the Lua traceback when there
// is one, and returns the exit code for it.
func (s *session) report(err error) int {
	var exit *runtime.ExitError
	var se *runtime.ScriptError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		return exit.Code
	case errors.As(err, &se) && se.Kind == runtime.KindCanceled:
		fmt.Fprintln(s.stderr, "dialua: interrupted")
		return exitInterrupted
	case errors.As(err, &se):
		msg := "dialua: " + se.Message
		if se.Traceback != "" {
			msg += "\n" + se.Traceback
		}
		fmt.Fprintln(s.stderr, msg)
		return runtime.ExitCode(err)
	}
	fmt.Fprintln(s.stderr, "dialua:", err)
	return exitFailure
}

// isIdentifier reports whether s is a Lua name.
func isIdentifier(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}
