package lualib

import (
	"context"
	"errors"
	"net/http"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// Error kinds of the err table, as README.md lists them (Lua API reference, Conventions).
const (
	kindHTTP         = "http"
	kindNotFound     = "not_found"
	kindETagMismatch = "etag_mismatch"
	kindNotModified  = "not_modified"
	kindInvalidURL   = "invalid_url"
	kindNotDialURL   = "not_dial_url"
	kindTimeout      = "timeout"
	kindTransport    = "transport"
	kindStream       = "stream"
	kindParse        = "parse"
	kindCanceled     = "canceled"
	kindCredentials  = "credentials"
	kindToolLoop     = "tool_loop"
	kindSchema       = "schema"
)

// errorKind classifies err into one of the kinds above.
func errorKind(err error) string {
	var apiErr *dial.APIError
	switch {
	case errors.Is(err, context.Canceled):
		return kindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, dial.ErrTimeout):
		return kindTimeout
	case errors.Is(err, dial.ErrCredentials):
		return kindCredentials
	case errors.Is(err, dial.ErrToolLoop):
		return kindToolLoop
	case errors.Is(err, dial.ErrSchema):
		return kindSchema
	case errors.Is(err, dial.ErrInvalidURL):
		return kindInvalidURL
	case errors.Is(err, dial.ErrNotDialURL):
		return kindNotDialURL
	case errors.As(err, &apiErr):
		switch {
		case apiErr.DuringStream:
			return kindStream
		case apiErr.StatusCode == http.StatusNotFound:
			return kindNotFound
		case apiErr.StatusCode == http.StatusPreconditionFailed:
			return kindETagMismatch
		case apiErr.StatusCode == http.StatusNotModified:
			return kindNotModified
		}
		return kindHTTP
	case errors.Is(err, dial.ErrTruncated):
		return kindStream
	case errors.Is(err, dial.ErrParse):
		return kindParse
	case errors.Is(err, dial.ErrNotFound):
		return kindNotFound
	}
	return kindTransport
}

// errorMessage is the one-line message of err, with every credential the module knows masked
// (an API error is masked by the client already, but a credential function's own error or a
// transport error is not). The "dial: " prefix that each wrapped layer of a dial error repeats
// is kept only at the start.
func (m *Dial) errorMessage(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	return m.secrets.Redact(strings.ReplaceAll(msg, ": dial: ", ": "))
}

// errorTable builds the err table of a failure: kind, message, retryable, during_stream and,
// for an answer from DIAL, status (absent for an error event without an HTTP status code),
// type, code, param, display_message and retry_after. Its __tostring gives the message, so
// print(err) reads well.
func (m *Dial) errorTable(L *lua.LState, err error) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("kind", lua.LString(errorKind(err)))
	t.RawSetString("message", lua.LString(m.errorMessage(err)))
	t.RawSetString("retryable", lua.LBool(dial.Retryable(err)))
	t.RawSetString("during_stream", lua.LBool(errors.Is(err, dial.ErrDuringStream)))
	var apiErr *dial.APIError
	if errors.As(err, &apiErr) {
		t.RawSetString("message", lua.LString(apiMessage(apiErr)))
		if apiErr.StatusCode != 0 {
			t.RawSetString("status", lua.LNumber(apiErr.StatusCode))
		}
		setString(t, "type", apiErr.Type)
		setString(t, "code", apiErr.Code)
		setString(t, "param", apiErr.Param)
		setString(t, "display_message", apiErr.DisplayMessage)
		if apiErr.RetryAfter > 0 {
			t.RawSetString("retry_after", lua.LNumber(apiErr.RetryAfter.Seconds()))
		}
	}
	L.SetMetatable(t, m.errorMeta(L))
	return t
}

// apiMessage is the server's message of an answer from DIAL or, when the server sent none (a
// 404 or 304 without a body), the request and its status: "GET /v1/files/b/x: 404 Not Found".
func apiMessage(e *dial.APIError) string {
	if e.Message != "" {
		return e.Message
	}
	return strings.TrimPrefix(e.Error(), "dial: ")
}

// errorMeta is the metatable of err tables: __tostring shows the message.
func (m *Dial) errorMeta(L *lua.LState) *lua.LTable {
	if m.errMeta == nil {
		m.errMeta = L.NewTable()
		m.errMeta.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
			t := L.CheckTable(1)
			L.Push(lua.LString(lua.LVAsString(t.RawGetString("kind")) + ": " +
				lua.LVAsString(t.RawGetString("message"))))
			return 1
		}))
	}
	return m.errMeta
}

func setString(t *lua.LTable, key, value string) {
	if value != "" {
		t.RawSetString(key, lua.LString(value))
	}
}

// fail returns the Lua failure triple nil, message, err for err.
func (m *Dial) fail(L *lua.LState, err error) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(m.errorMessage(err)))
	L.Push(m.errorTable(L, err))
	return 3
}

// pushJSON pushes raw decoded as plain Lua values, or fails with a parse error.
func (m *Dial) pushJSON(L *lua.LState, raw []byte) int {
	v, err := luabridge.FromJSON(L, raw)
	if err != nil {
		return m.fail(L, errors.Join(dial.ErrParse, err))
	}
	L.Push(v)
	return 1
}
