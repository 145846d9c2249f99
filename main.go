// Command dialua runs Lua scripts against AI DIAL: `dialua script.lua`, `dialua -e CODE`,
// the interactive `dialua repl`, and `dialua serve`, the embedded DIAL emulator as a server.
// Run `dialua --help` for the flags, and see README.md.
package main

import (
	"context"
	"io"
	"os"
)

func main() {
	ctx, stop := processContext()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args (without the program name) and returns the exit code:
// 0 on success, 1 for a script or API failure, 2 for a usage or syntax error, 130 when
// interrupted, or the code a script passed to os.exit. The DIAL settings come from the flags
// and then from the process's environment.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newCommand(stdin, stdout, stderr, os.Getenv).main(ctx, args)
}
