package dial

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// chatEnds is an Observer that keeps the ChatEnd events it gets.
type chatEnds struct {
	mu     sync.Mutex
	events []ChatEndInfo
}

func (c *chatEnds) observer() *Observer {
	return &Observer{ChatEnd: func(_ context.Context, i ChatEndInfo) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.events = append(c.events, i)
	}}
}

func (c *chatEnds) all() []ChatEndInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ChatEndInfo(nil), c.events...)
}

// answer is the first choice's text of a response body.
func answer(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var r ChatResponse
	require.NoError(t, json.Unmarshal(raw, &r))
	return r.Text()
}

// TestObserverChatEnd checks that ChatEnd sees each chat completion once, with its request
// and whole response: a block call, a stream merged from its chunks, and a failed call with
// its error.
func TestObserverChatEnd(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "words", Reply: "one two three"},
		emulator.Deployment{ID: "down", Status: http.StatusBadRequest}))
	var ends chatEnds
	c, _ := newTestClient(t, srv, WithObserver(ends.observer()))

	_, err := c.Chat(t.Context(), "words", userMsg("block question"))
	require.NoError(t, err)
	s, err := c.ChatStream(t.Context(), "words", userMsg("stream question"))
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close reports nothing")
	_, err = c.Chat(t.Context(), "down", userMsg("failing question"))
	require.Error(t, err)

	events := ends.all()
	require.Len(t, events, 3)
	block, stream, failed := events[0], events[1], events[2]
	assert.Equal(t, "words", block.Deployment)
	assert.False(t, block.Stream)
	assert.Contains(t, string(block.Request), "block question")
	assert.Equal(t, "one two three", answer(t, block.Response))
	assert.NoError(t, block.Err)

	assert.True(t, stream.Stream)
	assert.Contains(t, string(stream.Request), "stream question")
	assert.Equal(t, "one two three", answer(t, stream.Response))
	assert.Contains(t, string(stream.Response), `"usage"`)
	assert.NoError(t, stream.Err)

	assert.Equal(t, "down", failed.Deployment)
	assert.Equal(t, err, failed.Err)
	assert.Positive(t, failed.Elapsed)
}
