// Package runtime is the Lua host of dialua: it builds LStates with the libraries opened on
// purpose, runs scripts under a context, turns their failures into Go errors, and runs many
// scripts at once on a pool of states.
//
// # Libraries
//
// Every state opens package, base, table, string, math, coroutine, io, os and debug, then
// preloads the built-in modules (json) and [Config.Modules]; scripts load modules with require.
// Functions that would act on the whole process are replaced in both profiles:
//
//   - print, io.write and io.stdout/io.stderr/io.stdin use [Config.Stdout], Stderr and Stdin;
//   - os.exit(code) ends the script only: the run returns an [*ExitError] with the code, and
//     a pcall around os.exit does not stop it;
//   - collectgarbage does nothing (it would stop every script in the process);
//   - os.setenv is absent (it would change the environment of every script);
//   - require, dofile and loadfile read files through the host and its [ChunkCache];
//     package.path is the script's directory and [Config.LuaPath], or [Config.PackagePath];
//   - relative file names are relative to [Config.WorkDir], not to the process's directory;
//   - LState.SetMx is never used.
//
// The channel library is not opened. The trusted profile (the default) keeps the rest of io,
// os and debug as in the lua binary. The sandbox profile ([Config.Sandbox]) removes
// os.execute, os.getenv, os.tmpname, io.popen, io.tmpfile and every debug function except
// debug.traceback (they are nil, so `if os.getenv then` works), and confines io.open, io.lines,
// io.input, io.output, loadfile, dofile, require, os.remove and os.rename to the working
// directory; a path outside it, through "..", or through a symbolic link that leads outside
// fails with a [*SandboxError] message. load and loadstring stay: they compile strings only.
//
// # Runs and contexts
//
// [Host.Run], [Host.RunFile], [Host.RunString] and [Host.Do] take a context. The state's
// context (L.Context()) is derived from it for the length of the run, so a canceled or expired
// context stops a busy loop at its next instruction. gopher-lua does not interrupt a Go function,
// so every Go function that waits must watch the context itself; modules get it with
// [luabridge.Context].
//
// # Errors
//
// A run returns nil, an [*ExitError] (os.exit), or a [*ScriptError] with the chunk name, line,
// message and Lua traceback, whose Kind tells a syntax error from a runtime error and from a
// canceled run. [ExitCode] maps them to the exit codes of the CLI: 2 for syntax errors, 1 for
// other failures.
//
// # REPL and batch
//
// [Host.REPL] is the interactive loop of the lua binary on a host's state: expressions print
// their values ([Pretty]), incomplete chunks continue, Tab completes ([Complete]) and an
// interrupt cancels the running statement. [RunBatch] runs the function a script returns over
// every record of a JSONL file or folder on several hosts, appending one JSON line per record
// to a crash-safe, resumable output.
//
// # Memory
//
// The data stack (registry) of a state starts small and grows up to 8 Mi slots, so long
// answers collected into a table and joined with table.concat fit. [Config.MemoryLimit]
// (1 GiB by default under the sandbox) stops a run when the process's heap passes it, and makes
// string.rep, string.format and table.concat raise "not enough memory" rather than build a
// result that would not fit; [Config.TimeLimit] bounds the length of each run. A run stopped
// by a limit fails with a [*LimitError] cause.
package runtime
