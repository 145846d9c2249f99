package lualib_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// TestSecretsLearnScriptCredentials checks that DialConfig.Secrets learns a key given to
// dial.client{} and the token a credential function returns, and that every client of the
// module masks both: a client with another key gets an error event echoing the token.
func TestSecretsLearnScriptCredentials(t *testing.T) {
	t.Parallel()
	const scriptKey, funcToken = "script-key-5c2e91", "func-token-8d41a7"
	cfg := emulator.DefaultConfig()
	cfg.Keys = append(cfg.Keys, emulator.Identity{Key: scriptKey})
	cfg.Tokens = append(cfg.Tokens, emulator.Identity{Key: funcToken})
	cfg.Deployments = append(cfg.Deployments, emulator.Deployment{ID: "leaky", Reply: "a b",
		StreamError: &emulator.StreamError{After: 1, Message: "token " + funcToken + " revoked"}})
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	pool := dial.NewPool(dial.PoolOptions{})
	defer pool.Close()
	dc := dialConfig(srv, pool)
	secrets := &dial.Secrets{}
	dc.Secrets = secrets
	var out strings.Builder
	h := newHost(t, dc, &out)
	require.NoError(t, h.RunString(t.Context(), `
		local dial = require("dial")
		local url = "`+srv.URL+`"
		local byFunc = dial.client{ base_url = url, bearer_token = function() return "`+funcToken+`" end }
		assert(byFunc:deployments())
		local byKey = dial.client{ base_url = url, api_key = "`+scriptKey+`" }
		local r, msg, err = byKey:chat{ deployment = "leaky", stream = true,
			messages = { { role = "user", content = "x" } } }
		print(msg, err.message)`))
	assert.Equal(t, "dial: POST /dial/openai/deployments/leaky/chat/completions: error during stream: token "+
		dial.Redacted+" revoked\ttoken "+dial.Redacted+" revoked\n", out.String())
	assert.Equal(t, dial.Redacted+" "+dial.Redacted, secrets.Redact(scriptKey+" "+funcToken))
}
