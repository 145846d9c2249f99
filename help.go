package main

import (
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"
	lua "github.com/yuin/gopher-lua"
)

// commandHelp holds the help text of each subcommand. Every form of asking prints the same
// text on stdout and exits 0: dialua COMMAND -h, dialua COMMAND --help, dialua -h COMMAND and
// dialua help COMMAND.
var commandHelp = map[string]func(*command) string{
	"run": runHelp, "repl": replHelp, "batch": batchHelp, "serve": serveHelp, "help": helpHelp,
	"ask": askHelp, "config": configHelp, "logs": logsHelp, "chat": chatHelp,
}

// help is `dialua help [COMMAND]`.
func (c *command) help(args []string) int {
	fs := helpFlagSet()
	if code, ok := c.parse(fs, args, helpHelp); !ok {
		return code
	}
	switch args := fs.Args(); {
	case len(args) == 0:
		fmt.Fprint(c.stdout, mainHelp(c))
	case len(args) > 1:
		return c.usageError(fmt.Sprintf("help takes one command (got %q)", args))
	case commandHelp[args[0]] == nil:
		return c.usageError(fmt.Sprintf(
			"no help for %q: the commands are ask, chat, config, run, repl, batch, serve, logs and help", args[0]))
	default:
		fmt.Fprint(c.stdout, commandHelp[args[0]](c))
	}
	return exitOK
}

// helpFlagSet returns the flags of dialua help: only -h and --help.
func helpFlagSet() *pflag.FlagSet {
	return newFlagSet("dialua help", false, func(*pflag.FlagSet) {})
}

// parse parses args into fs. It returns ok when the command should go on; otherwise the exit
// code: 0 after -h or --help, for which it prints help's text on stdout, and 2 after a usage
// error, which it reports as one line.
func (c *command) parse(fs *pflag.FlagSet, args []string, help func(*command) string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		return c.usageError(err.Error()), false
	}
	if helpRequested(fs) {
		fmt.Fprint(c.stdout, help(c))
		return exitOK, false
	}
	return 0, true
}

// helpRequested reports whether fs, once parsed, was given -h or --help.
func helpRequested(fs *pflag.FlagSet) bool {
	f := fs.Lookup("help")
	return f != nil && f.Changed && f.Value.String() == "true"
}

// flagUsages returns the flag lines of a help text.
func flagUsages(c *command, name string, top bool) string {
	return (&options{}).flagSet(name, top).FlagUsagesWrapped(100)
}

const environmentHelp = `Environment:
  DIAL_URL, DIAL_API_KEY, DIAL_BEARER_TOKEN, DIAL_API_VERSION, DIAL_PROFILE
      the defaults of --url, --api-key, --bearer-token, --api-version and --profile; flags
      win, and both win over the profile of the configuration file (see dialua config).
  With no DIAL URL, scripts talk to the embedded DIAL emulator, and a notice on stderr says so
  before the script runs (not with --quiet).
`

const exitHelp = `Exit status: 0 success, 1 script or API failure, 2 usage or syntax error
(a missing script too), 130 interrupted; os.exit(n) in a script gives n.
`

// mainHelp is the text of dialua --help.
func mainHelp(c *command) string {
	return `dialua runs Lua scripts that talk to AI DIAL: chat (streamed or not), files,
deployments, applications, fan-out and batch pipelines. README.md has the command and
Lua API reference.

Usage:
  dialua ask [-m DEPLOYMENT] [PROMPT...]
                                       ask one question, the answer streamed to stdout
  dialua config [flags]                print the DIAL settings in effect and their sources
  dialua [flags] [SCRIPT [ARGS...]]    run SCRIPT, as the lua binary does
  dialua run [flags] SCRIPT [ARGS...]  the same, by name
  dialua repl [flags]                  interactive Lua with the dial module loaded
  dialua chat -m DEPLOYMENT [flags]    chat with a deployment, as a DIAL conversation
  dialua batch SCRIPT --input FILE|DIR --output FILE [flags]
                                       run the function SCRIPT returns over many records
  dialua batch merge SRC --to DEST --input IN
                                       merge the parts a batch wrote into one file
  dialua serve [flags]                 run the DIAL emulator as a server
  dialua logs [-n N] [--json] [-q TEXT]
                                       list and search the prompt log
  dialua help [COMMAND]                help on a command

SCRIPT "-" reads the script from standard input, and so does no SCRIPT when standard input is
not a terminal; on a terminal, no SCRIPT and no -e start the REPL. Everything after SCRIPT is
the script's: arg[1], arg[2], ... and the ... of the main chunk. A first line starting with
"#" (#!/usr/bin/env dialua) is skipped.

Flags:
` + flagUsages(c, "dialua", true) + "\n" + environmentHelp + "\n" + exitHelp
}

// runHelp is the text of dialua run --help.
func runHelp(c *command) string {
	return `Usage: dialua run [flags] SCRIPT [ARGS...]

Runs SCRIPT ("-" for standard input) with ARGS as its arg table, after the -e and -l chunks in
the order given. Flags after SCRIPT belong to the script.

Flags:
` + flagUsages(c, "dialua run", false) + "\n" + environmentHelp + "\n" + exitHelp
}

// replHelp is the text of dialua repl --help.
func replHelp(c *command) string {
	return `Usage: dialua repl [flags]

Interactive Lua, as the lua binary's: an expression prints its value (tables pretty-printed),
"=expr" too, an unfinished statement continues on the ">>" prompt. dial and json are loaded as
globals; _ holds the first value printed and _2, _3, ... the others (a big table after the first
prints as a note naming its global). Tab completes globals, fields (dial.) and methods
(client:). Ctrl-C interrupts a running request or stream and returns to the prompt, or clears
the line; Ctrl-D exits. History is kept in dialua/history in the user's configuration
directory, without the lines that contain a credential or assign one (api_key = ...).
With standard input not a terminal, the lines are read from it with no prompt, and the first
statement that fails ends the REPL (exit status 1, 2 for a syntax error), as lua < FILE does.

Flags:
` + flagUsages(c, "dialua repl", false) + "\n" + environmentHelp
}

// serveHelp is the text of dialua serve --help.
func serveHelp(*command) string {
	fs, _, _, _ := serveFlagSet()
	return `Usage: dialua serve [--addr 127.0.0.1:8080] [--config FILE] [--data DIR]

Runs the embedded DIAL emulator as a server for developing scripts offline: deployments,
applications, chat (streamed), embeddings and file storage, with DIAL Core's authentication.
It prints its URL and the keys it accepts, and serves until Ctrl-C.

Flags:
` + fs.FlagUsagesWrapped(100)
}

// helpHelp is the text of dialua help --help.
func helpHelp(*command) string {
	return `Usage: dialua help [COMMAND]

Prints the help of COMMAND (ask, config, run, repl, batch, serve or help), or of dialua without
one. The same text comes from dialua COMMAND --help, dialua COMMAND -h and dialua -h COMMAND.

Flags:
` + helpFlagSet().FlagUsagesWrapped(100)
}

// versionString returns "dialua VERSION (Lua 5.1 on gopher-lua VERSION, GOVERSION)".
func versionString() string {
	version, luaVersion := "(devel)", "(unknown)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		} else {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					version = "(devel " + s.Value[:12] + ")"
				}
			}
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/yuin/gopher-lua" {
				luaVersion = d.Version
			}
		}
	}
	return fmt.Sprintf("dialua %s (%s on gopher-lua %s, %s)", version,
		strings.TrimSpace(lua.LuaVersion), luaVersion, goruntime.Version())
}
