package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/dialua/dialua/luabridge"
	"github.com/dialua/dialua/runtime"
)

// newHost returns a host closed at the end of the test, working in a new temporary directory
// unless cfg names one.
func newHost(t *testing.T, cfg runtime.Config) *runtime.Host {
	t.Helper()
	if cfg.WorkDir == "" {
		cfg.WorkDir = t.TempDir()
	}
	h, err := runtime.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, h.Close()) })
	return h
}

// writeFiles creates files (name → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
}

func TestPrintAndStandardStreams(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out, Stderr: &errOut,
		Stdin: strings.NewReader("line one\nline two\n42 rest\n")})
	err := h.RunString(t.Context(), `
		print("a", 1, nil, true, setmetatable({}, {__tostring = function() return "obj" end}))
		io.write("x", 2, "\n")
		assert(io.stdout:write("y"):write("z\n"))
		io.stderr:write("to stderr\n")
		print(io.read())
		for line in io.lines() do print("[" .. line .. "]") end
		print(io.stdout:close())
		print(io.type(io.stdout), io.type(42))
	`)
	require.NoError(t, err)
	assert.Equal(t, "a\t1\tnil\ttrue\tobj\nx2\nyz\nline one\n[line two]\n[42 rest]\n"+
		"nil\tcannot close standard file\nfile\tnil\n", out.String())
	assert.Equal(t, "to stderr\n", errOut.String())
}

func TestNilWritersDiscard(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	require.NoError(t, h.RunString(t.Context(), `print("nowhere") io.write("x")
		assert(io.read() == nil, "empty stdin")`))
}

func TestArg(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out, Args: []string{"one", "two"},
		Interpreter: []string{"dialua", "run"}})
	err := h.Run(t.Context(), "args.lua", strings.NewReader(`
		print(arg[-2], arg[-1], arg[0], arg[1], arg[2], #arg, select("#", ...), ...)`))
	require.NoError(t, err)
	assert.Equal(t, "dialua\trun\targs.lua\tone\ttwo\t2\t2\tone\ttwo\n", out.String())
}

func TestOSExitEndsTheScriptOnly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, code string
		want       int
	}{
		{"number", `os.exit(3)`, 3},
		{"no argument", `os.exit()`, 0},
		{"true", `os.exit(true)`, 0},
		{"false", `os.exit(false)`, 1},
		{"inside pcall", `pcall(os.exit, 4) print("not reached")`, 4},
		{"pcall in a loop", `while true do pcall(os.exit, 5) end`, 5},
		{"inside a coroutine", `coroutine.wrap(function() os.exit(6) end)() print("not reached")`, 6},
		{"inside a required module", `package.preload.m = function() os.exit(7) end
			require("m") print("not reached")`, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			h := newHost(t, runtime.Config{Stdout: &out})
			err := h.RunString(t.Context(), tc.code)
			var exit *runtime.ExitError
			require.ErrorAs(t, err, &exit)
			assert.Equal(t, tc.want, exit.Code)
			assert.Equal(t, tc.want, runtime.ExitCode(err))
			assert.Empty(t, out.String())
			// The host is still usable afterwards.
			require.NoError(t, h.RunString(t.Context(), `print("again")`))
			assert.Equal(t, "again\n", out.String())
		})
	}
}

func TestCollectGarbageIsHarmless(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out})
	require.NoError(t, h.RunString(t.Context(), `
		print(collectgarbage(), collectgarbage("collect"), collectgarbage("count"),
			collectgarbage("step"))
		print(pcall(collectgarbage, "bogus"))`))
	assert.Equal(t, "0\t0\t0\ttrue\nfalse\tbad argument #1 to main chunk "+
		"(invalid option 'bogus')\n", out.String())
}

func TestRegistryGrowsForLongConcat(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out})
	require.NoError(t, h.RunString(t.Context(), `
		local parts = {}
		for i = 1, 200000 do parts[i] = "x" end
		print(#table.concat(parts), select("#", unpack(parts, 1, 100000)))`))
	assert.Equal(t, "200000\t100000\n", out.String())
}

func TestDeepRecursionIsAnError(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	err := h.RunString(t.Context(), `local function f(n) return 1 + f(n + 1) end f(1)`)
	var se *runtime.ScriptError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, runtime.KindRuntime, se.Kind)
	assert.Contains(t, se.Message, "stack overflow")
}

