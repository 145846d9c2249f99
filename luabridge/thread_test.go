package luabridge_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
)

// Goroutines of Offload's work call back into Lua through OnThread; the calls run on the
// script's goroutine (the race detector checks that no other touches L), one at a time.
func TestOffloadServesOnThreadCalls(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	require.NoError(t, L.DoString(`n = 0; function bump(k) n = n + k; return n end`))
	const workers = 16
	var errs [workers]error
	luabridge.Offload(L, func(ctx context.Context) {
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				errs[i] = luabridge.OnThread(ctx, func() {
					errs[i] = L.CallByParam(lua.P{Fn: L.GetGlobal("bump"), NRet: 1, Protect: true},
						lua.LNumber(i+1))
					L.Pop(1)
				})
			})
		}
		wg.Wait()
	})
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, lua.LNumber(workers*(workers+1)/2), L.GetGlobal("n"))
}

// The work's context is the script's: canceling the run cancels the work.
func TestOffloadContextIsTheScripts(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	ctx, cancel := context.WithCancel(t.Context())
	L.SetContext(ctx)
	cancel()
	var err error
	luabridge.Offload(L, func(ctx context.Context) {
		<-ctx.Done()
		err = ctx.Err()
	})
	assert.ErrorIs(t, err, context.Canceled)
}

// Outside Offload, OnThread runs f at once on the calling goroutine.
func TestOnThreadWithoutOffloadRunsInPlace(t *testing.T) {
	ran := false
	require.NoError(t, luabridge.OnThread(t.Context(), func() { ran = true }))
	assert.True(t, ran)
}
