package luabridge_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
	"github.com/dialua/dialua/lualib/luatest"
)

// TestLua runs every testdata/*_test.lua file through the Lua test runner.
func TestLua(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*_test.lua")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			luatest.Run(t, file, newState)
		})
	}
}

func newState(t *testing.T) *lua.LState {
	L := lua.NewState(lua.Options{RegistryMaxSize: 1 << 22, RegistryGrowStep: 1 << 16})
	t.Cleanup(L.Close)
	L.PreloadModule("json", luabridge.JSON{}.Loader)
	return L
}
