package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// ErrClosed is returned by the methods of a closed [Host].
var ErrClosed = errors.New("runtime: closed")

// State sizes. The registry (the Lua data stack) starts small, because every state and every
// coroutine allocates one, and grows in big steps, because long streamed answers collected
// into a table and joined with table.concat need hundreds of thousands of slots.
const (
	registrySize     = 1024
	registryMaxSize  = 1 << 23
	registryGrowStep = 1 << 15
	callStackSize    = 8192
)

// Host runs Lua scripts in one LState with the libraries it opened on purpose (see the
// package documentation). Scripts run one after another in the same state, which keeps what
// each leaves (globals, loaded modules), as the REPL's statements and a batch worker's records
// need.
//
// A Host is not safe for concurrent use: its state may be used by one goroutine at a time, and
// every Lua callback a module makes must happen on the goroutine that is running the host.
// Scripts run at the same time on hosts of their own, as [RunBatch]'s workers do.
type Host struct {
	cfg     Config
	workDir string
	L       *lua.LState
	cache   *ChunkCache
	fs      fileSystem
	stdout  io.Writer
	out     *lineWriter // stdout, which it wraps
	stderr  io.Writer
	io      *ioLib
	modules []Instance

	running  bool
	cancel   context.CancelFunc // cancels the current run; set while running
	exitCode *int               // set by os.exit during the current run
}

// New creates a host with a fresh state: the libraries of the profile cfg selects, the built-in
// modules, then cfg.Modules. The caller must Close it.
func New(cfg Config) (*Host, error) {
	workDir := cfg.WorkDir
	if workDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("runtime: working directory: %w", err)
		}
		workDir = wd
	}
	workDir, err := filepath.Abs(workDir)
	if err != nil {
		return nil, fmt.Errorf("runtime: working directory: %w", err)
	}
	if st, err := os.Stat(workDir); err != nil {
		return nil, fmt.Errorf("runtime: working directory: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("runtime: working directory %s is not a directory", workDir)
	}
	modules := append(builtinModules(), cfg.Modules...)
	seen := make(map[string]bool, len(modules))
	for _, m := range modules {
		switch {
		case m.Name == "" || m.Open == nil:
			return nil, fmt.Errorf("runtime: module %q has no name or no Open", m.Name)
		case seen[m.Name]:
			return nil, fmt.Errorf("runtime: module %q registered twice", m.Name)
		}
		seen[m.Name] = true
	}

	h := &Host{cfg: cfg, workDir: workDir, cache: cfg.Cache, stdout: cfg.Stdout,
		stderr: cfg.Stderr}
	if h.cache == nil {
		h.cache = NewChunkCache(0)
	}
	if h.stdout == nil {
		h.stdout = io.Discard
	}
	h.out = &lineWriter{w: h.stdout}
	h.stdout = h.out
	if h.stderr == nil {
		h.stderr = io.Discard
	}
	if cfg.Sandbox {
		sfs, err := newSandboxFS(workDir)
		if err != nil {
			return nil, fmt.Errorf("runtime: sandbox: %w", err)
		}
		h.fs = sfs
	} else {
		h.fs = hostFS{dir: workDir}
	}
	h.L = lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		RegistrySize:        registrySize,
		RegistryMaxSize:     registryMaxSize,
		RegistryGrowStep:    registryGrowStep,
		CallStackSize:       callStackSize,
		MinimizeStackMemory: true,
		IncludeGoStackTrace: cfg.IncludeGoStackTrace,
	})
	if err := h.openLibs(); err != nil {
		h.Close()
		return nil, fmt.Errorf("runtime: opening libraries: %w", err)
	}
	env := ModuleEnv{WorkDir: workDir, Sandbox: cfg.Sandbox, Stdout: h.stdout, Stderr: h.stderr,
		OpenFile: h.fs.OpenFile, Rename: h.fs.Rename, Remove: h.fs.Remove}
	for _, m := range modules {
		inst, err := m.Open(h.L, env)
		if err == nil && inst.Loader == nil {
			err = errors.New("no Loader")
		}
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("runtime: module %s: %w", m.Name, err)
		}
		h.modules = append(h.modules, inst)
		h.L.PreloadModule(m.Name, inst.Loader)
	}
	return h, nil
}

// WorkDir returns the absolute working directory of the host.
func (h *Host) WorkDir() string { return h.workDir }

// State returns the host's LState, for callers that drive it directly (a REPL, a test
// runner). The Host's rules apply to it: one goroutine at a time, and it is closed by
// [Host.Close]. Run Lua code through [Host.Do] to get the host's context handling and errors.
func (h *Host) State() *lua.LState { return h.L }

// Cache returns the chunk cache the host compiles through.
func (h *Host) Cache() *ChunkCache { return h.cache }

// Run runs the script read from src under the chunk name name, which error messages and
// tracebacks show and which arg[0] holds. require searches the directory of name first
// (resolved against the working directory; a name without a directory, such as "stdin", means
// the working directory), then Config.LuaPath. The script's arguments are Config.Args.
//
// ctx bounds the run: when it is done the script stops at its next instruction, and Go
// functions that wait watch it through L.Context(). Run returns nil when the script ends, an
// [*ExitError] when it calls os.exit, and a [*ScriptError] when it fails to compile, raises an
// error or is canceled.
func (h *Host) Run(ctx context.Context, name string, src io.Reader) error {
	data, err := io.ReadAll(src)
	if err != nil {
		return fmt.Errorf("runtime: reading %s: %w", name, err)
	}
	return h.run(ctx, name, data)
}

