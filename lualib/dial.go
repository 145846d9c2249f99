package lualib

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"time"
	"unicode"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
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
// Handles (clients, pools, files, streams) are Go values exposed through gopher-luar with
// snake_case method names; data cross as plain tables in DIAL's wire names, through the JSON
// bridge of this package.
type Dial struct {
	cfg   *DialConfig
	files LocalFiles

	// thread runs the current module call: the state or one of its coroutines.
	// Credential functions run on it.
	thread *lua.LState

	defaultClient lua.LValue           // the handle dial.default() returns
	pools         []*dial.Pool         // pools scripts made with dial.pool{}
	streams       map[*Stream]struct{} // streams a run may leave open
	errMeta       *lua.LTable          // metatable of err tables
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
	return &Dial{cfg: cfg, files: files, streams: map[*Stream]struct{}{}}
}

// Loader builds the module table: default, client, pool, path.join and template.
func (m *Dial) Loader(L *lua.LState) int {
	cfg := luar.GetConfig(L)
	cfg.MethodNames = methodNames
	cfg.FieldNames = fieldNames
	wrapHandleTypes(L)
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"default":  m.defaultFn,
		"client":   m.clientFn,
		"pool":     m.poolFn,
		"template": m.template,
	})
	path := L.NewTable()
	L.SetFuncs(path, map[string]lua.LGFunction{"join": m.pathJoin})
	t.RawSetString("path", path)
	L.Push(t)
	return 1
}

// AfterRun closes the streams the finished run left open, such as one a script broke out of.
func (m *Dial) AfterRun(L *lua.LState) {
	for s := range m.streams {
		s.close()
	}
}

// Close closes the pools scripts created. Clients of the shared pool need no closing.
func (m *Dial) Close() error {
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

// handleTypes are the Go types exposed as handles, with the names their errors use and the
// name a method call is written with ("client.files" in client.files:upload(…)).
var handleTypes = []struct {
	v          any
	name, recv string
}{
	{(*Client)(nil), "dial client", "client"}, {(*Files)(nil), "dial files", "client.files"},
	{(*Pool)(nil), "dial pool", "pool"}, {(*Stream)(nil), "dial stream", "stream"},
	{(*Session)(nil), "dial session", "session"}, {(*Prompts)(nil), "dial prompts", "client.prompts"},
	{(*Shares)(nil), "dial shares", "client.shares"}, {(*Invitations)(nil), "dial invitations", "client.invitations"},
	{(*Permissions)(nil), "dial permissions", "client.permissions"},
}

// wrapHandleTypes makes the luar metatables of the handle types raise an error naming an
// unknown method or field, instead of gopher-luar's "attempt to call a non-function object",
// and makes a method called with '.' instead of ':' say so, instead of gopher-luar's message
// about Go types.
func wrapHandleTypes(L *lua.LState) {
	for _, h := range handleTypes {
		what := h.name
		mt := luar.MT(L, h.v)
		if mt.RawGetString(wrappedKey) == lua.LTrue {
			continue // the module was loaded before in this state
		}
		mt.RawSetString(wrappedKey, lua.LTrue)
		checkSelf(L, mt.RawGetString("methods"), reflect.TypeOf(h.v), h.recv)
		index := mt.RawGetString("__index")
		mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			L.Push(index)
			L.Push(L.Get(1))
			L.Push(L.Get(2))
			L.Call(2, 1)
			if L.Get(-1) == lua.LNil {
				L.RaiseError("%s has no method or field '%s'", what, L.Get(2).String())
			}
			return 1
		}))
	}
}

// checkSelf replaces every method in the luar methods table with one that first checks that
// its first argument is a handle of type self, raising "client.files:upload: called with '.';
// use ':' (client.files:upload(…))" otherwise.
func checkSelf(L *lua.LState, methods lua.LValue, self reflect.Type, recv string) {
	t, ok := methods.(*lua.LTable)
	if !ok {
		return
	}
	wrapped := map[lua.LValue]lua.LValue{}
	t.ForEach(func(k, v lua.LValue) {
		fn, ok := v.(*lua.LFunction)
		if !ok || !fn.IsG {
			return
		}
		call := recv + ":" + k.String()
		// The wrapper carries the method's upvalues, where luar keeps the Go function.
		up := make([]lua.LValue, len(fn.Upvalues))
		for i, uv := range fn.Upvalues {
			up[i] = uv.Value()
		}
		wrapped[k] = L.NewClosure(func(L *lua.LState) int {
			if ud, ok := L.Get(1).(*lua.LUserData); !ok || reflect.TypeOf(ud.Value) != self {
				L.RaiseError("%s: called with '.'; use ':' (%s(…))", call, call)
			}
			return fn.GFunction(L)
		}, up...)
	})
	for k, v := range wrapped {
		t.RawSet(k, v)
	}
}

