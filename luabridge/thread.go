package luabridge

import (
	"context"

	lua "github.com/yuin/gopher-lua"
)

// threadKey marks the context of work that [Offload] runs off the script's goroutine,
// carrying the channel of the calls it sends back there.
type threadKey struct{}

// Offload runs work on a goroutine of its own and, until work returns, serves on the calling
// goroutine (the one running L) the functions that work and the goroutines it starts pass to
// [OnThread]. It is how a Go function of a module does many things at once (requests in
// parallel) while Lua callbacks, such as credential functions, still run on the script's
// goroutine, the only one allowed to touch L. work gets the context of the running script
// (see [Context]), marked for OnThread; it must not touch L itself, and must not return before
// the goroutines it started have stopped calling OnThread.
func Offload(L *lua.LState, work func(ctx context.Context)) {
	calls := make(chan func())
	ctx := context.WithValue(Context(L), threadKey{}, calls)
	done := make(chan struct{})
	go func() {
		defer close(done)
		work(ctx)
	}()
	for {
		select {
		case f := <-calls:
			f()
		case <-done:
			return
		}
	}
}

// OnThread runs f on the script's goroutine and waits for it to return. With a context that
// [Offload] gave, f is sent to the goroutine serving that Offload; when ctx ends before f
// starts, OnThread returns ctx's error without running f. With any other context f runs on
// the calling goroutine, which must then be the script's own.
func OnThread(ctx context.Context, f func()) error {
	calls, ok := ctx.Value(threadKey{}).(chan func())
	if !ok {
		f()
		return nil
	}
	finished := make(chan struct{})
	select {
	case calls <- func() { f(); close(finished) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-finished
	return nil
}
