package main

import (
	"context"
	"time"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/lualib"
	"github.com/dialua/dialua/runtime"
)

// batch is `dialua batch SCRIPT --input … --output … [flags] [-- ARGS…]` (see batchCommand):
// the connection flags parse among the batch's own, and the DIAL side is the same session as
// run's. Flags given before "batch" (such as --sandbox) apply too.
func (c *command) batch(ctx context.Context, o *options, args []string) int {
	return batchCommand(ctx, args, c.stdout, c.stderr, batchEnv{
		Flags: o.connectionFlags,
		Session: func(ctx context.Context, pool dial.PoolOptions,
			fn func(*lualib.DialConfig) int) int {
			return c.sessionWith(ctx, o, pool, func(s *session) int { return fn(s.dial) })
		},
		Runtime: runtime.Config{Stdout: c.stdout, Stderr: c.stderr, Sandbox: o.sandbox,
			PackagePath: c.getenv("LUA_PATH"),
			MemoryLimit: o.memoryLimit(), TimeLimit: time.Duration(o.maxTime)},
		Terminal: c.isTerminal(c.stderr),
	})
}