func TestRequireFindsModulesNextToTheScript(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scripts/main.lua":     `local h = require("helper") local p = require("pkg") local x = require("extra") print(h.name, p.name, x.name, package.path)`,
		"scripts/helper.lua":   `return {name = "helper"}`,
		"scripts/pkg/init.lua": `return {name = "pkg"}`,
		"lib/extra.lua":        `return {name = "extra"}`,
	})
	var out bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out, WorkDir: dir, LuaPath: []string{"lib"}})
	require.NoError(t, h.RunFile(t.Context(), "scripts/main.lua"))
	sep := string(filepath.Separator)
	wantPath := strings.Join([]string{"scripts" + sep + "?.lua", "scripts" + sep + "?" + sep + "init.lua",
		"lib" + sep + "?.lua", "lib" + sep + "?" + sep + "init.lua"}, ";")
	assert.Equal(t, "helper\tpkg\textra\t"+wantPath+"\n", out.String())

	err := h.RunString(t.Context(), `require("missing")`)
	var se *runtime.ScriptError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Message, "module missing not found")
	assert.Contains(t, se.Message, "no file '."+sep+"missing.lua'")
}

// TestPackagePath checks that Config.PackagePath replaces package.path as LUA_PATH does in lua,
// with ";;" standing for the default path.
func TestPackagePath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scripts/main.lua":    `print(require("vendored").name, require("helper").name, package.path)`,
		"scripts/helper.lua":  `return {name = "helper"}`,
		"vendor/vendored.lua": `return {name = "vendored"}`,
	})
	var out bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out, WorkDir: dir, PackagePath: "vendor/?.lua;;last/?.lua"})
	require.NoError(t, h.RunFile(t.Context(), "scripts/main.lua"))
	sep := string(filepath.Separator)
	def := "scripts" + sep + "?.lua;scripts" + sep + "?" + sep + "init.lua"
	assert.Equal(t, "vendored\thelper\tvendor/?.lua;"+def+";last/?.lua\n", out.String())

	out.Reset()
	h = newHost(t, runtime.Config{Stdout: &out, WorkDir: dir, PackagePath: "vendor/?.lua"})
	require.NoError(t, h.RunString(t.Context(), `print(package.path, pcall(require, "helper"))`))
	assert.Contains(t, out.String(), "vendor/?.lua\tfalse\t", "without ;; the default is gone")
}

func TestSyntaxErrors(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	err := h.Run(t.Context(), "bad.lua", strings.NewReader("local x = 1\nx = = 2\n"))
	var se *runtime.ScriptError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, runtime.KindSyntax, se.Kind)
	assert.Equal(t, "bad.lua", se.Script)
	assert.Equal(t, 2, se.Line)
	assert.Equal(t, "bad.lua:2: syntax error near '='", se.Error())
	assert.Empty(t, se.Traceback)
	assert.False(t, se.Incomplete())
	assert.Equal(t, 2, runtime.ExitCode(err))
	var pe *parse.Error
	assert.ErrorAs(t, err, &pe)

	err = h.Run(t.Context(), "open.lua", strings.NewReader("function f()\n  return 1\n"))
	require.ErrorAs(t, err, &se)
	assert.True(t, se.Incomplete())
	assert.Equal(t, "open.lua:3: syntax error near <eof>", se.Error())
}

func TestRuntimeErrors(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	src := "local function g() error('boom') end\nlocal function f() g() end\n\nf()\n"
	err := h.Run(t.Context(), "fail.lua", strings.NewReader(src))
	var se *runtime.ScriptError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, runtime.KindRuntime, se.Kind)
	assert.Equal(t, "fail.lua", se.Script)
	assert.Equal(t, 1, se.Line)
	assert.Equal(t, "fail.lua:1: boom", se.Error())
	assert.Contains(t, se.Traceback, "stack traceback:")
	assert.Contains(t, se.Traceback, "fail.lua:1: in function 'g'")
	assert.Contains(t, se.Traceback, "fail.lua:4: in main chunk")
	assert.Equal(t, 1, runtime.ExitCode(err))
	var apiErr *lua.ApiError
	assert.ErrorAs(t, err, &apiErr)
}

