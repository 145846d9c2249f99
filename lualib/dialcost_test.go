package lualib_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/lualib"
)

// TestUsageCost prices a run's usage after the host has closed: exactly from the models'
// pricing, and not at all when an application was used or when a client's credentials come
// from a Lua function, which cannot run once the script is over.
func TestUsageCost(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	tests := []struct {
		name   string
		script string
		want   string // "" for unknown
	}{
		{"models", `local c = require("dial").default()
			assert(c:ask("echo", "one two")); assert(c:ask("gpt-4o", "three"))`, "0.0000375"},
		{"application", `local c = require("dial").default()
			assert(c:ask("echo", "one two")); assert(c:ask("my-app", "three"))`, ""},
		{"credential function", `local c = require("dial").client{base_url = "` + srv.URL +
			`", api_key = function() return "` + srv.Key + `" end}
			assert(c:ask("echo", "one two"))`, ""},
		{"nothing used", ``, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := poolConfig(t, srv)
			h := newHost(t, cfg, io.Discard)
			require.NoError(t, h.RunString(t.Context(), tc.script))
			h.Close()
			cost, known := cfg.Usage.Cost(t.Context())
			if tc.want == "" {
				assert.False(t, known)
				return
			}
			require.True(t, known)
			assert.Equal(t, tc.want, lualib.FormatCost(cost))
		})
	}
}
