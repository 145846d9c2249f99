package dial

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// recordLog keeps the records of one message.
type recordLog struct {
	msg     string
	mu      sync.Mutex
	records []map[string]slog.Value
}

func (l *recordLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *recordLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *recordLog) WithGroup(string) slog.Handler            { return l }

func (l *recordLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != l.msg {
		return nil
	}
	attrs := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value; return true })
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, attrs)
	return nil
}

func (l *recordLog) last(t *testing.T) map[string]slog.Value {
	l.mu.Lock()
	defer l.mu.Unlock()
	require.NotEmpty(t, l.records)
	return l.records[len(l.records)-1]
}

// TestStreamEndIsLogged checks the "dial: stream end" record of a stream read to its end, one
// closed before its end, and one that failed mid-stream.
func TestStreamEndIsLogged(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.Deployments = append(cfg.Deployments,
		emulator.Deployment{ID: "midstream", Reply: "a b c", StreamError: &emulator.StreamError{After: 1, Message: "boom"}})
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	log := &recordLog{msg: "dial: stream end"}
	c, err := NewClient(srv.URL, WithAPIKey(srv.Key), WithLogger(slog.New(log)))
	require.NoError(t, err)
	req := userMsg("one two three")

	s, err := c.ChatStream(t.Context(), "gpt-4o", req)
	require.NoError(t, err)
	n := 0
	for s.Next() {
		n++
	}
	require.NoError(t, s.Err())
	s.Close()
	done := log.last(t)
	assert.Equal(t, "done", done["end"].String())
	assert.Equal(t, int64(n), done["events"].Int64())
	assert.Positive(t, done["bytes"].Int64())
	assert.Positive(t, done["elapsed"].Duration())
	assert.True(t, strings.HasSuffix(done["path"].String(), "/openai/deployments/gpt-4o/chat/completions"), done["path"].String())
	assert.Equal(t, "POST", done["method"].String())

	s, err = c.ChatStream(t.Context(), "gpt-4o", req)
	require.NoError(t, err)
	require.True(t, s.Next())
	s.Close()
	s.Close()
	assert.Len(t, log.records, 2, "one record per stream")
	closed := log.last(t)
	assert.Equal(t, "closed", closed["end"].String())
	assert.Equal(t, int64(1), closed["events"].Int64())

	s, err = c.ChatStream(t.Context(), "midstream", req)
	require.NoError(t, err)
	for s.Next() {
	}
	require.Error(t, s.Err())
	failed := log.last(t)
	assert.Contains(t, failed["error"].String(), "boom")
	_, hasEnd := failed["end"]
	assert.False(t, hasEnd)
}
