package runtime

import (
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
)

// Config configures a [Host], or the workers of [RunBatch]. It is plain data, built in one place from flags; the
// zero value is a trusted host with no output, empty input, no arguments, the process's
// current directory as working directory and the built-in modules.
type Config struct {
	// Stdout receives print, io.write and io.stdout. Nil discards. Hosts that run at the same
	// time (the workers of a batch) share it, so it must then be safe for concurrent use; each print call is
	// one Write.
	Stdout io.Writer
	// Stderr receives io.stderr and the standard error of commands run by os.execute and
	// io.popen. Nil discards. The same sharing rule as Stdout applies.
	Stderr io.Writer
	// Stdin is read by io.read, io.lines(), io.stdin and loadfile() without a name. Nil reads
	// as empty. Each host reads it through a buffer of its own, so hosts that run at the same
	// time interleave reads unpredictably: give a batch a nil Stdin.
	Stdin io.Reader
	// Args are the script's arguments: arg[1..n] and the ... of the main chunk. arg[0] is the
	// script's name as given to Run or RunFile.
	Args []string
	// Interpreter is the command line before the script name, as at negative indices of the
	// lua binary's arg: the last element is arg[-1]. Nil leaves negative indices empty.
	Interpreter []string
	// Sandbox selects the sandbox profile: no os.execute, io.popen, io.tmpfile, os.getenv or
	// os.tmpname; io.open, io.lines, io.input, io.output, loadfile, dofile, require,
	// os.remove and os.rename confined to WorkDir (symbolic links and ".." included); debug
	// reduced to debug.traceback. The default (false) is the trusted profile, with io and os as
	// in the lua binary.
	Sandbox bool
	// WorkDir is the directory relative file names are resolved against, in both profiles, and
	// the only directory a sandboxed script can reach. Empty means the process's current
	// directory when the host is created.
	WorkDir string
	// LuaPath lists extra directories that require searches after the script's own directory,
	// relative ones resolved against WorkDir.
	LuaPath []string
	// PackagePath, when not empty, is package.path as the lua binary takes it from LUA_PATH:
	// ";"-separated patterns with "?" for the module name, where ";;" stands for the default
	// path (the script's directory, then LuaPath). The host reads no environment variable
	// itself; the command passes LUA_PATH here.
	PackagePath string
	// Modules are preloaded in every state after the built-in modules (json), so scripts load
	// them with require. Names must be unique, also against the built-in ones.
	Modules []Module
	// Cache holds compiled chunks. Hosts that share one skip compiling a script or module
	// another host compiled. Nil gives each Host a cache of its own; the workers of a
	// [RunBatch] with a nil Cache share one.
	Cache *ChunkCache
	// MemoryLimit caps the Go heap, in bytes, during a run: when a sample of the heap (taken
	// every few milliseconds) passes it, the run stops with a [*LimitError], and string.rep,
	// string.format and table.concat raise "not enough memory" rather than build a result
	// that would not fit. The heap is the process's, shared by every host, so the limit bounds
	// all the scripts running at once, and one operation may pass it by its own size before
	// the run stops. 0 means [DefaultSandboxMemoryLimit] under Sandbox and no limit
	// otherwise; a negative value means no limit.
	MemoryLimit int64
	// TimeLimit bounds each run (Host.Run, RunFile, RunString, Do): when it expires the run
	// stops with a [*LimitError], at the next instruction or as soon as the Go function it
	// waits in (a request, a stream) returns. Zero means no limit.
	TimeLimit time.Duration
	// IncludeGoStackTrace adds the Go stack to errors that come from a Go panic.
	IncludeGoStackTrace bool
}

// Module is a Lua module that a host preloads into each of its states, so scripts load it with
// require(Name). Register modules through [Config.Modules]; nothing registers itself.
type Module struct {
	// Name is what scripts pass to require.
	Name string
	// Open prepares the module for one state. It is called once per state, when the host
	// creates it, on the goroutine that creates the host and before any script runs; the
	// returned Loader is then called by the first require(Name) of each run that needs it
	// (package.loaded keeps the result). An error fails [New] or the pool job that needed a
	// new state.
	Open func(L *lua.LState, env ModuleEnv) (Instance, error)
}

// ModuleEnv is what a module may use of the host that opens it, so that it follows the host's
// profile: a module that reads or writes local files opens them with OpenFile, and so stays in
// the working directory under the sandbox.
type ModuleEnv struct {
	// WorkDir is the host's absolute working directory.
	WorkDir string
	// Sandbox reports whether the host runs the sandbox profile.
	Sandbox bool
	// Stdout and Stderr are the host's output streams; never nil.
	Stdout, Stderr io.Writer
	// OpenFile opens a file as io.open does: a relative name is relative to WorkDir, and in
	// the sandbox a name outside WorkDir fails with a [*SandboxError]. The caller closes the
	// file. It is safe to call from any goroutine.
	OpenFile func(name string, flag int, perm os.FileMode) (*os.File, error)
	// Rename and Remove act as os.rename and os.remove do, under the same rules as OpenFile.
	Rename func(oldName, newName string) error
	Remove func(name string) error
}

// Instance is a module prepared for one state.
type Instance struct {
	// Loader builds the module's value (usually a table) and pushes it: an lua.LGFunction
	// registered in package.preload. Required.
	Loader lua.LGFunction
	// AfterRun, when not nil, is called on the state's goroutine at the end of every run on
	// the state (Host.Run, RunFile, RunString, Do), whatever the outcome, before the state can
	// be reused. A module releases there what a run may have left open, such as a stream the
	// script broke out of.
	AfterRun func(L *lua.LState)
	// Closer, when not nil, is closed once when the state is closed (Host.Close), after the
	// last run, in the reverse order of Config.Modules.
	Closer io.Closer
}

// Preload returns a module whose loader needs no per-state preparation.
func Preload(name string, loader lua.LGFunction) Module {
	return Module{Name: name, Open: func(*lua.LState, ModuleEnv) (Instance, error) {
		return Instance{Loader: loader}, nil
	}}
}

// builtinModules is the one list of modules every host has, before Config.Modules.
func builtinModules() []Module {
	return []Module{
		Preload("json", luabridge.JSON{}.Loader),
	}
}
