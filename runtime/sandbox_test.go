package runtime_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/lualib/luatest"
	"github.com/dialua/dialua/runtime"
)

// TestSandbox runs testdata/sandbox_test.lua: scripts that try each way out of the sandbox.
func TestSandbox(t *testing.T) {
	t.Parallel()
	luatest.Run(t, "testdata/sandbox_test.lua", sandboxState)
}

// sandboxState returns the state of a sandboxed host whose working directory holds data.txt,
// mod.lua, sub/inner.txt and symbolic links, with the globals WORKDIR and OUTSIDE naming the
// working directory and a directory beside it holding secret.txt and secret.lua.
func sandboxState(t *testing.T) *lua.LState {
	outside, work := t.TempDir(), t.TempDir()
	writeFiles(t, outside, map[string]string{"secret.txt": "secret", "secret.lua": "return 'secret'"})
	writeFiles(t, work, map[string]string{"data.txt": "inside", "mod.lua": "return 'mod'",
		"sub/inner.txt": "inner"})
	links := os.Symlink(outside, filepath.Join(work, "escape")) == nil &&
		os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(work, "escape.txt")) == nil &&
		os.Symlink("data.txt", filepath.Join(work, "inlink.txt")) == nil
	t.Cleanup(func() {
		entries, err := os.ReadDir(outside)
		require.NoError(t, err)
		assert.Len(t, entries, 2, "nothing was created outside")
		data, err := os.ReadFile(filepath.Join(outside, "secret.txt"))
		require.NoError(t, err)
		assert.Equal(t, "secret", string(data))
	})
	h := newHost(t, runtime.Config{Sandbox: true, WorkDir: work})
	L := h.State()
	L.SetGlobal("WORKDIR", lua.LString(work))
	L.SetGlobal("OUTSIDE", lua.LString(outside))
	L.SetGlobal("SYMLINKS", lua.LBool(links))
	return L
}

func TestSandboxedScriptMayLiveOutsideTheWorkDir(t *testing.T) {
	t.Parallel()
	scripts := t.TempDir()
	writeFiles(t, scripts, map[string]string{"main.lua": `print(io.open("data.txt"):read("a"))
		print(pcall(require, "sibling"))`, "sibling.lua": "return 1"})
	work := t.TempDir()
	writeFiles(t, work, map[string]string{"data.txt": "work data"})
	var out strings.Builder
	h := newHost(t, runtime.Config{Sandbox: true, WorkDir: work, Stdout: &out})
	require.NoError(t, h.RunFile(t.Context(), filepath.Join(scripts, "main.lua")))
	assert.Contains(t, out.String(), "work data\nfalse\t")
	assert.Contains(t, out.String(), "sibling.lua' (outside the working directory)")
}

// TestModuleFilesFollowTheSandbox checks that ModuleEnv.OpenFile gives a module the host's
// confinement.
func TestModuleFilesFollowTheSandbox(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	module := runtime.Module{Name: "save", Open: func(L *lua.LState, env runtime.ModuleEnv) (runtime.Instance, error) {
		return runtime.Instance{Loader: func(L *lua.LState) int {
			L.Push(L.NewFunction(func(L *lua.LState) int {
				f, err := env.OpenFile(L.CheckString(1), os.O_WRONLY|os.O_CREATE, 0o644)
				if err != nil {
					L.Push(lua.LNil)
					L.Push(lua.LString(err.Error()))
					return 2
				}
				f.Close()
				L.Push(lua.LTrue)
				return 1
			}))
			return 1
		}}, nil
	}}
	var out strings.Builder
	work := t.TempDir()
	h := newHost(t, runtime.Config{Sandbox: true, WorkDir: work, Stdout: &out,
		Modules: []runtime.Module{module}, Args: []string{filepath.Join(outside, "x.txt")}})
	require.NoError(t, h.RunString(t.Context(), `local save = require("save")
		print(save("inside.txt")) print(save(arg[1]))`))
	assert.FileExists(t, filepath.Join(work, "inside.txt"))
	assert.Equal(t, "true\nnil\tsandbox: open "+filepath.Join(outside, "x.txt")+
		": outside the working directory "+work+"\n", out.String())
	assert.NoFileExists(t, filepath.Join(outside, "x.txt"))
}
