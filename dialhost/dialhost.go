// Package dialhost wires the dial Lua module of package lualib into the Lua host of package
// runtime. It is the one place the two meet: runtime knows no particular module and lualib
// knows no host, so only the command and tests import this package.
package dialhost

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/lualib"
	"github.com/dialua/dialua/runtime"
)

// Module returns the `dial` module configured by cfg, for runtime.Config.Modules, as the
// command loads it. Each state the host opens gets its own lualib.Dial, which opens, renames
// and removes local files through the host's ModuleEnv, and so under the host's profile, as
// io.open does; the host calls its AfterRun at the end of every run (closing the streams the
// run left open unless cfg.KeepStreams) and closes it with the state. All the instances share
// cfg, and so its connection pool.
func Module(cfg *lualib.DialConfig) runtime.Module {
	return runtime.Module{Name: "dial", Open: func(L *lua.LState, env runtime.ModuleEnv) (runtime.Instance, error) {
		m := lualib.NewDial(cfg, lualib.LocalFiles{Open: env.OpenFile, Rename: env.Rename, Remove: env.Remove})
		return runtime.Instance{Loader: m.Loader, AfterRun: m.AfterRun, Closer: m}, nil
	}}
}
