package lualib

import (
	"errors"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/dial"
)

// cacheOption is the client option of a dial.client{} table's cache and cache_ttl: cache =
// true keeps responses in dial.DefaultCacheDir (created when missing), a string in that
// directory, which must exist (a relative name is relative to the working directory); cache_ttl is in seconds (default: for ever). The directory is
// checked as io.open checks a name, so the sandbox refuses one outside the working
// directory. Nil when the table asks for no cache.
func (m *Dial) cacheOption(L *lua.LState, o optionTable) dial.Option {
	var dir string
	v := o.t.RawGetString("cache")
	if !lua.LVAsBool(v) {
		if o.t.RawGetString("cache_ttl") != lua.LNil {
			L.ArgError(o.n, "option 'cache_ttl' needs option 'cache'")
		}
		return nil
	}
	switch v := v.(type) {
	case lua.LBool:
		d, err := dial.DefaultCacheDir()
		if err != nil {
			L.ArgError(o.n, err.Error())
		}
		dir = d
	case lua.LString:
		dir = string(v)
	default:
		L.ArgError(o.n, "option 'cache' must be true or a directory, got "+v.Type().String())
	}
	f, err := m.files.Open(dir, os.O_RDONLY, 0)
	if err == nil {
		dir = f.Name() // resolved as io.open resolves it: relative to the working directory
		f.Close()
	} else if o.t.RawGetString("cache") == lua.LTrue && errors.Is(err, os.ErrNotExist) {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		L.ArgError(o.n, "option 'cache': "+err.Error())
	}
	ttl, _ := o.number("cache_ttl")
	if ttl < 0 {
		L.ArgError(o.n, "option 'cache_ttl' must not be negative")
	}
	return dial.WithCache(m.openCache(L, o.n, cacheSpec{dir, time.Duration(ttl * float64(time.Second))}))
}

// cacheSpec is what a dial.client{} table asks of a cache: its resolved directory and ttl.
type cacheSpec struct {
	dir string
	ttl time.Duration
}

// openCache returns the state's cache of spec, opened at its first use and counted in the
// run's usage (cfg.Usage) then: the clients a state makes share one cache of each spec, so the
// caches counted are at most the states times the specs, however many clients scripts make. A
// failure to open raises as an error of argument n.
func (m *Dial) openCache(L *lua.LState, n int, spec cacheSpec) *dial.Cache {
	if c := m.caches[spec]; c != nil {
		return c
	}
	c, err := dial.NewCache(spec.dir, spec.ttl)
	if err != nil {
		L.ArgError(n, err.Error())
	}
	if m.caches == nil {
		m.caches = map[cacheSpec]*dial.Cache{}
	}
	m.caches[spec] = c
	if m.cfg.Usage != nil {
		m.cfg.Usage.CountCache(c)
	}
	return c
}
