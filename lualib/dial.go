package lualib

import (
	"errors"
	"os"
	"slices"
	"time"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/internal/luathread"
)

// LocalFiles is how the module reaches local files: as the host's io.open, os.rename and
// os.remove do (relative to the working directory, confined to it in the sandbox). Nil
// functions use the os package.
type LocalFiles struct {
	Open   func(name string, flag int, perm os.FileMode) (*os.File, error)
	Rename func(oldName, newName string) error
	Remove func(name string) error
}

// Dial is the `dial` Lua module of one state. Create one per state with NewDial; it is used
// only on that state's goroutine.
//
// Handles (clients, pools, files, streams, sessions) are Go values with the Lua methods their
// lists in dialhandles.go name; data cross as plain tables in DIAL's wire names, through the
// JSON bridge of package luabridge.
type Dial struct {
	cfg   *DialConfig
	files LocalFiles
	// secrets is cfg.Secrets, or a set of this module's own when that is nil: every client
	// the module makes shares it, and the module's error messages are masked with it.
	secrets *dial.Secrets

	// thread runs the current module call: the state or one of its coroutines.
	// Credential functions run on it.
	thread *lua.LState
	// threads run the script functions dial calls call (see callback).
	threads luathread.Pool

	defaultClient lua.LValue                 // the handle dial.default() returns
	pools         []*dial.Pool               // pools scripts made with dial.pool{}
	streams       map[*streamHandle]struct{} // streams a run may leave open
	scripted      map[*dial.Client]bool      // clients whose credentials are Lua functions
	caches        map[cacheSpec]*dial.Cache  // response caches scripts opened (see cacheOption)
	errMeta       *lua.LTable                // metatable of err tables
}

// NewDial returns the dial module for one state, configured by cfg (shared by every state)
// and reaching local files through files.
func NewDial(cfg *DialConfig, files LocalFiles) *Dial {
	if files.Open == nil {
		files.Open = os.OpenFile
	}
	if files.Rename == nil {
		files.Rename = os.Rename
	}
	if files.Remove == nil {
		files.Remove = os.Remove
	}
	secrets := cfg.Secrets
	if secrets == nil {
		secrets = &dial.Secrets{}
	}
	return &Dial{cfg: cfg, files: files, secrets: secrets, streams: map[*streamHandle]struct{}{}}
}

// Loader builds the module table: default, client, pool, path.join, template and check.
func (m *Dial) Loader(L *lua.LState) int {
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"default":  m.defaultFn,
		"client":   m.clientFn,
		"pool":     m.poolFn,
		"template": m.template,
		"check":    m.check,
	})
	path := L.NewTable()
	L.SetFuncs(path, map[string]lua.LGFunction{"join": m.pathJoin})
	t.RawSetString("path", path)
	L.Push(t)
	return 1
}

// AfterRun closes the streams the finished run left open, such as one a script broke out of,
// unless DialConfig.KeepStreams keeps them.
func (m *Dial) AfterRun(L *lua.LState) {
	if !m.cfg.KeepStreams {
		m.closeStreams()
	}
}

// closeStreams closes the streams left open.
func (m *Dial) closeStreams() {
	for s := range m.streams {
		s.close()
	}
}

// Close closes the streams left open and the pools scripts created. Clients of the shared
// pool need no closing.
func (m *Dial) Close() error {
	m.closeStreams()
	var errs []error
	for _, p := range m.pools {
		errs = append(errs, p.Close())
	}
	m.pools = nil
	return errors.Join(errs...)
}

// enter records L as the thread of the current call and returns a function restoring the
// previous one, for calls that re-enter Lua.
func (m *Dial) enter(L *lua.LState) func() {
	prev := m.thread
	m.thread = L
	return func() { m.thread = prev }
}

// defaultFn is dial.default(): the client the host configured (flags and environment), the
// same handle on every call in a state.
func (m *Dial) defaultFn(L *lua.LState) int {
	if m.defaultClient == nil {
		if m.cfg.Default == nil {
			L.RaiseError("dial.default: no DIAL connection is configured")
		}
		c, err := m.cfg.Default()
		if err != nil {
			L.RaiseError("dial.default: %s", m.errorMessage(err))
		}
		m.defaultClient = m.newClient(L, c)
	}
	L.Push(m.defaultClient)
	return 1
}

// clientFn is dial.client{…}: a client of the shared pool.
func (m *Dial) clientFn(L *lua.LState) int {
	return m.makeClient(L, 1, m.cfg.Pool)
}

