package lualib_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/emulator/emulatortest"
)

// TestChatManyConvertsEachResultAsItCompletes runs chat_many one request at a time with a
// credential function, which runs on the script's thread before each request: by the time it
// runs for a request, the answers of all earlier requests have been converted (their usage
// is counted then), rather than all at the end.
func TestChatManyConvertsEachResultAsItCompletes(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	cfg := poolConfig(t, srv)
	h := newHost(t, cfg, io.Discard)
	L := h.State()
	L.SetGlobal("converted", L.NewFunction(func(L *lua.LState) int {
		responses, _, _, _ := cfg.Usage.Totals()
		L.Push(lua.LNumber(responses))
		return 1
	}))
	L.SetGlobal("KEY", lua.LString(srv.Key))
	require.NoError(t, h.RunString(t.Context(), `
		local dial = require("dial")
		local seen = {}
		local c = dial.client{ base_url = dial.default():base_url(), max_retries = 0,
			api_key = function() seen[#seen + 1] = converted(); return KEY end }
		local req = { deployment = "echo", messages = { { role = "user", content = "x" } } }
		local results = c:chat_many({ req, req, req }, { concurrency = 1 })
		for i = 1, 3 do assert(results[i].response, results[i].error) end
		assert(table.concat(seen, ",") == "0,1,2", table.concat(seen, ","))`))
}
