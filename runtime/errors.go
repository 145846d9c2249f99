package runtime

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// ErrorKind tells what kind of failure a [ScriptError] reports.
type ErrorKind int

const (
	// KindRuntime is an error raised while the script ran: error(), a failed assert, a type
	// error, a failure of a Go function, or a run stopped by a limit (a [*LimitError] cause).
	KindRuntime ErrorKind = iota
	// KindSyntax is a script that does not compile. The CLI exits with 2 for it.
	KindSyntax
	// KindCanceled is a run stopped because its context was canceled or its deadline passed.
	KindCanceled
)

// String returns "runtime", "syntax" or "canceled".
func (k ErrorKind) String() string {
	switch k {
	case KindSyntax:
		return "syntax"
	case KindCanceled:
		return "canceled"
	}
	return "runtime"
}

// ScriptError is a script that failed to compile or to run to the end. Host methods return it
// as *ScriptError.
type ScriptError struct {
	// Kind is the kind of failure.
	Kind ErrorKind
	// Script is the chunk name the script was loaded under (the name given to [Host.Run], the
	// path given to [Host.RunFile]); for an error in a required module it is still the main
	// script's name, while Message and Traceback name the module. It is empty for runtime errors
	// of [Host.Do].
	Script string
	// Line is the line of the main script or module where the error was raised, or 0 when
	// unknown (an error raised from Go with no Lua frame on the stack).
	Line int
	// Message is the error as Lua shows it, usually "name:line: text". An error value that is
	// not a string is shown through its __tostring metamethod, or as
	// "(error object is a table value)".
	Message string
	// Traceback is the Lua stack at the point of the error ("stack traceback:\n\t…"), empty
	// for syntax errors.
	Traceback string
	// Err is the *lua.ApiError gopher-lua returned.
	Err error
	// cause is the *parse.Error of a syntax error, or the *LimitError that stopped a run.
	cause error
	// ctxErr is the context's error of a KindCanceled error.
	ctxErr error
}

// Error returns Message, a single line for most errors; print Traceback separately.
func (e *ScriptError) Error() string { return e.Message }

// Unwrap returns the causes: the *lua.ApiError, the *parse.Error of a syntax error, the
// [*LimitError] of a run stopped by a limit and, for KindCanceled, context.Canceled or
// context.DeadlineExceeded. So errors.Is(err, context.DeadlineExceeded) and errors.As(err,
// &parseErr) work.
func (e *ScriptError) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	if e.ctxErr != nil {
		errs = append(errs, e.ctxErr)
	}
	return errs
}

// Incomplete reports whether a syntax error is an unexpected end of the input, which a REPL
// reads as "the chunk continues on the next line".
func (e *ScriptError) Incomplete() bool {
	var pe *parse.Error
	return e.Kind == KindSyntax && errors.As(e.cause, &pe) && pe.Pos.Line == parse.EOF
}

// ExitError is a script that called os.exit. Host methods return it as *ExitError, also for
// os.exit(0) and os.exit(true), so a caller can tell an early exit from the end of the script.
type ExitError struct {
	// Code is the exit code: os.exit(n) gives n, os.exit(true) and os.exit() give 0,
	// os.exit(false) gives 1.
	Code int
}

// Error returns "exit status N".
func (e *ExitError) Error() string { return "exit status " + strconv.Itoa(e.Code) }

// ExitCode maps the error of a run to the exit code of the dialua process: 0 for nil, the code
// of an [*ExitError], 2 for a syntax error and 1 for any other error.
func ExitCode(err error) int {
	var exit *ExitError
	var script *ScriptError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.Code
	case errors.As(err, &script) && script.Kind == KindSyntax:
		return 2
	}
	return 1
}

// syntaxError converts a compile failure of the chunk name with source src.
func syntaxError(name string, src []byte, err error) *ScriptError {
	se := &ScriptError{Kind: KindSyntax, Script: name, Message: name + ": " + err.Error(),
		Err: err}
	var apiErr *lua.ApiError
	var pe *parse.Error
	if errors.As(err, &apiErr) {
		se.Err = apiErr
		if errors.As(apiErr.Cause, &pe) {
			se.cause = pe
		}
	} else if errors.As(err, &pe) {
		se.cause = pe
	}
	if pe == nil {
		return se
	}
	if pe.Pos.Line == parse.EOF {
		se.Line = strings.Count(string(src), "\n") + 1
		se.Message = fmt.Sprintf("%s:%d: %s near <eof>", name, se.Line, pe.Message)
	} else {
		se.Line = pe.Pos.Line
		se.Message = fmt.Sprintf("%s:%d: %s near '%s'", name, se.Line, pe.Message, pe.Token)
	}
	return se
}

// frameLine matches a Lua frame of a traceback: "\tname:12: in …".
var frameLine = regexp.MustCompile(`(?m)^\t(.+?):(\d+): in `)

// messageLine matches the position gopher-lua puts in front of an error message.
var messageLine = regexp.MustCompile(`^(.+?):(\d+): `)

// runtimeError converts the failure of a protected call on L. It runs on L's goroutine, so it
// can call a __tostring metamethod of the error value.
func runtimeError(L *lua.LState, script string, apiErr *lua.ApiError) *ScriptError {
	se := &ScriptError{Kind: KindRuntime, Script: script, Traceback: apiErr.StackTrace,
		Err: apiErr}
	se.Message = describeError(L, apiErr.Object)
	if m := messageLine.FindStringSubmatch(se.Message); m != nil {
		se.Line, _ = strconv.Atoi(m[2])
	} else if m := frameLine.FindStringSubmatch(se.Traceback); m != nil {
		se.Line, _ = strconv.Atoi(m[2])
	}
	return se
}

// describeError shows an error value the way lua.c does.
func describeError(L *lua.LState, v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return formatNumber(float64(v))
	}
	if L.GetMetaField(v, "__tostring") != lua.LNil {
		// The run's context may be done already, so __tostring gets a short one of its own.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if old := L.Context(); old != nil {
			defer L.SetContext(old)
		} else {
			defer L.RemoveContext()
		}
		L.SetContext(ctx)
		err := L.CallByParam(lua.P{Fn: L.NewFunction(func(L *lua.LState) int {
			L.Push(L.ToStringMeta(L.CheckAny(1)))
			return 1
		}), NRet: 1, Protect: true}, v)
		if err == nil {
			s := L.Get(-1)
			L.Pop(1)
			if s, ok := s.(lua.LString); ok {
				return string(s)
			}
		}
	}
	return "(error object is a " + v.Type().String() + " value)"
}
