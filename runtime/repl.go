package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// ErrInterrupt is returned by a [LineReader] when the user pressed Ctrl-C at the prompt: the
// REPL drops the statement being typed and prompts again.
var ErrInterrupt = errors.New("runtime: interrupted")

// LineReader is where a REPL reads its input, one line at a time.
type LineReader interface {
	// ReadLine shows prompt (when the input is interactive) and returns the next line without
	// its line ending. It returns io.EOF at the end of the input and ErrInterrupt when the
	// user interrupted the line.
	ReadLine(prompt string) (string, error)
}

// REPLConfig configures [Host.REPL].
type REPLConfig struct {
	// Input supplies the lines. Required.
	Input LineReader
	// Interrupt, when not nil, cancels the running statement each time it delivers a value:
	// the statement stops with "interrupted" and the REPL prompts again. The caller connects
	// it to SIGINT, since a terminal sends Ctrl-C as a signal while a statement runs.
	Interrupt <-chan struct{}
	// History, when not nil, is called with every complete statement the user entered, once
	// it has run, as one line (see [HistoryEntry]); the caller filters and stores it.
	History func(entry string)
	// StopOnError ends the REPL at the first statement that fails to compile or raises an
	// error, and REPL returns that error (a [*ScriptError]) instead of printing it; a statement
	// left unfinished at the end of the input is a syntax error. It suits input that is not a
	// terminal, which lua reads as one script that stops at its first error.
	StopOnError bool
	// ChunkName names the chunks in error messages; empty means "stdin", as in the lua
	// binary.
	ChunkName string
}

// Default prompts, replaced by the globals _PROMPT and _PROMPT2 when they are set.
const (
	Prompt  = "> "
	Prompt2 = ">> "
)

// REPL reads statements from cfg.Input and runs them in the host's state the way the lua
// binary's interactive mode does: a line that is an expression (or a list of them) prints its
// values through [Pretty], separated by tabs; a line starting with "=" is "return" and the rest;
// a chunk that is not complete yet (an open block, string or bracket, a dangling operator)
// continues on the next line with the prompt ">> "; an error prints its message and traceback
// on the host's Stderr and the REPL goes on. The global _ holds the first value of the last
// expression printed and _2, _3, … the others; a value after the first that is a table too big
// for one line prints as a note naming its global.
//
// REPL returns nil at the end of the input, an [*ExitError] when a statement called os.exit,
// the statement's error under cfg.StopOnError, and ctx's error when ctx is done. Each statement runs under a context derived from ctx and
// canceled by cfg.Interrupt.
func (h *Host) REPL(ctx context.Context, cfg REPLConfig) error {
	if h.L == nil {
		return ErrClosed
	}
	r := &repl{h: h, cfg: cfg, name: cfg.ChunkName}
	if r.name == "" {
		r.name = "stdin"
	}
	h.setPath(h.L, ".")
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := cfg.Input.ReadLine(r.prompt())
		switch {
		case errors.Is(err, ErrInterrupt):
			r.lines, r.typed = r.lines[:0], r.typed[:0]
			continue
		case errors.Is(err, io.EOF):
			return r.end()
		case err != nil:
			return err
		}
		if err := r.feed(ctx, line); err != nil {
			return err
		}
	}
}

// repl is the state of one REPL session: the lines of the statement being entered.
type repl struct {
	h     *Host
	cfg   REPLConfig
	name  string
	lines []string
	typed []string // lines as typed, for the history: "=x" rather than "return x"
	extra int      // the number of values the last expression printed: _2 … are set up to it
}

// prompt returns _PROMPT or _PROMPT2 when set, else the default prompt for the current line.
func (r *repl) prompt() string {
	name, def := "_PROMPT", Prompt
	if len(r.lines) > 0 {
		name, def = "_PROMPT2", Prompt2
	}
	switch v := r.h.L.GetGlobal(name).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	return def
}

// feed adds a line to the statement being entered and runs the statement once it is complete.
// It returns an error only when the REPL must end.
func (r *repl) feed(ctx context.Context, line string) error {
	r.typed = append(r.typed, line)
	if len(r.lines) == 0 && strings.HasPrefix(line, "=") {
		line = "return " + line[1:]
	}
	r.lines = append(r.lines, line)
	src := strings.Join(r.lines, "\n")
	fn, asExpr, err := r.compile(src)
	if err != nil {
		var se *ScriptError
		if errors.As(err, &se) && se.Incomplete() {
			return nil // continue on the next line
		}
		r.finish()
		return r.failed(err)
	}
	r.finish()
	return r.run(ctx, fn, asExpr)
}