// wrappedKey marks a luar metatable that wrapHandleTypes changed.
const wrappedKey = "dialua_wrapped"

// methodNames exposes Go methods in snake_case ("ChatMany" → "chat_many"); String stays
// hidden (it drives tostring).
func methodNames(_ reflect.Type, m reflect.Method) []string {
	if m.Name == "String" {
		return nil
	}
	return []string{snake(m.Name)}
}

// fieldNames exposes exported fields in snake_case.
func fieldNames(_ reflect.Type, f reflect.StructField) []string {
	return []string{snake(f.Name)}
}

// snake converts a Go name to snake_case: "DeploymentConfiguration" → "deployment_configuration",
// "BaseURL" → "base_url".
func snake(name string) string {
	var sb strings.Builder
	runes := []rune(name)
	for i, r := range runes {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && unicode.IsLower(runes[i-1])
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if i > 0 && (prevLower || (nextLower && unicode.IsUpper(runes[i-1]))) {
				sb.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// defaultFn is dial.default(): the client the host configured (flags and environment), the
// same handle on every call in a state.
func (m *Dial) defaultFn(L *lua.LState) int {
	if m.defaultClient == nil {
		d := m.cfg.Default
		if d.BaseURL == "" {
			L.RaiseError("dial.default: no DIAL URL is configured (set --url or DIAL_URL)")
		}
		if d.APIKey == "" && d.BearerToken == "" {
			L.RaiseError("dial.default: no DIAL credentials are configured (set --api-key or DIAL_API_KEY, " +
				"or --bearer-token or DIAL_BEARER_TOKEN)")
		}
		var opts []dial.Option
		if d.APIKey != "" {
			opts = append(opts, dial.WithAPIKey(d.APIKey))
		}
		if d.BearerToken != "" {
			opts = append(opts, dial.WithBearerToken(d.BearerToken))
		}
		opts = append(opts, m.commonOptions(d.APIVersion, d.Timeout, d.MaxRetries, d.Headers)...)
		c, err := m.cfg.Pool.NewClient(d.BaseURL, opts...)
		if err != nil {
			L.RaiseError("dial.default: %s", errorMessage(err))
		}
		m.defaultClient = luar.New(L, m.newClient(c))
	}
	L.Push(m.defaultClient)
	return 1
}

// commonOptions are the client options shared by dial.default() and dial.client{}.
func (m *Dial) commonOptions(apiVersion string, timeout time.Duration, maxRetries int, headers map[string]string) []dial.Option {
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
	if m.cfg.Logger != nil {
		opts = append(opts, dial.WithLogger(m.cfg.Logger))
	}
	if m.cfg.Secrets != nil {
		opts = append(opts, dial.WithSecrets(m.cfg.Secrets))
	}
	return opts
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
		"max_retries", "headers")
	base := o.str("base_url")
	if base == "" {
		L.ArgError(n, "option 'base_url' is required")
	}
	if err := dial.CheckBaseURL(base); err != nil {
		L.ArgError(n, errorMessage(err))
	}
	if o.t.RawGetString("api_key") == lua.LNil && o.t.RawGetString("bearer_token") == lua.LNil {
		L.ArgError(n, "no credentials: set api_key, bearer_token, or a credential function")
	}
	var opts []dial.Option
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
	opts = append(opts, m.commonOptions(o.str("api_version"), time.Duration(timeout*float64(time.Second)),
		retries, headers)...)
	c, err := p.NewClient(base, opts...)
	if err != nil {
		L.ArgError(n, errorMessage(err))
	}
	L.Push(luar.New(L, m.newClient(c)))
	return 1
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
	L.Push(luar.New(L, &Pool{m: m, p: p}))
	return 1
}

// Pool is the handle of a connection pool a script made with dial.pool{}.
type Pool struct {
	m *Dial
	p *dial.Pool
}

// Client is pool:client{…}: a client that draws connections from this pool.
func (p *Pool) Client(L *luar.LState) int {
	return p.m.makeClient(L.LState, 1, p.p)
}

// Close is pool:close(): its clients fail afterwards.
func (p *Pool) Close(L *luar.LState) int {
	p.p.Close()
	L.Push(lua.LTrue)
	return 1
}

// String is what tostring shows.
func (p *Pool) String() string { return "dial.pool" }

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
