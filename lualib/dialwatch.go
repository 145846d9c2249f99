package lualib

import (
	"time"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// Watch is client:watch(urls, fn [, {on_connect, max_reconnects, wait_min, wait_max, idle}]): it
// subscribes to changes of the items urls (a URL or an array of URLs) and calls fn(event),
// event being {url, action = "CREATE"|"UPDATE"|"DELETE", timestamp, etag?}, on the script's
// thread, until fn returns false (watch then returns true) or the script's context ends.
// on_connect() is called each time the subscription is established, before its events. The
// watch reconnects after a dropped stream, waiting wait_min to wait_max seconds (1 to 30),
// at most max_reconnects times in a row (no bound by default), and also after idle seconds
// without an event or a heartbeat (90 by default; negative: never). An error fn or
// on_connect raises ends the watch and is raised again.
func (c *clientHandle) Watch(L *luar.LState) int {
	m := c.m
	defer m.enter(L.LState)()
	urls := stringList(L.LState, 1, L.Get(1), "urls")
	if len(urls) == 0 {
		L.ArgError(1, "at least one URL expected")
	}
	fn := L.CheckFunction(2)
	o := optionsArg(L.LState, 3, "on_connect", "max_reconnects", "wait_min", "wait_max", "idle")
	cb := &callbacks{m: m, L: L.LState}
	var opts dial.WatchOptions
	if f := o.function("on_connect"); f != nil {
		opts.OnConnect = func() bool {
			if _, err := cb.call(f); err != nil {
				cb.keep(err)
				return false
			}
			return true
		}
	}
	if n, ok := o.number("max_reconnects"); ok {
		opts.MaxReconnects = int(n)
	}
	seconds := func(key string) time.Duration {
		n, _ := o.number(key)
		return time.Duration(n * float64(time.Second))
	}
	opts.WaitMin, opts.WaitMax, opts.Idle = seconds("wait_min"), seconds("wait_max"), seconds("idle")
	err := c.c.Watch(luabridge.Context(L.LState), urls, func(e dial.ResourceEvent) bool {
		v, err := luabridge.FromJSON(L.LState, e.Raw)
		if err == nil {
			v, err = cb.call(fn, v)
		}
		if err != nil {
			cb.keep(err)
			return false
		}
		return v != lua.LFalse
	}, opts)
	cb.reraise()
	if err != nil {
		return m.fail(L.LState, err)
	}
	L.Push(lua.LTrue)
	return 1
}
