package lualib_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/dialhost"
	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/lualib/luatest"
	"github.com/dialua/dialua/runtime"
)

// faultDeployments are the emulator deployments the Lua tests of the dial module use besides
// the default ones.
var faultDeployments = []emulator.Deployment{
	{ID: "limited", Status: 429, RetryAfter: 1},
	{ID: "flaky", Status: 503, FailTimes: 1, Reply: "recovered"},
	{ID: "broken", Reply: "one two three four", StreamError: &emulator.StreamError{After: 2, Message: "upstream failed", Code: "503"}},
	{ID: "cut", Reply: "one two three four", CutAfter: 2},
	{ID: "leaky", Reply: "one two", StreamError: &emulator.StreamError{After: 1, Message: "failed for " + canaryKey}},
	{ID: "bad-gateway", Reply: "one two", StreamError: &emulator.StreamError{After: 1, Message: "upstream unreachable", Code: "bad_gw"}},
	{ID: "tools-rich", Reply: "done", CustomContent: json.RawMessage(
		`{"attachments":[{"index":0,"type":"text/plain","title":"a.txt","url":"files/x/a.txt"}],"stages":[{"index":0,"name":"Search","status":"completed"}]}`)},
	{ID: "loop", ToolCalling: emulator.ToolsAlways},
	{ID: "old-app", ToolCalling: emulator.ToolsAuto, LegacyToolType: true},
	{ID: "short-context", Limits: &emulator.Limits{MaxPromptTokens: 3}},
	{ID: "sloppy", InvalidJSONFirst: 1},
	{ID: "unfixable", InvalidJSONFirst: 1 << 20},
	{ID: "paced", Reply: "a b c d e f g h", ChunkDelay: emulator.Duration(200 * time.Millisecond)},
}

// canaryKey is a valid API key of the test emulator that must never appear in anything a
// script can see.
const canaryKey = "CANARY-7f3e-secret"

// TestDialLua runs testdata/dial/*_test.lua, each test function with a state of its own that
// has the dial module connected to an emulator of its own. The global EMULATOR holds the
// server's url, key and bucket.
func TestDialLua(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/dial/*_test.lua")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			luatest.Run(t, file, newDialState)
		})
	}
}

// newDialState is a host state whose dial.default() talks to a fresh emulator, with a pool
// and usage counter of its own and a temporary working directory. The emulator also accepts
// canaryKey, and answers the deployment "garbage" with malformed JSON.
func newDialState(t *testing.T) *lua.LState {
	cfg := emulator.DefaultConfig()
	cfg.Deployments = append(cfg.Deployments, faultDeployments...)
	cfg.Keys = append(cfg.Keys, emulator.Identity{Key: canaryKey, Bucket: "CanaryBucket"})
	addSurfaceConfig(&cfg)
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	addHeaderEcho(srv)
	srv.Handle("POST /openai/deployments/garbage/chat/completions", emulatortest.JSON(200, `{"choices": [`))
	pool := dial.NewPool(dial.PoolOptions{})
	t.Cleanup(func() { pool.Close() })
	h, err := runtime.New(runtime.Config{WorkDir: t.TempDir(),
		Modules: []runtime.Module{dialhost.Module(dialConfig(srv, pool))}})
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	L := h.State()
	env := L.NewTable()
	env.RawSetString("url", lua.LString(srv.URL))
	env.RawSetString("key", lua.LString(srv.Key))
	env.RawSetString("bucket", lua.LString(srv.Bucket))
	env.RawSetString("second_key", lua.LString(emulator.SecondKey))
	env.RawSetString("canary", lua.LString(canaryKey))
	env.RawSetString("limited_key", lua.LString(limitedKey))
	env.RawSetString("app_key", lua.LString(appKey))
	L.SetGlobal("EMULATOR", env)
	return L
}
