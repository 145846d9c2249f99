package luabridge

import (
	"context"

	lua "github.com/yuin/gopher-lua"
)

// CheckSink receives the checks a module records for the unit of work a host is running,
// such as one record of a batch: a check's name, whether it passed, and an optional detail.
type CheckSink func(name string, ok bool, detail string)

// checkSinkKey marks the context of a run that collects checks.
type checkSinkKey struct{}

// WithCheckSink returns ctx carrying sink: a host that sets the returned context on the LState
// (see [Context]) for a unit of work collects the checks recorded during it.
func WithCheckSink(ctx context.Context, sink CheckSink) context.Context {
	return context.WithValue(ctx, checkSinkKey{}, sink)
}

// CheckSinkOf returns the sink of the work L is running, or nil when the host collects no
// checks for it (a plain script, the REPL, a batch script while it loads).
func CheckSinkOf(L *lua.LState) CheckSink {
	sink, _ := Context(L).Value(checkSinkKey{}).(CheckSink)
	return sink
}
