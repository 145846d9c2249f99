package runtime

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
)

// openLibs opens the standard libraries of the host's profile and replaces the functions that
// would act on the whole process (print, os.exit, collectgarbage, os.execute with the process's
// streams, io on os.Stdout) with ones bound to this host.
func (h *Host) openLibs() error {
	L := h.L
	libs := []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage}, // first: the others register into package.loaded
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
		{lua.OsLibName, lua.OpenOs},
		{lua.DebugLibName, lua.OpenDebug},
	}
	for _, lib := range libs {
		err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.open), Protect: true},
			lua.LString(lib.name))
		if err != nil {
			return err
		}
	}
	h.openBase(L)
	openLua51(L)
	h.openPackage(L)
	h.openOS(L)
	h.openDebug(L)
	h.openMemoryChecks(L)
	h.io = openIO(h, L)
	return nil
}

func (h *Host) openBase(L *lua.LState) {
	g := L.G.Global
	g.RawSetString("print", L.NewFunction(h.print))
	g.RawSetString("collectgarbage", L.NewFunction(collectGarbage))
	g.RawSetString("dofile", L.NewFunction(h.dofile))
	g.RawSetString("loadfile", L.NewFunction(h.loadfile))
	g.RawSetString("loadstring", L.NewFunction(loadString))
	g.RawSetString("load", L.NewFunction(load))
	g.RawSetString("_printregs", lua.LNil) // a gopher-lua debugging aid that prints to os.Stdout
}

// print writes its arguments to Config.Stdout, converted by tostring and separated by tabs,
// in one Write.
func (h *Host) print(L *lua.LState) int {
	top := L.GetTop()
	buf := make([]byte, 0, 64)
	for i := 1; i <= top; i++ {
		if i > 1 {
			buf = append(buf, '\t')
		}
		buf = append(buf, toString(L, L.Get(i))...)
	}
	buf = append(buf, '\n')
	_, _ = h.stdout.Write(buf) // as in lua.c, a failing stdout does not stop the script
	return 0
}

// collectGarbage accepts the options of Lua 5.1 and does nothing: Go's collector manages the
// memory, and runtime.GC would stop every script in the process.
func collectGarbage(L *lua.LState) int {
	switch opt := L.OptString(1, "collect"); opt {
	case "count":
		L.Push(lua.LNumber(0))
	case "step":
		L.Push(lua.LTrue)
	case "collect", "stop", "restart", "setpause", "setstepmul", "isrunning":
		L.Push(lua.LNumber(0))
	default:
		L.ArgError(1, "invalid option '"+opt+"'")
	}
	return 1
}

// loadChunk compiles the file name (the host's stdin when name is empty) through the chunk
// cache. Errors are messages in the form Lua shows them.
func (h *Host) loadChunk(L *lua.LState, name string) (*lua.LFunction, string) {
	var src []byte
	var err error
	chunk := name
	if name == "" {
		chunk = "stdin"
		src, err = io.ReadAll(h.io.stdinReader())
	} else {
		src, err = readFile(h.fs, name)
	}
	if err != nil {
		return nil, "cannot open " + chunk + ": " + errorText(err)
	}
	proto, err := h.cache.Compile(chunk, src)
	if err != nil {
		return nil, syntaxError(chunk, src, err).Message
	}
	return L.NewFunctionFromProto(proto), ""
}

