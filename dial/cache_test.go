package dial

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCache is a cache in a fresh directory whose clock the test sets.
func testCache(t *testing.T, ttl time.Duration) (*Cache, *time.Time) {
	t.Helper()
	cache, err := NewCache(filepath.Join(t.TempDir(), "responses"), ttl)
	require.NoError(t, err)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cache.now = func() time.Time { return now }
	return cache, &now
}

func TestCacheHitAndMiss(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	cache, _ := testCache(t, 0)
	c, _ := newTestClient(t, srv, WithCache(cache))
	ctx := t.Context()

	first, err := c.Chat(ctx, "echo", userMsg("hello"))
	require.NoError(t, err)
	again, err := c.ChatRaw(ctx, "echo", []byte(`{"stream":true, "messages":[{"content":"hello","role":"user"}]}`))
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Emulator.Requests("echo"), "the same body in another order is a hit")
	assert.Contains(t, string(again), first.ID)
	assert.EqualValues(t, 1, cache.Hits())

	_, err = c.Chat(ctx, "echo", userMsg("hello!"))
	require.NoError(t, err)
	_, err = c.Chat(ctx, "gpt-4o-mini", userMsg("hello"))
	require.NoError(t, err)
	_, err = c.Chat(ctx, "echo", userMsg("hello"), APIVersion("2024-02-01"))
	require.NoError(t, err)
	_, err = c.Chat(ctx, "echo", userMsg("hello"), Header("X-Conversation-Id", "c1"))
	require.NoError(t, err)
	assert.Equal(t, 4, srv.Emulator.Requests("echo"), "another body, api-version or per-call header is a miss")
	assert.Equal(t, 1, srv.Emulator.Requests("gpt-4o-mini"), "another deployment is a miss")

	s, err := c.ChatStream(ctx, "echo", userMsg("hello"))
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Close())
	assert.Equal(t, 5, srv.Emulator.Requests("echo"), "a streamed call bypasses the cache")

	_, err = c.Chat(ctx, "no-such-model", userMsg("hello"))
	require.ErrorIs(t, err, ErrNotFound)
	_, err = c.Chat(ctx, "no-such-model", userMsg("hello"))
	require.ErrorIs(t, err, ErrNotFound, "a failure is not stored")
	assert.EqualValues(t, 1, cache.Hits())
}

func TestCacheTTL(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	cache, now := testCache(t, time.Hour)
	c, _ := newTestClient(t, srv, WithCache(cache))
	for _, step := range []time.Duration{0, 59 * time.Minute, 2 * time.Minute, 30 * time.Minute} {
		*now = now.Add(step)
		_, err := c.Chat(t.Context(), "echo", userMsg("hi"))
		require.NoError(t, err)
	}
	// 0: miss; +59m: hit; +61m: expired, asked again and stored; +91m: hit.
	assert.Equal(t, 2, srv.Emulator.Requests("echo"))
	assert.EqualValues(t, 2, cache.Hits())
}

func TestCacheNeverSharedAcrossKeys(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	cache, _ := testCache(t, 0)
	one, _ := newTestClient(t, srv, WithCache(cache))
	two, err := NewClient(srv.URL, WithAPIKey(emulator.SecondKey), WithCache(cache))
	require.NoError(t, err)
	defer two.Close()
	for _, c := range []*Client{one, two, one, two} {
		_, err := c.Chat(t.Context(), "echo", userMsg("hi"))
		require.NoError(t, err)
	}
	assert.Equal(t, 2, srv.Emulator.Requests("echo"))
	assert.EqualValues(t, 2, cache.Hits())
	entries, err := os.ReadDir(cache.Dir())
	require.NoError(t, err)
	assert.Len(t, entries, 2)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(cache.Dir(), e.Name()))
		require.NoError(t, err)
		assert.NotContains(t, string(data), srv.Key)
		assert.NotContains(t, string(data), emulator.SecondKey)
	}
}

func TestCacheCorruptEntryIsAMiss(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	cache, _ := testCache(t, 0)
	c, _ := newTestClient(t, srv, WithCache(cache))
	_, err := c.Chat(t.Context(), "echo", userMsg("hi"))
	require.NoError(t, err)
	entries, err := os.ReadDir(cache.Dir())
	require.NoError(t, err)
	require.Len(t, entries, 1)
	path := filepath.Join(cache.Dir(), entries[0].Name())
	for _, corrupt := range []string{`{"stored":"2026-01-01T00:00:00Z","response":`, `{"stored":"2026-01-01T00:00:00Z"}`, ``} {
		require.NoError(t, os.WriteFile(path, []byte(corrupt), 0o600))
		resp, err := c.Chat(t.Context(), "echo", userMsg("hi"))
		require.NoError(t, err)
		assert.Equal(t, "hi", resp.Text())
	}
	assert.Equal(t, 4, srv.Emulator.Requests("echo"))
	assert.EqualValues(t, 0, cache.Hits())
	_, err = c.Chat(t.Context(), "echo", userMsg("hi"))
	require.NoError(t, err)
	assert.EqualValues(t, 1, cache.Hits(), "the entry was rewritten")
}
