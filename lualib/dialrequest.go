package lualib

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// Request is client:request{method, path, query, body, headers}: any DIAL endpoint, with the
// client's credentials, retries and masking. method defaults to "GET"; path is relative to
// the server root and already escaped ("v1/user/info"); query maps names to a value or a list
// of values; body is a table sent as JSON or a string sent as it is (with the Content-Type of
// headers, application/json by default). Returns the answer (decoded when it is JSON, else
// the body as a string; see decodeJSON), the status and the response headers (lower-case
// names, repeated values joined with ", "); a status outside 2xx is a failure, nil, message,
// err.
func (c *clientHandle) Request(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	L.CheckTable(1)
	o := optionsArg(L.LState, 1, "method", "path", "query", "body", "headers")
	req := dial.RawRequest{Method: strings.ToUpper(o.str("method")), Path: o.str("path")}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	if req.Path == "" {
		L.ArgError(1, "'path' is required")
	}
	req.Query = queryValues(L.LState, o.t.RawGetString("query"))
	opts := o.headers()
	if h, ok := o.t.RawGetString("headers").(*lua.LTable); ok {
		h.ForEach(func(k, v lua.LValue) {
			if strings.EqualFold(k.String(), "Content-Type") {
				req.ContentType = lua.LVAsString(v)
			}
		})
	}
	switch b := o.t.RawGetString("body").(type) {
	case *lua.LNilType:
	case lua.LString:
		req.Body = []byte(b)
	case *lua.LTable:
		raw, err := luabridge.ToJSON(L.LState, b)
		if err != nil {
			L.ArgError(1, "'body': "+err.Error())
		}
		req.Body = raw
	default:
		L.ArgError(1, "'body' must be a table or a string, got "+b.Type().String())
	}
	resp, err := c.c.Do(luabridge.Context(L.LState), req, opts...)
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	var value lua.LValue = lua.LString(resp.Body)
	if decodeJSON(resp.Header.Get("Content-Type"), resp.Body) {
		if value, err = luabridge.FromJSON(L.LState, resp.Body); err != nil {
			return c.m.fail(L.LState, errors.Join(dial.ErrParse, err))
		}
	}
	L.Push(value)
	L.Push(lua.LNumber(resp.StatusCode))
	headers := L.NewTable()
	for name, values := range resp.Header {
		headers.RawSetString(strings.ToLower(name), lua.LString(strings.Join(values, ", ")))
	}
	L.Push(headers)
	return 3
}

// decodeJSON reports whether client:request decodes a body: a non-empty one whose
// Content-Type is JSON (application/json or a +json type), or that has no Content-Type and is
// valid JSON (DIAL sends stored conversations and prompts without one).
func decodeJSON(contentType string, body []byte) bool {
	if len(bytes.TrimSpace(body)) == 0 {
		return false
	}
	if contentType == "" {
		return json.Valid(body)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// queryValues reads a query table: names to a string, number or boolean, or a list of them.
func queryValues(L *lua.LState, v lua.LValue) url.Values {
	if v == lua.LNil {
		return nil
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		L.ArgError(1, "'query' must be a table of name = value")
	}
	q := url.Values{}
	scalar := func(name string, v lua.LValue) {
		switch v.Type() {
		case lua.LTString, lua.LTNumber, lua.LTBool:
			q.Add(name, v.String())
		default:
			L.ArgError(1, "'query': "+name+" must be a string, number, boolean or a list of them")
		}
	}
	t.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		if !ok {
			L.ArgError(1, "'query' must map names to values")
		}
		if list, isList := v.(*lua.LTable); isList {
			for i := 1; i <= list.Len(); i++ {
				scalar(string(name), list.RawGetInt(i))
			}
			return
		}
		scalar(string(name), v)
	})
	return q
}
