package runtime_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/internal/testutil"
	"github.com/dialua/dialua/runtime"
)

// TestSharedChunkRunsConcurrently runs one compiled chunk in several states at once, as the
// workers of a batch do: the shared cache hands the same prototype to every host.
func TestSharedChunkRunsConcurrently(t *testing.T) {
	t.Parallel()
	var out testutil.SyncBuffer
	cfg := runtime.Config{Stdout: &out, WorkDir: t.TempDir(), Cache: runtime.NewChunkCache(0)}
	src := `local t = {} for i = 1, 5000 do t[i] = i % 7 end
		local s = 0 for _, v in ipairs(t) do s = s + v end print(s)`
	hosts := make([]*runtime.Host, 9)
	for i := range hosts {
		hosts[i] = newHost(t, cfg)
	}
	require.NoError(t, hosts[0].Run(t.Context(), "same.lua", strings.NewReader(src)))
	var wg sync.WaitGroup
	for _, h := range hosts[1:] {
		wg.Go(func() {
			assert.NoError(t, h.Run(t.Context(), "same.lua", strings.NewReader(src)))
		})
	}
	wg.Wait()
	hits, misses := cfg.Cache.Stats()
	assert.Equal(t, int64(1), misses)
	assert.Equal(t, int64(8), hits)
	assert.Equal(t, strings.Repeat("14997\n", 9), out.String())
}
