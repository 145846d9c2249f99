package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"
)

// Chat sends a chat completion to deployment (a model or application id; custom application
// ids such as "applications/<bucket>/folder/app" keep their '/') and returns the complete
// answer. The request is sent with "stream": false. Errors are [*APIError] for HTTP errors,
// [URLError] for an invalid id, and wrapped transport, timeout and context errors.
func (c *Client) Chat(ctx context.Context, deployment string, req ChatRequest, opts ...CallOption) (*ChatResponse, error) {
	body, err := marshalBody(req)
	if err != nil {
		return nil, err
	}
	data, r, err := c.chatBlock(ctx, deployment, body, opts)
	if err != nil {
		return nil, err
	}
	var resp ChatResponse
	if err := unmarshalWire(data, &resp); err != nil {
		return nil, parseError(r.method, c.base.Path+r.path, err)
	}
	return &resp, nil
}

// ChatRaw is [Client.Chat] for a request body built elsewhere (from a Lua table, say): body
// must be a JSON object and is sent as it is, with "stream" set to false. It returns the
// response body exactly as received, after checking that it is JSON.
func (c *Client) ChatRaw(ctx context.Context, deployment string, body json.RawMessage, opts ...CallOption) (json.RawMessage, error) {
	data, r, err := c.chatBlock(ctx, deployment, body, opts)
	if err != nil {
		return nil, err
	}
	if !validJSON(data) {
		return nil, parseError(r.method, c.base.Path+r.path, errNotJSON)
	}
	return data, nil
}

func (c *Client) chatBlock(ctx context.Context, deployment string, body []byte, opts []CallOption) ([]byte, *request, error) {
	r, err := c.deploymentRequest(deployment, "chat/completions", body, false, opts)
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	data, err := c.cachedCall(ctx, r, deployment, body)
	c.chatEnd(ctx, ChatEndInfo{Deployment: deployment, Request: body, Response: data, Err: err}, start)
	return data, r, err
}

// chatEnd reports a chat completion begun at start to the observers' ChatEnd.
func (c *Client) chatEnd(ctx context.Context, info ChatEndInfo, start time.Time) {
	if c.cfg.obs.chat {
		info.Elapsed = time.Since(start)
		c.cfg.obs.joined.ChatEnd(ctx, info)
	}
}

// ChatStream sends a chat completion with "stream": true and returns its chunks as they
// arrive. An HTTP error before the first event is returned here as an [*APIError]; later
// failures end the stream (see [Stream]). The caller must Close the stream. ctx governs the
// whole stream.
//
// A deployment that ignores "stream" and answers with one JSON body is handled too: the
// stream then has a single chunk holding the whole answer.
func (c *Client) ChatStream(ctx context.Context, deployment string, req ChatRequest, opts ...CallOption) (*Stream[ChatChunk], error) {
	body, err := marshalBody(req)
	if err != nil {
		return nil, err
	}
	return c.ChatStreamRaw(ctx, deployment, body, opts...)
}

// ChatStreamRaw is [Client.ChatStream] for a request body built elsewhere: body must be a
// JSON object and is sent as it is, with "stream" set to true. Each chunk's Raw holds the
// event data exactly as received.
func (c *Client) ChatStreamRaw(ctx context.Context, deployment string, body json.RawMessage, opts ...CallOption) (*Stream[ChatChunk], error) {
	return openChatStream(ctx, c, deployment, body, opts, decodeChunk,
		func(ch ChatChunk) bool { return ch.FinishReason() != "" })
}

// ChatStreamJSON is [Client.ChatStreamRaw] for callers that decode the chunks themselves
// (into Lua tables, say): each chunk is its JSON as received, parsed once, for [ChatMerge],
// but not decoded into types. Errors are those of ChatStreamRaw, except that a chunk whose
// members have unexpected types is not one. A caller that merges the chunks without keeping
// them reads them with [Stream.Peek], which spares the copy of each chunk that Current makes.
func (c *Client) ChatStreamJSON(ctx context.Context, deployment string, body json.RawMessage, opts ...CallOption) (*Stream[ChunkJSON], error) {
	s, err := openChatStream(ctx, c, deployment, body, opts, chunkJSONDecoder(), ChunkJSON.finished)
	if err != nil {
		return nil, err
	}
	s.own = ChunkJSON.own
	return s, nil
}

// openChatStream sends a streamed chat completion and reads its chunks with decode; finished
// reports a chunk with a finish_reason.
func openChatStream[T any](ctx context.Context, c *Client, deployment string, body json.RawMessage,
	opts []CallOption, decode func([]byte) (T, error), finished func(T) bool) (*Stream[T], error) {
	r, err := c.deploymentRequest(deployment, "chat/completions", body, true, opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := c.send(ctx, r)
	if err != nil {
		c.chatEnd(ctx, ChatEndInfo{Deployment: deployment, Stream: true, Request: body, Err: err}, start)
		return nil, err
	}
	path := c.base.Path + r.path
	rc := resp.Body
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
		rc, err = blockAsStream(rc, r.method, path)
		if err != nil {
			return nil, err
		}
	}
	onEnd := c.logStreamEnd(ctx, r.method, c.base.Path+r.pathOnly(), start)
	if c.cfg.obs.chat {
		decode, onEnd = mergeForChatEnd(c, ctx, deployment, body, start, decode, onEnd)
	}
	s := newStream(rc, c.cfg.maxLine, r.method, path, c.cfg.secrets, decode, finished)
	s.onEnd = onEnd
	return s, nil
}