func TestErrorValues(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, code, want string }{
		{"string without position", `error("plain", 0)`, "plain"},
		{"number", `error(42)`, "<string>:1: 42"}, // as in Lua 5.1
		{"number without position", `error(0.1 + 0.2, 0)`, "0.3"},
		{"table", `error({code = 1})`, "(error object is a table value)"},
		{"table with __tostring", `error(setmetatable({}, {__tostring = function() return "custom" end}))`, "custom"},
		{"__tostring that raises", `error(setmetatable({}, {__tostring = function() error("x") end}))`, "(error object is a table value)"},
		{"nil", `error(nil)`, "(error object is a nil value)"},
		{"type error", `local t = nil; t.x = 1`, "<string>:1: attempt to index a non-table object(nil) with key 'x'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHost(t, runtime.Config{})
			err := h.RunString(t.Context(), tc.code)
			var se *runtime.ScriptError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.want, se.Message)
			assert.Equal(t, 1, se.Line)
		})
	}
}

func TestErrorInRequiredModule(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"main.lua":   "local m = require('broken')\n",
		"broken.lua": "local x = 1\nerror('module failed')\n",
		"syntax.lua": "return {\n",
	})
	h := newHost(t, runtime.Config{WorkDir: dir})
	err := h.RunFile(t.Context(), "main.lua")
	var se *runtime.ScriptError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "main.lua", se.Script)
	assert.Equal(t, "."+string(filepath.Separator)+"broken.lua:2: module failed", se.Message)
	assert.Contains(t, se.Traceback, "main.lua:1: in main chunk")

	err = h.RunString(t.Context(), "require('syntax')")
	require.ErrorAs(t, err, &se)
	assert.Equal(t, runtime.KindRuntime, se.Kind, "a module's syntax error is raised by require")
	assert.Contains(t, se.Message, "error loading module 'syntax'")
	assert.Contains(t, se.Message, "syntax.lua:2: syntax error near <eof>")
}

func TestCancelStopsBusyLoop(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, code string }{
		{"while loop", `while true do end`},
		{"loop in pcall", `while true do pcall(function() while true do end end) end`},
		{"loop in coroutine", `coroutine.wrap(function() while true do end end)()`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHost(t, runtime.Config{})
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := h.RunString(ctx, tc.code)
			assert.Less(t, time.Since(start), 500*time.Millisecond)
			var se *runtime.ScriptError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, runtime.KindCanceled, se.Kind)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, 1, runtime.ExitCode(err))
		})
	}
	t.Run("cancel from another goroutine", func(t *testing.T) {
		t.Parallel()
		h := newHost(t, runtime.Config{})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(30*time.Millisecond, cancel)
		err := h.RunString(ctx, `local n = 0 while true do n = n + 1 end`)
		assert.ErrorIs(t, err, context.Canceled)
		// The next run has a context of its own.
		require.NoError(t, h.RunString(t.Context(), `local n = 0 for i = 1, 1000 do n = n + i end`))
	})
}

// waitModule provides wait(), a Go function that blocks until the run's context is done, the
// shape every waiting function of a module must have.
func waitModule() runtime.Module {
	return runtime.Preload("wait", func(L *lua.LState) int {
		L.Push(L.NewFunction(func(L *lua.LState) int {
			select {
			case <-luabridge.Context(L).Done():
				L.Push(lua.LString(luabridge.Context(L).Err().Error()))
			case <-time.After(10 * time.Second):
				L.Push(lua.LString("not canceled"))
			}
			return 1
		}))
		return 1
	})
}

func TestContextReachesGoFunctions(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out, Modules: []runtime.Module{waitModule()}})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.RunString(ctx, `local r = require("wait")() print(r) print("after")`)
	assert.Less(t, time.Since(start), 500*time.Millisecond)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	// The Go function returned when the context ended; the VM stopped at the next instruction.
	assert.Equal(t, "", out.String())
}