// end is the end of the input: with StopOnError, an unfinished statement is a syntax error.
func (r *repl) end() error {
	if !r.cfg.StopOnError || len(r.lines) == 0 {
		return nil
	}
	_, _, err := r.compile(strings.Join(r.lines, "\n"))
	r.finish()
	return err
}

// failed handles the failure of a statement: it ends the REPL with err under StopOnError, and
// otherwise prints it and goes on.
func (r *repl) failed(err error) error {
	if r.cfg.StopOnError {
		return err
	}
	r.printError(err)
	return nil
}

// finish ends the statement being entered and records it in the history.
func (r *repl) finish() {
	entry := HistoryEntry(r.typed)
	r.lines, r.typed = r.lines[:0], r.typed[:0]
	if r.cfg.History != nil && strings.TrimSpace(entry) != "" {
		r.cfg.History(entry)
	}
}

// compile compiles src, first as "return src" so that expressions print their values (lua.c's
// addreturn), then as a statement. A chunk is incomplete when either form ends early: "x = {"
// as a statement, "1 +" as an expression.
func (r *repl) compile(src string) (fn *lua.LFunction, asExpr bool, err error) {
	exprSrc := "return " + src
	fn, exprErr := r.h.Load(r.name, []byte(exprSrc))
	if exprErr == nil {
		return fn, true, nil
	}
	fn, err = r.h.Load(r.name, []byte(src))
	if err == nil {
		return fn, false, nil
	}
	var se *ScriptError
	if errors.As(exprErr, &se) && se.Incomplete() && !strings.HasPrefix(src, "return") {
		return nil, false, exprErr
	}
	return nil, false, err
}

// run runs a compiled statement and prints what it returned.
func (r *repl) run(ctx context.Context, fn *lua.LFunction, asExpr bool) error {
	stmtCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	interrupted := make(chan struct{})
	stopWatch := make(chan struct{})
	if r.cfg.Interrupt != nil {
		drain(r.cfg.Interrupt) // a Ctrl-C from before the statement started is not for it
		go func() {
			select {
			case <-r.cfg.Interrupt:
				close(interrupted)
				cancel()
			case <-stopWatch:
			}
		}()
	}
	var out string
	err := r.h.Do(stmtCtx, func(L *lua.LState) error {
		L.Push(fn)
		if err := L.PCall(0, lua.MultRet, nil); err != nil {
			return err
		}
		top := L.GetTop()
		if top == 0 {
			return nil
		}
		out = r.results(L, top)
		return nil
	})
	close(stopWatch)
	if out != "" {
		_, _ = io.WriteString(r.h.stdout, out)
	}
	var exit *ExitError
	var se *ScriptError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		return exit
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &se) && se.Kind == KindCanceled:
		select {
		case <-interrupted:
			// The statement may have left the cursor mid-line, after the terminal's "^C".
			fmt.Fprintln(r.h.stderr, "\ninterrupted!")
			r.h.out.lineEnded()
		default:
			return r.failed(err)
		}
	default:
		return r.failed(err)
	}
	return nil
}

// results formats the top values on L's stack, the results of an expression, and keeps them
// in the globals _ (the first) and _2, _3, … (the others). The first value prints in full;
// a later one that is a table too big for one line prints as a short note naming its global,
// since it is a detail behind the first, as client:ask's response is behind the answer's text.
func (r *repl) results(L *lua.LState, top int) string {
	for i := top + 1; i <= r.extra; i++ {
		L.SetGlobal("_"+strconv.Itoa(i), lua.LNil)
	}
	r.extra = top
	parts := make([]string, top)
	for i := 1; i <= top; i++ {
		v := L.Get(i)
		name := "_"
		if i > 1 {
			name += strconv.Itoa(i)
		}
		L.SetGlobal(name, v)
		parts[i-1] = Pretty(L, v)
		if t, ok := v.(*lua.LTable); ok && i > 1 && strings.Contains(parts[i-1], "\n") {
			parts[i-1] = fmt.Sprintf("<table, %d fields: see %s>", countFields(t), name)
		}
	}
	return strings.Join(parts, "\t") + "\n"
}

// countFields returns the number of keys of t.
func countFields(t *lua.LTable) int {
	n := 0
	t.ForEach(func(lua.LValue, lua.LValue) { n++ })
	return n
}

// drain discards the values waiting in ch.
func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// printError writes a failed statement's message and traceback to the host's Stderr, on a
// line of its own.
func (r *repl) printError(err error) {
	r.h.out.endLine()
	var se *ScriptError
	if errors.As(err, &se) {
		fmt.Fprintln(r.h.stderr, se.Message)
		if se.Traceback != "" {
			fmt.Fprintln(r.h.stderr, se.Traceback)
		}
		return
	}
	fmt.Fprintln(r.h.stderr, err)
}
