package emulator_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
)

// TestSubscribeHeartbeat reads a subscription's raw SSE: while quiet it gets nothing but
// ": heartbeat" comments, never sooner than the configured period apart; a change of the
// watched file comes as a data event between them, and the heartbeats go on after it.
func TestSubscribeHeartbeat(t *testing.T) {
	t.Parallel()
	const period = 2 * time.Millisecond
	cfg := emulator.DefaultConfig()
	cfg.HeartbeatPeriod = emulator.Duration(period)
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	watched := srv.Bucket + "/watched.txt"

	// The deadline fails a test whose heartbeats do not come, instead of hanging it.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/ops/resource/subscribe",
		strings.NewReader(`{"resources":[{"url":"files/`+watched+`"}]}`))
	require.NoError(t, err)
	req.Header.Set("Api-Key", srv.Key)
	resp, err := testutil.HTTPClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	body := bufio.NewReader(resp.Body)

	const beat, quiet = ": heartbeat\n\n", 10
	got := make([]byte, quiet*len(beat))
	_, err = io.ReadFull(body, got)
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat(beat, quiet), string(got), "a quiet subscription gets heartbeats only")
	assert.GreaterOrEqual(t, time.Since(start), quiet*period, "heartbeats come one period apart")

	require.Equal(t, http.StatusOK, stUpload(t, srv, watched, "x", "text/plain").status)
	var block string
	for block == "" || block == beat {
		block = readBlock(t, body)
	}
	assert.True(t, strings.HasPrefix(block, "data: {") && strings.Contains(block, `"action":"CREATE"`), block)
	assert.Equal(t, beat, readBlock(t, body), "heartbeats go on after an event")
}

// readBlock reads one SSE block: its lines up to and including the blank line that ends it.
func readBlock(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		b.WriteString(line)
		if line == "\n" {
			return b.String()
		}
	}
}
