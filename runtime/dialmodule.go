package runtime

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/lualib"
)

// DialModule returns the `dial` module configured by cfg, for [Config.Modules]. Every state
// gets its own module instance; all of them share cfg, and so its connection pool.
func DialModule(cfg *lualib.DialConfig) Module {
	return Module{Name: "dial", Open: func(L *lua.LState, env ModuleEnv) (Instance, error) {
		m := lualib.NewDial(cfg, lualib.LocalFiles{Open: env.OpenFile, Rename: env.Rename, Remove: env.Remove})
		return Instance{Loader: m.Loader, AfterRun: m.AfterRun, Closer: m}, nil
	}}
}
