package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
)

// DoJSON sends a request to any DIAL endpoint and returns the response body as received: an
// escape hatch for endpoints this package has no method for (prompts, conversations,
// publications, …). path is relative to the base URL and already escaped, such as
// "v1/user/info" or "v1/ops/resource/share/list", optionally with a query. body, when not
// nil, must be JSON and is sent as application/json. The call has the client's
// authentication, retries, timeouts and error handling. An empty response body returns nil.
func (c *Client) DoJSON(ctx context.Context, method, path string, body json.RawMessage, opts ...CallOption) (json.RawMessage, error) {
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	if err := checkRawPath(path); err != nil {
		return nil, err
	}
	if method == "" || strings.ContainsAny(method, " \t\r\n") {
		return nil, invalidURL(path, "invalid method %q", method)
	}
	r := &request{method: method, path: path, cc: cc}
	if body != nil {
		if !json.Valid(body) {
			return nil, invalidURL(path, "request body is not valid JSON")
		}
		r.body = jsonBody(body)
	}
	data, _, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}

// checkRawPath refuses request paths that could leave the server root or the client's host.
func checkRawPath(path string) error {
	p := path
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	switch {
	case p == "":
		return invalidURL(path, "empty path")
	case strings.Contains(path, "://") || strings.HasPrefix(path, "/"):
		return invalidURL(path, "path must be relative to the base URL")
	}
	for _, seg := range strings.Split(p, "/") {
		d := unescapeLenient(seg)
		if d == "." || d == ".." {
			return invalidURL(path, `"." and ".." segments are not allowed`)
		}
	}
	return nil
}