func TestChunkCacheIsSharedBetweenHosts(t *testing.T) {
	t.Parallel()
	cache := runtime.NewChunkCache(0)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"main.lua": `return require("mod")`, "mod.lua": `return 1`})
	for range 3 {
		h := newHost(t, runtime.Config{Cache: cache, WorkDir: dir})
		require.NoError(t, h.RunFile(t.Context(), "main.lua"))
	}
	hits, misses := cache.Stats()
	assert.Equal(t, int64(2), misses, "main.lua and mod.lua compile once")
	assert.Equal(t, int64(4), hits)
	assert.Equal(t, 2, cache.Len())

	// An edited file compiles afresh.
	writeFiles(t, dir, map[string]string{"mod.lua": `return 2`})
	h := newHost(t, runtime.Config{Cache: cache, WorkDir: dir})
	require.NoError(t, h.RunFile(t.Context(), "main.lua"))
	_, misses = cache.Stats()
	assert.Equal(t, int64(3), misses)
}

func TestChunkCacheEvictsOldest(t *testing.T) {
	t.Parallel()
	cache := runtime.NewChunkCache(2)
	for _, src := range []string{"return 1", "return 2", "return 3"} {
		_, err := cache.Compile("x", []byte(src))
		require.NoError(t, err)
	}
	assert.Equal(t, 2, cache.Len())
	_, err := cache.Compile("x", []byte("return 3"))
	require.NoError(t, err)
	_, err = cache.Compile("x", []byte("return 1"))
	require.NoError(t, err)
	hits, misses := cache.Stats()
	assert.Equal(t, int64(1), hits)
	assert.Equal(t, int64(4), misses)

	_, err = cache.Compile("bad", []byte("x = = 1"))
	var apiErr *lua.ApiError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, lua.ApiErrorSyntax, apiErr.Type)
	assert.Equal(t, 2, cache.Len(), "failures are not cached")

	var nilCache *runtime.ChunkCache
	_, err = nilCache.Compile("x", []byte("return 1"))
	assert.NoError(t, err)
	assert.Zero(t, nilCache.Len())
}

// closerFunc adapts a function to io.Closer.
type closerFunc func() error

func (f closerFunc) Close() error { return f() }

func TestModules(t *testing.T) {
	t.Parallel()
	var events []string
	module := func(name string) runtime.Module {
		return runtime.Module{Name: name, Open: func(L *lua.LState, _ runtime.ModuleEnv) (runtime.Instance, error) {
			events = append(events, "open "+name)
			return runtime.Instance{
				Loader: func(L *lua.LState) int {
					L.Push(lua.LString("module " + name))
					return 1
				},
				AfterRun: func(*lua.LState) { events = append(events, "after "+name) },
				Closer:   closerFunc(func() error { events = append(events, "close "+name); return nil }),
			}, nil
		}}
	}
	var out bytes.Buffer
	h, err := runtime.New(runtime.Config{Stdout: &out, WorkDir: t.TempDir(),
		Modules: []runtime.Module{module("a"), module("b")}})
	require.NoError(t, err)
	require.NoError(t, h.RunString(t.Context(), `print(require("a"), require("b"), require("json").null)`))
	assert.Error(t, h.RunString(t.Context(), `error("x")`))
	require.NoError(t, h.Close())
	require.NoError(t, h.Close())
	assert.Equal(t, "module a\tmodule b\tnull\n", out.String())
	assert.Equal(t, []string{"open a", "open b", "after a", "after b", "after a", "after b",
		"close b", "close a"}, events)
	assert.ErrorIs(t, h.RunString(t.Context(), `print(1)`), runtime.ErrClosed)

	_, err = runtime.New(runtime.Config{Modules: []runtime.Module{module("json")}})
	assert.ErrorContains(t, err, `module "json" registered twice`)
	_, err = runtime.New(runtime.Config{Modules: []runtime.Module{{Name: "x",
		Open: func(*lua.LState, runtime.ModuleEnv) (runtime.Instance, error) {
			return runtime.Instance{}, errors.New("no")
		}}}})
	assert.ErrorContains(t, err, "module x: no")
}

