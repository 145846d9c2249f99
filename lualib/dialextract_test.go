package lualib_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

func TestUsageCountsEveryAttemptOfAnExtraction(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "sloppy", InvalidJSONFirst: 1}))
	cfg := poolConfig(t, srv)
	h := newHost(t, cfg, io.Discard)
	require.NoError(t, h.RunString(t.Context(), `
		local doc = assert(require("dial").default():extract{ deployment = "sloppy", prompt = "Dune, 1965",
			schema = { type = "object", properties = { title = { type = "string" } } } })
		assert(doc.title == "example")`))
	responses, _, completion, _ := cfg.Usage.Totals()
	assert.Equal(t, int64(2), responses, "the failed attempt counts too")
	// The emulator counts words: 9 in the reply that is not JSON, 1 in {"title":"example"}.
	assert.Equal(t, int64(9+1), completion)
}