// errorText drops the operation and path Go puts in front of file errors, since the Lua
// message names the file already; a sandbox refusal keeps its whole explanation.
func errorText(err error) string {
	var se *SandboxError
	if errors.As(err, &se) {
		return se.Error()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (h *Host) loadfile(L *lua.LState) int {
	fn, msg := h.loadChunk(L, L.OptString(1, ""))
	if fn == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	L.Push(fn)
	return 1
}

func (h *Host) dofile(L *lua.LState) int {
	top := L.GetTop()
	fn, msg := h.loadChunk(L, L.OptString(1, ""))
	if fn == nil {
		L.RaiseError("%s", msg)
	}
	L.Push(fn)
	L.Call(0, lua.MultRet)
	return L.GetTop() - top
}

// openPackage makes require load Lua files through the host's file system and chunk cache,
// from package.path, which every run sets to the script's directory and Config.LuaPath.
func (h *Host) openPackage(L *lua.LState) {
	pkg := L.GetGlobal("package").(*lua.LTable)
	if loaders, ok := pkg.RawGetString("loaders").(*lua.LTable); ok {
		loaders.RawSetInt(2, L.NewFunction(h.loadModule))
	}
	pkg.RawSetString("cpath", lua.LString(""))
	h.setPath(L, ".")
}

// loadModule is the file searcher of require: it returns the loaded chunk, or a string listing
// the files it tried.
func (h *Host) loadModule(L *lua.LState) int {
	name := L.CheckString(1)
	path, _ := L.GetField(L.GetGlobal("package"), "path").(lua.LString)
	file := strings.ReplaceAll(name, ".", string(filepath.Separator))
	var tried []string
	for _, pattern := range strings.Split(string(path), ";") {
		if pattern == "" {
			continue
		}
		p := strings.ReplaceAll(pattern, "?", file)
		src, err := readFile(h.fs, p)
		if err != nil {
			var se *SandboxError
			switch {
			case errors.As(err, &se):
				tried = append(tried, "no file '"+p+"' (outside the working directory)")
				continue
			case errors.Is(err, fs.ErrNotExist):
				tried = append(tried, "no file '"+p+"'")
				continue
			}
			L.RaiseError("error loading module '%s' from file '%s': %s", name, p, errorText(err))
		}
		proto, err := h.cache.Compile(p, src)
		if err != nil {
			L.RaiseError("error loading module '%s': %s", name, syntaxError(p, src, err).Message)
		}
		L.Push(L.NewFunctionFromProto(proto))
		return 1
	}
	L.Push(lua.LString(strings.Join(tried, "\n\t")))
	return 1
}

// openOS binds os.exit, os.execute, os.remove and os.rename to the host, removes os.setenv
// (it would change the environment of every script in the process) and, in the sandbox,
// removes what reaches the process or its environment, so `if os.getenv then` sees nil.
func (h *Host) openOS(L *lua.LState) {
	osLib := L.GetGlobal("os").(*lua.LTable)
	osLib.RawSetString("exit", L.NewFunction(h.osExit))
	osLib.RawSetString("remove", L.NewFunction(h.osRemove))
	osLib.RawSetString("rename", L.NewFunction(h.osRename))
	osLib.RawSetString("setenv", lua.LNil)
	if h.cfg.Sandbox {
		for _, name := range []string{"execute", "getenv", "tmpname"} {
			osLib.RawSetString(name, lua.LNil)
		}
		return
	}
	osLib.RawSetString("execute", L.NewFunction(h.osExecute))
}

// osExit ends the run: it records the code, cancels the run's context, so that the VM stops at
// its next instruction even if a pcall catches the error raised here, and raises.
func (h *Host) osExit(L *lua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case *lua.LNilType:
	case lua.LBool:
		if !v {
			code = 1
		}
	case lua.LNumber:
		code = int(v)
	default:
		L.ArgError(1, "number or boolean expected")
	}
	h.exitCode = &code
	if h.cancel != nil {
		h.cancel()
	}
	L.RaiseError("exit status %d", code)
	return 0
}

func (h *Host) osRemove(L *lua.LState) int {
	name := L.CheckString(1)
	return fileResult(L, name, h.fs.Remove(name))
}

func (h *Host) osRename(L *lua.LState) int {
	oldName, newName := L.CheckString(1), L.CheckString(2)
	return fileResult(L, oldName, h.fs.Rename(oldName, newName))
}

// fileResult pushes true, or nil and "name: reason" as Lua's file functions do.
func fileResult(L *lua.LState, name string, err error) int {
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(name + ": " + errorText(err)))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

// osExecute runs a shell command in the working directory with the host's streams and returns
// its exit status (Lua 5.1); without a command it returns 1, "a shell is available".
func (h *Host) osExecute(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.Push(lua.LNumber(1))
		return 1
	}
	cmd := h.shell(luabridge.Context(L), L.CheckString(1))
	cmd.Stdout, cmd.Stderr = h.stdout, h.stderr
	L.Push(lua.LNumber(exitStatus(cmd.Run())))
	return 1
}

// shell returns the command that runs line in the system shell, in the working directory, with
// the host's stdin when it is a file. The process is killed when ctx is done.
func (h *Host) shell(ctx context.Context, line string) *exec.Cmd {
	var cmd *exec.Cmd
	if goruntime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd.exe", "/c", line)
	} else {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", line)
	}
	cmd.Dir = h.workDir
	if f, ok := h.cfg.Stdin.(*os.File); ok {
		cmd.Stdin = f
	}
	return cmd
}

func exitStatus(err error) int {
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr) && exitErr.ExitCode() > 0:
		return exitErr.ExitCode()
	}
	return 1
}

// openDebug keeps the debug library of the trusted profile; the sandbox keeps only
// debug.traceback (for xpcall handlers) and removes the rest, since the others reach into
// other functions' locals, upvalues and environments.
func (h *Host) openDebug(L *lua.LState) {
	if !h.cfg.Sandbox {
		return
	}
	dbg := L.GetGlobal("debug").(*lua.LTable)
	var names []string
	dbg.ForEach(func(k, _ lua.LValue) {
		if name, ok := k.(lua.LString); ok && name != "traceback" {
			names = append(names, string(name))
		}
	})
	for _, name := range names {
		dbg.RawSetString(name, lua.LNil)
	}
}