func TestDoForCallersThatDriveTheState(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	fn, err := h.Load("batch.lua", []byte(`return function(x) if x < 0 then error("negative") end return x * 2 end`))
	require.NoError(t, err)
	var record *lua.LFunction
	require.NoError(t, h.Do(t.Context(), func(L *lua.LState) error {
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}); err != nil {
			return err
		}
		record = L.CheckFunction(-1)
		return nil
	}))
	var got lua.LValue
	require.NoError(t, h.Do(t.Context(), func(L *lua.LState) error {
		if err := L.CallByParam(lua.P{Fn: record, NRet: 1, Protect: true}, lua.LNumber(21)); err != nil {
			return err
		}
		got = L.Get(-1)
		return nil
	}))
	assert.Equal(t, lua.LNumber(42), got)
	err = h.Do(t.Context(), func(L *lua.LState) error {
		return L.CallByParam(lua.P{Fn: record, Protect: true}, lua.LNumber(-1))
	})
	var se *runtime.ScriptError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "batch.lua:1: negative", se.Message)

	_, err = h.Load("bad.lua", []byte("return ="))
	require.ErrorAs(t, err, &se)
	assert.Equal(t, runtime.KindSyntax, se.Kind)

	err = h.Do(t.Context(), func(*lua.LState) error { return h.Do(t.Context(), nil) })
	assert.ErrorContains(t, err, "during a run")
}

func TestFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out, WorkDir: dir})
	require.NoError(t, h.RunString(t.Context(), `
		local f = assert(io.open("data.txt", "w"))
		assert(f:write("12.5 first\n", "second\n", 3, "\n"))
		assert(f:close())
		print(io.type(f), pcall(f.write, f, "x"))

		f = assert(io.open("data.txt"))
		print(f:read("*n"), f:read("*l"), f:read("L"), f:read(1), f:read(0), f:read("a"), f:read("l"), f:read(0))
		print(f:seek("set", 5), f:read("l"), f:seek("cur"), f:seek("end"))
		f:close()

		local n = 0
		for line in io.lines("data.txt") do n = n + 1 end
		print(n, io.open("missing.txt"))
		print(pcall(io.lines, "missing.txt"))

		f = assert(io.open("data.txt", "r+"))
		f:write("99")
		f:seek("set", 0)
		print(f:read("l"))
		f:close()

		io.output("out.txt")
		io.write("via io.output\n")
		io.close()
		io.output(io.stdout)
		print(io.open("out.txt"):read("*a"))
		print(os.rename("out.txt", "moved.txt"), os.remove("moved.txt"), os.remove("moved.txt"))
		print(pcall(io.open, "data.txt", "rw"))

		Unclosed = assert(io.open("unclosed.txt", "w"))
		Unclosed:write("flushed at the end of the run")
	`))
	data, err := os.ReadFile(filepath.Join(dir, "unclosed.txt"))
	require.NoError(t, err)
	assert.Equal(t, "flushed at the end of the run", string(data))
	assert.Equal(t, "closed file\tfalse\tattempt to use a closed file\n"+
		"12.5\t first\tsecond\n\t3\t\t\n\tnil\tnil\n"+
		"5\tfirst\t11\t20\n"+
		"3\tnil\tmissing.txt: no such file or directory\n"+
		"false\tmissing.txt: no such file or directory\n"+
		"99.5 first\n"+
		"via io.output\n\n"+
		"true\ttrue\tnil\tmoved.txt: no such file or directory\n"+
		"true\tnil\tinvalid mode 'rw'\n", out.String())
}

func TestTrustedProfileKeepsProcessAccess(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	var out bytes.Buffer
	dir := t.TempDir()
	h := newHost(t, runtime.Config{Stdout: &out, WorkDir: dir})
	require.NoError(t, h.RunString(t.Context(), `
		print(os.execute("echo from-shell; exit 3"))
		print(os.execute("pwd"))
		local p = assert(io.popen("echo piped"))
		print(p:read("*a"), p:close())
		local p2 = assert(io.popen("exit 2"))
		print(p2:close())
		local w = assert(io.popen("cat", "w"))
		w:write("into cat\n")
		print(w:close())
		print(type(os.getenv("PATH")), os.setenv, type(debug.getinfo(1)))
		local tmp = io.tmpfile()
		tmp:write("temp")
		tmp:seek("set")
		print(tmp:read("a"))
	`))
	realDir, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	got := strings.Replace(out.String(), realDir, "WORKDIR", 1)
	assert.Equal(t, "from-shell\n3\nWORKDIR\n0\npiped\n\ttrue\nnil\texit status 2\t2\n"+
		"into cat\ntrue\nstring\tnil\ttable\ntemp\n", got)
}