// mergeForChatEnd returns the chunk decoder and the end function of a chat stream whose
// end is reported to ChatEnd: the decoder also merges every chunk it decodes (a second parse,
// only while an observer wants ChatEnd), and the end function calls onEnd, then ChatEnd with
// the merged response.
func mergeForChatEnd[T any](c *Client, ctx context.Context, deployment string, body []byte, start time.Time,
	decode func([]byte) (T, error), onEnd func(streamEnd)) (func([]byte) (T, error), func(streamEnd)) {
	var acc ChatMerge
	merged := 0
	mergingDecode := func(data []byte) (T, error) {
		v, err := decode(data)
		if err == nil {
			if ch, cerr := decodeChunkJSON(data); cerr == nil && acc.Add(ch) == nil {
				merged++
			}
		}
		return v, err
	}
	end := func(e streamEnd) {
		onEnd(e)
		info := ChatEndInfo{Deployment: deployment, Stream: true, Request: body, Err: e.err}
		if merged > 0 {
			info.Response, _ = acc.JSON()
		}
		c.chatEnd(ctx, info, start)
	}
	return mergingDecode, end
}

// decodeChunk decodes a chunk in one pass; its errors are encoding/json's (see
// [unmarshalExtra]).
func decodeChunk(data []byte) (ChatChunk, error) {
	var ch ChatChunk
	err := unmarshalWire(data, &ch)
	return ch, err
}

// blockAsStream reads a JSON chat response and returns it as an SSE body of one chunk.
func blockAsStream(body io.ReadCloser, method, path string) (io.ReadCloser, error) {
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, parseError(method, path, err)
	}
	if _, isErr := m["error"]; !isErr {
		var choices []map[string]json.RawMessage
		if err := json.Unmarshal(m["choices"], &choices); err == nil {
			for _, ch := range choices {
				if msg, ok := ch["message"]; ok {
					ch["delta"] = msg
					delete(ch, "message")
				}
			}
			m["choices"], _ = json.Marshal(choices)
		}
		m["object"] = json.RawMessage(`"chat.completion.chunk"`)
		if data, err = json.Marshal(m); err != nil {
			return nil, parseError(method, path, err)
		}
	}
	var buf bytes.Buffer
	buf.WriteString("data: ")
	buf.Write(data)
	buf.WriteString("\n\ndata: [DONE]\n\n")
	return io.NopCloser(&buf), nil
}

// deploymentRequest builds a POST to openai/deployments/{id}/{endpoint} with the api-version
// and "stream" set.
func (c *Client) deploymentRequest(deployment, endpoint string, body []byte, stream bool, opts []CallOption) (*request, error) {
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	id, err := escapeID("deployment", deployment)
	if err != nil {
		return nil, err
	}
	if endpoint == "chat/completions" {
		if body, err = setStream(body, stream); err != nil {
			return nil, err
		}
	} else if !isJSONObject(body) {
		return nil, errors.New("dial: request body must be a JSON object")
	}
	r := &request{
		method: http.MethodPost,
		path:   "openai/deployments/" + id + "/" + endpoint,
		body:   jsonBody(body),
		cc:     cc,
	}
	if v := firstNonEmpty(cc.apiVersion, c.cfg.apiVersion); v != "" {
		r.query = url.Values{"api-version": {v}}
	}
	if stream {
		r.header = http.Header{"Accept": {"text/event-stream"}}
	}
	return r, nil
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// setStream returns the JSON object body with its "stream" member set.
func setStream(body []byte, stream bool) ([]byte, error) {
	if !isJSONObject(body) {
		return nil, errors.New("dial: request body must be a JSON object")
	}
	val := []byte("false")
	if stream {
		val = []byte("true")
	}
	has := false
	if mayName(body, "stream") {
		_ = eachMember(body, func(key, _ []byte) {
			if string(key) == "stream" {
				has = true
			}
		})
	}
	if has {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		m["stream"] = val
		return json.Marshal(m)
	}
	body = bytes.TrimSpace(body)
	out := make([]byte, 0, len(body)+16)
	out = append(out, body[:len(body)-1]...)
	if len(bytes.TrimSpace(body[1:len(body)-1])) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"stream":`...)
	out = append(out, val...)
	return append(out, '}'), nil
}

// isJSONObject reports whether b is a valid JSON object.
func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) >= 2 && b[0] == '{' && validJSON(b)
}