// RunFile runs the script in the file at path, which is also its chunk name; a relative path
// is resolved against the working directory. The file is read by the host, not by the script,
// so the sandbox does not confine it. See [Host.Run].
func (h *Host) RunFile(ctx context.Context, path string) error {
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(h.workDir, full)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return fmt.Errorf("runtime: %w", err)
	}
	return h.run(ctx, path, data)
}

// RunString runs code under the chunk name "<string>". See [Host.Run].
func (h *Host) RunString(ctx context.Context, code string) error {
	return h.run(ctx, "<string>", []byte(code))
}

func (h *Host) run(ctx context.Context, name string, src []byte) error {
	if h.L == nil {
		return ErrClosed
	}
	fn, err := h.Load(name, src)
	if err != nil {
		return err
	}
	return h.do(ctx, name, func(L *lua.LState) error {
		h.setScript(L, name)
		L.Push(fn)
		for _, a := range h.cfg.Args {
			L.Push(lua.LString(a))
		}
		return L.PCall(len(h.cfg.Args), 0, nil)
	})
}

// Load compiles src under the chunk name name, through the chunk cache, and returns it as a
// function of the host's state, ready for [Host.Do] to call. A compile failure is a
// [*ScriptError] of kind [KindSyntax].
func (h *Host) Load(name string, src []byte) (*lua.LFunction, error) {
	if h.L == nil {
		return nil, ErrClosed
	}
	proto, err := h.cache.Compile(name, src)
	if err != nil {
		return nil, syntaxError(name, src, err)
	}
	return h.L.NewFunctionFromProto(proto), nil
}

// Do runs fn with the host's state set up for a run under ctx: L.Context() is a context derived
// from ctx, os.exit ends the run, and files the scripts wrote are flushed when fn returns. fn
// must call Lua in protected mode (L.PCall, or L.CallByParam with Protect) and return the
// error; Do converts a *lua.ApiError into a [*ScriptError] and an os.exit into an
// [*ExitError]. Other errors of fn come back unchanged. Do is for callers that drive the state
// themselves, such as a batch runner calling a function the script returned; it must not be
// called from inside fn.
func (h *Host) Do(ctx context.Context, fn func(L *lua.LState) error) error {
	return h.do(ctx, "", fn)
}

func (h *Host) do(ctx context.Context, script string, fn func(*lua.LState) error) error {
	switch {
	case h.L == nil:
		return ErrClosed
	case h.running:
		return errors.New("runtime: Host.Do called during a run of the same host")
	}
	L := h.L
	runCtx, cancel := h.limitRun(ctx)
	defer cancel()
	h.running, h.cancel, h.exitCode = true, cancel, nil
	L.SetContext(runCtx)
	defer func() {
		L.RemoveContext()
		L.SetTop(0)
		h.running, h.cancel = false, nil
	}()

	err := fn(L)
	h.io.flush()
	for _, m := range h.modules {
		if m.AfterRun != nil {
			m.AfterRun(L)
		}
	}
	if h.exitCode != nil {
		return &ExitError{Code: *h.exitCode}
	}
	var apiErr *lua.ApiError
	if !errors.As(err, &apiErr) {
		return err
	}
	if apiErr.Type == lua.ApiErrorSyntax {
		return syntaxError(script, nil, apiErr)
	}
	se := runtimeError(L, script, apiErr)
	if ctxErr := ctx.Err(); ctxErr != nil {
		se.Kind = KindCanceled
		se.ctxErr = ctxErr
	} else if le := limitCause(runCtx); le != nil {
		se.stoppedBy(le)
	}
	return se
}

// setScript points arg and package.path at the script about to run.
func (h *Host) setScript(L *lua.LState, name string) {
	args := L.CreateTable(len(h.cfg.Args), len(h.cfg.Interpreter)+1)
	for i, a := range h.cfg.Interpreter {
		args.RawSetInt(i-len(h.cfg.Interpreter), lua.LString(a))
	}
	args.RawSetInt(0, lua.LString(name))
	for i, a := range h.cfg.Args {
		args.RawSetInt(i+1, lua.LString(a))
	}
	L.SetGlobal("arg", args)
	h.setPath(L, filepath.Dir(name))
}

// setPath sets package.path to dir followed by Config.LuaPath or, when Config.PackagePath is
// set, to that with ";;" replaced by ";<default>;" as lua does with LUA_PATH.
func (h *Host) setPath(L *lua.LState, dir string) {
	dirs := append([]string{dir}, h.cfg.LuaPath...)
	patterns := make([]string, 0, 2*len(dirs))
	sep := string(filepath.Separator)
	for _, d := range dirs {
		d = filepath.Clean(d)
		patterns = append(patterns, d+sep+"?.lua", d+sep+"?"+sep+"init.lua")
	}
	path := strings.Join(patterns, ";")
	if h.cfg.PackagePath != "" {
		path = strings.ReplaceAll(h.cfg.PackagePath, ";;", ";"+path+";")
	}
	if pkg, ok := L.GetGlobal("package").(*lua.LTable); ok {
		pkg.RawSetString("path", lua.LString(path))
	}
}

// Close closes the files scripts left open, the module instances (their Closers, in reverse
// order) and the state. It is idempotent and returns the errors of the closers.
func (h *Host) Close() error {
	if h.L == nil {
		return nil
	}
	var errs []error
	if h.io != nil {
		errs = append(errs, h.io.closeAll())
	}
	for i := len(h.modules) - 1; i >= 0; i-- {
		if c := h.modules[i].Closer; c != nil {
			errs = append(errs, c.Close())
		}
	}
	h.L.Close()
	h.L = nil
	if h.fs != nil {
		errs = append(errs, h.fs.Close())
	}
	return errors.Join(errs...)
}