// makeClient builds a client from the options table at argument n, in pool p.
func (m *Dial) makeClient(L *lua.LState, n int, p *dial.Pool) int {
	if L.Get(n).Type() != lua.LTTable {
		L.ArgError(n, "options table expected")
	}
	o := optionsArg(L, n, "base_url", "api_key", "bearer_token", "api_version", "timeout",
		"max_retries", "headers", "cache", "cache_ttl")
	base := o.str("base_url")
	if base == "" {
		L.ArgError(n, "option 'base_url' is required")
	}
	if err := dial.CheckBaseURL(base); err != nil {
		L.ArgError(n, m.errorMessage(err))
	}
	if o.t.RawGetString("api_key") == lua.LNil && o.t.RawGetString("bearer_token") == lua.LNil {
		L.ArgError(n, "no credentials: set api_key, bearer_token, or a credential function")
	}
	opts := append(slices.Clone(m.cfg.ClientOptions), dial.WithSecrets(m.secrets))
	scripted := false
	for _, cred := range []struct {
		key    string
		static func(string) dial.Option
		fn     func(dial.CredentialFunc) dial.Option
	}{
		{"api_key", dial.WithAPIKey, dial.WithAPIKeyFunc},
		{"bearer_token", dial.WithBearerToken, dial.WithBearerTokenFunc},
	} {
		switch v := o.t.RawGetString(cred.key).(type) {
		case *lua.LNilType:
		case lua.LString:
			opts = append(opts, cred.static(string(v)))
		case *lua.LFunction:
			opts = append(opts, cred.fn(m.credential(v)))
			scripted = true
		default:
			L.ArgError(n, "option '"+cred.key+"' must be a string or a function, got "+v.Type().String())
		}
	}
	timeout, _ := o.number("timeout")
	retries := -1
	if r, ok := o.number("max_retries"); ok {
		retries = int(r)
	}
	headers := map[string]string{}
	switch h := o.t.RawGetString("headers").(type) {
	case *lua.LNilType:
	case *lua.LTable:
		h.ForEach(func(k, v lua.LValue) {
			if k.Type() != lua.LTString || v.Type() != lua.LTString {
				L.ArgError(n, "option 'headers' must map header names to strings")
			}
			headers[k.String()] = v.String()
		})
	default:
		L.ArgError(n, "option 'headers' must be a table")
	}
	opts = append(opts, scriptOptions(o.str("api_version"), time.Duration(timeout*float64(time.Second)),
		retries, headers)...)
	opts = append(opts, m.cacheOption(L, o))
	c, err := p.NewClient(base, opts...)
	if err != nil {
		L.ArgError(n, m.errorMessage(err))
	}
	if scripted {
		m.markScripted(c)
	}
	L.Push(m.newClient(L, c))
	return 1
}

// scriptOptions are the client options of a dial.client{} table's api_version, timeout,
// max_retries and headers; zero values (negative maxRetries) leave the dial defaults.
func scriptOptions(apiVersion string, timeout time.Duration, maxRetries int, headers map[string]string) []dial.Option {
	var opts []dial.Option
	if apiVersion != "" {
		opts = append(opts, dial.WithAPIVersion(apiVersion))
	}
	if timeout > 0 {
		opts = append(opts, dial.WithTimeout(timeout))
	}
	if maxRetries >= 0 {
		opts = append(opts, dial.WithMaxRetries(maxRetries))
	}
	for k, v := range headers {
		opts = append(opts, dial.WithHeader(k, v))
	}
	return opts
}

// poolFn is dial.pool{max_connections = n}: a pool of its own, closed with the state.
func (m *Dial) poolFn(L *lua.LState) int {
	o := optionsArg(L, 1, "max_connections", "idle_timeout", "connect_timeout")
	var po dial.PoolOptions
	if n, ok := o.number("max_connections"); ok {
		if n < 1 {
			L.ArgError(1, "option 'max_connections' must be at least 1")
		}
		po.MaxConnsPerHost = int(n)
		po.MaxIdleConnsPerHost = int(n)
	}
	if s, ok := o.number("idle_timeout"); ok {
		po.IdleConnTimeout = time.Duration(s * float64(time.Second))
	}
	if s, ok := o.number("connect_timeout"); ok {
		po.ConnectTimeout = time.Duration(s * float64(time.Second))
	}
	p := dial.NewPool(po)
	m.pools = append(m.pools, p)
	L.Push(poolType.new(L, &poolHandle{m: m, p: p}))
	return 1
}

// poolHandle is the handle of a connection pool a script made with dial.pool{}.
type poolHandle struct {
	m *Dial
	p *dial.Pool
}

// Client is pool:client{…}: a client that draws connections from this pool.
func (p *poolHandle) Client(L *luar.LState) int {
	return p.m.makeClient(L.LState, 1, p.p)
}

// Close is pool:close(): its clients fail afterwards.
func (p *poolHandle) Close(L *luar.LState) int {
	p.p.Close()
	L.Push(lua.LTrue)
	return 1
}

// String is what tostring shows.
func (p *poolHandle) String() string { return "dial.pool" }

// pathJoin is dial.path.join(base, …): base is a storage URL, the rest plain names whose
// segments are percent-encoded once; a trailing '/' on the last one makes a folder URL.
func (m *Dial) pathJoin(L *lua.LState) int {
	base := L.CheckString(1)
	elems := make([]string, 0, L.GetTop()-1)
	for i := 2; i <= L.GetTop(); i++ {
		elems = append(elems, L.CheckString(i))
	}
	u, err := dial.ParseStorageURL(base)
	if err == nil && len(elems) > 0 {
		u, err = u.AsFolder().Join(elems...)
	}
	if err != nil {
		return m.fail(L, err)
	}
	L.Push(lua.LString(u.String()))
	return 1
}
