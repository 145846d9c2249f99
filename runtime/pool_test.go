package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/internal/testutil"
	"github.com/dialua/dialua/runtime"
)

// countingModule counts the states it is opened in and closed with.
func countingModule(opened, closed *atomic.Int32) runtime.Module {
	return runtime.Module{Name: "counter", Open: func(*lua.LState, runtime.ModuleEnv) (runtime.Instance, error) {
		opened.Add(1)
		return runtime.Instance{
			Loader: func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
			Closer: closerFunc(func() error { closed.Add(1); return nil }),
		}, nil
	}}
}

func TestPoolRunsScriptsConcurrentlyOnReusedStates(t *testing.T) {
	t.Parallel()
	var out testutil.SyncBuffer
	var opened, closed atomic.Int32
	pool, err := runtime.NewPool(runtime.Config{Stdout: &out, WorkDir: t.TempDir(),
		Modules: []runtime.Module{countingModule(&opened, &closed)}}, 4)
	require.NoError(t, err)

	const scripts = 16
	var wg sync.WaitGroup
	errs := make([]error, scripts)
	for i := range scripts {
		wg.Go(func() {
			src := fmt.Sprintf(`
				assert(require("counter"))
				assert(ID == nil, "globals of another script leaked")
				ID = %d
				local sum = 0
				for i = 1, 20000 do sum = sum + i end
				print("script", ID, sum)`, i)
			errs[i] = pool.Run(t.Context(), fmt.Sprintf("s%d.lua", i), strings.NewReader(src))
		})
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "script %d", i)
	}
	for i := range scripts {
		assert.Contains(t, out.String(), fmt.Sprintf("script\t%d\t200010000\n", i))
	}
	assert.LessOrEqual(t, opened.Load(), int32(4), "at most one state per slot")
	hits, misses := pool.Cache().Stats()
	assert.Equal(t, int64(scripts), misses+hits)

	require.NoError(t, pool.Close())
	assert.Equal(t, opened.Load(), closed.Load(), "Close closes every state")
	assert.ErrorIs(t, pool.Run(t.Context(), "x", strings.NewReader("")), runtime.ErrClosed)
}

func TestPoolDoKeepsStateBetweenJobs(t *testing.T) {
	t.Parallel()
	pool, err := runtime.NewPool(runtime.Config{WorkDir: t.TempDir()}, 1)
	require.NoError(t, err)
	t.Cleanup(func() { pool.Close() })
	require.NoError(t, pool.Do(t.Context(), func(h *runtime.Host) error {
		return h.RunString(t.Context(), `Count = (Count or 0) + 1`)
	}))
	var count lua.LValue
	require.NoError(t, pool.Do(t.Context(), func(h *runtime.Host) error {
		if err := h.RunString(t.Context(), `Count = Count + 1`); err != nil {
			return err
		}
		count = h.State().GetGlobal("Count")
		return nil
	}))
	assert.Equal(t, lua.LNumber(2), count)
}

func TestPoolWaitsForAFreeHost(t *testing.T) {
	t.Parallel()
	pool, err := runtime.NewPool(runtime.Config{WorkDir: t.TempDir()}, 1)
	require.NoError(t, err)
	t.Cleanup(func() { pool.Close() })

	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- pool.Do(t.Context(), func(*runtime.Host) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err = pool.Do(ctx, func(*runtime.Host) error { return nil })
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	require.NoError(t, <-done)
	require.NoError(t, pool.Do(t.Context(), func(*runtime.Host) error { return nil }))
}

func TestPoolClosesBusyHostsWhenTheirJobsEnd(t *testing.T) {
	t.Parallel()
	var opened, closed atomic.Int32
	pool, err := runtime.NewPool(runtime.Config{WorkDir: t.TempDir(),
		Modules: []runtime.Module{countingModule(&opened, &closed)}}, 2)
	require.NoError(t, err)
	require.NoError(t, pool.Do(t.Context(), func(*runtime.Host) error {
		require.NoError(t, pool.Close())
		assert.Equal(t, int32(0), closed.Load(), "the busy host stays open during its job")
		return nil
	}))
	assert.Equal(t, int32(1), closed.Load())
}

func TestPoolDropsHostWhenJobPanics(t *testing.T) {
	t.Parallel()
	var opened, closed atomic.Int32
	pool, err := runtime.NewPool(runtime.Config{WorkDir: t.TempDir(),
		Modules: []runtime.Module{countingModule(&opened, &closed)}}, 1)
	require.NoError(t, err)
	t.Cleanup(func() { pool.Close() })
	assert.Panics(t, func() {
		_ = pool.Do(t.Context(), func(*runtime.Host) error { panic("job failed") })
	})
	assert.Equal(t, int32(1), closed.Load())
	require.NoError(t, pool.Do(t.Context(), func(*runtime.Host) error { return nil }))
	assert.Equal(t, int32(2), opened.Load(), "a new host replaces the dropped one")
}

func TestNewPoolValidates(t *testing.T) {
	t.Parallel()
	_, err := runtime.NewPool(runtime.Config{}, 0)
	assert.Error(t, err)
	_, err = runtime.NewPool(runtime.Config{WorkDir: "/does/not/exist"}, 1)
	assert.Error(t, err)
}

// TestSharedChunkRunsConcurrently runs one compiled chunk in several states at once: the
// cache hands the same prototype to every host.
func TestSharedChunkRunsConcurrently(t *testing.T) {
	t.Parallel()
	var out testutil.SyncBuffer
	pool, err := runtime.NewPool(runtime.Config{Stdout: &out, WorkDir: t.TempDir()}, 8)
	require.NoError(t, err)
	t.Cleanup(func() { pool.Close() })
	src := `local t = {} for i = 1, 5000 do t[i] = i % 7 end
		local s = 0 for _, v in ipairs(t) do s = s + v end print(s)`
	require.NoError(t, pool.Run(t.Context(), "same.lua", strings.NewReader(src)))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			assert.NoError(t, pool.Run(t.Context(), "same.lua", strings.NewReader(src)))
		})
	}
	wg.Wait()
	hits, misses := pool.Cache().Stats()
	assert.Equal(t, int64(1), misses)
	assert.Equal(t, int64(8), hits)
	assert.Equal(t, strings.Repeat("14997\n", 9), out.String())
}
