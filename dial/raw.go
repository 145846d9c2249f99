package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// RawRequest is a request to any DIAL endpoint, for [Client.Do].
type RawRequest struct {
	// Method is the HTTP method, such as "GET" or "POST".
	Method string
	// Path is relative to the base URL and already escaped, such as "v1/user/info" or
	// "v1/ops/resource/share/list", optionally with a query.
	Path string
	// Query is added to the query of Path.
	Query url.Values
	// Body, when not nil, is sent as it is. The request is then replayable, so it is retried
	// like any other.
	Body []byte
	// ContentType is the Content-Type of Body; empty means application/json.
	ContentType string
}

// RawResponse is the answer of [Client.Do]: a 2xx status, its headers and the whole body.
type RawResponse struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Do sends a request to any DIAL endpoint and returns the answer as received: an escape hatch
// for endpoints this package has no method for. The call has the client's authentication,
// retries, timeouts and error handling: a status outside 2xx is an [*APIError] with the
// credentials masked, and a path that could leave the server root is an [ErrInvalidURL].
func (c *Client) Do(ctx context.Context, req RawRequest, opts ...CallOption) (*RawResponse, error) {
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	if err := checkRawPath(req.Path); err != nil {
		return nil, err
	}
	if req.Method == "" || strings.ContainsAny(req.Method, " \t\r\n") {
		return nil, invalidURL(req.Path, "invalid method %q", req.Method)
	}
	r := &request{method: req.Method, path: req.Path, query: req.Query, cc: cc}
	if req.Body != nil {
		r.body = jsonBody(req.Body)
		if req.ContentType != "" {
			if err := checkHeaderValue(req.ContentType); err != nil {
				return nil, invalidURL(req.Path, "content type: %v", err)
			}
			r.body.contentType = req.ContentType
		}
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &RawResponse{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// DoJSON sends a request to any DIAL endpoint and returns the response body as received, as
// [Client.Do] does. path is relative to the base URL and already escaped, such as
// "v1/user/info", optionally with a query. body, when not nil, must be JSON and is sent as
// application/json. An empty response body returns nil.
func (c *Client) DoJSON(ctx context.Context, method, path string, body json.RawMessage, opts ...CallOption) (json.RawMessage, error) {
	if body != nil && !validJSON(body) {
		return nil, invalidURL(path, "request body is not valid JSON")
	}
	resp, err := c.Do(ctx, RawRequest{Method: method, Path: path, Body: body}, opts...)
	if err != nil {
		return nil, err
	}
	data := bytes.TrimSpace(resp.Body)
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
