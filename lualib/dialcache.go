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
	cache, err := dial.NewCache(dir, time.Duration(ttl*float64(time.Second)))
	if err != nil {
		L.ArgError(o.n, err.Error())
	}
	return dial.WithCache(cache)
}
