package dial

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// bookSchema is the schema of the extraction tests.
const bookSchema = `{"type":"object","properties":{"title":{"type":"string"},"year":{"type":"integer"}},` +
	`"required":["title","year"],"additionalProperties":false}`

// bookRequest asks for a book's fields.
func bookRequest(maxAttempts int) ExtractRequest {
	return ExtractRequest{Messages: []Message{{Role: RoleUser, Content: "Dune, 1965"}},
		Schema: json.RawMessage(bookSchema), MaxAttempts: maxAttempts}
}

// answerFirst makes the first n chat requests to deployment get content as the answer; later
// ones reach the emulator. It returns the bodies of the requests, as [captureChat] does.
func answerFirst(srv *emulatortest.Server, deployment string, n int64, content string) func() [][]byte {
	var seen atomic.Int64
	body, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion", "choices": []any{
		map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content}}}})
	fixed := emulatortest.JSON(200, string(body))
	return captureChatTo(srv, deployment, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			fixed.ServeHTTP(w, r)
			return
		}
		srv.Emulator.ServeHTTP(w, r)
	}))
}

// sentMessages decodes the messages of a captured chat request body.
func sentMessages(t *testing.T, body []byte) []Message {
	t.Helper()
	var req ChatRequest
	require.NoError(t, json.Unmarshal(body, &req))
	return req.Messages
}

func TestExtractFirstTry(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	bodies := captureChat(srv, "gpt-4o")
	doc, resp, err := c.Extract(t.Context(), "gpt-4o", bookRequest(0))
	require.NoError(t, err)
	assert.JSONEq(t, `{"title":"example","year":1}`, string(doc))
	require.NotNil(t, resp)
	assert.Equal(t, string(doc), resp.Text())
	require.Len(t, bodies(), 1)
	var sent struct {
		ResponseFormat map[string]any `json:"response_format"`
	}
	require.NoError(t, json.Unmarshal(bodies()[0], &sent))
	assert.Equal(t, map[string]any{"type": "json_schema", "json_schema": map[string]any{
		"name": "extract", "strict": true, "schema": mustDecode(t, bookSchema)}}, sent.ResponseFormat)
}

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

func TestExtractRepairsInvalidJSON(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "sloppy", InvalidJSONFirst: 1}))
	c, _ := newTestClient(t, srv)
	bodies := captureChat(srv, "sloppy")
	var seen []*ChatResponse
	req := bookRequest(0)
	req.OnResponse = func(r *ChatResponse) { seen = append(seen, r) }
	doc, resp, err := c.Extract(t.Context(), "sloppy", req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"title":"example","year":1}`, string(doc))
	require.Len(t, seen, 2, "OnResponse sees every attempt")
	assert.Same(t, resp, seen[1])
	require.Len(t, bodies(), 2)
	msgs := sentMessages(t, bodies()[1])
	require.Len(t, msgs, 3)
	assert.Equal(t, RoleAssistant, msgs[1].Role)
	assert.Equal(t, seen[0].Text(), msgs[1].Content, "the model sees its own answer")
	assert.Equal(t, RoleUser, msgs[2].Role)
	assert.Contains(t, msgs[2].Content, "invalid JSON")
}

func TestExtractRepairsSchemaViolation(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	bodies := answerFirst(srv, "echo", 1, `{"title":"Dune","year":"1965"}`)
	c, _ := newTestClient(t, srv)
	doc, _, err := c.Extract(t.Context(), "echo", bookRequest(2))
	require.NoError(t, err)
	assert.JSONEq(t, `{"title":"example","year":1}`, string(doc))
	require.Len(t, bodies(), 2)
	msgs := sentMessages(t, bodies()[1])
	require.Len(t, msgs, 3)
	assert.Equal(t, `{"title":"Dune","year":"1965"}`, msgs[1].Content)
	assert.Contains(t, msgs[2].Content, "at /year: got string, want integer")
}

func TestExtractGivesUp(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	bodies := answerFirst(srv, "echo", 5, `{"title":7,"year":1965,"isbn":"x"}`)
	c, _ := newTestClient(t, srv)
	var n int
	req := bookRequest(2)
	req.OnResponse = func(*ChatResponse) { n++ }
	doc, resp, err := c.Extract(t.Context(), "echo", req)
	assert.Nil(t, doc)
	require.ErrorIs(t, err, ErrSchema)
	var se *SchemaError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, 2, se.Attempts)
	assert.Len(t, bodies(), 2, "MaxAttempts bounds the requests")
	assert.Equal(t, 2, n)
	assert.ElementsMatch(t, []string{"at /: additional properties 'isbn' not allowed",
		"at /title: got number, want string"}, se.Errors)
	assert.Equal(t, `{"title":7,"year":1965,"isbn":"x"}`, se.Answer)
	require.NotNil(t, resp, "the last response comes with the error")
	assert.Equal(t, se.Answer, resp.Text())
	assert.Contains(t, err.Error(), "after 2 attempts")

	srv = emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "sloppy", InvalidJSONFirst: 9}))
	c, _ = newTestClient(t, srv)
	_, _, err = c.Extract(t.Context(), "sloppy", bookRequest(0))
	require.True(t, errors.As(err, &se))
	assert.Equal(t, DefaultMaxAttempts, se.Attempts)
	require.Len(t, se.Errors, 1)
	assert.Contains(t, se.Errors[0], "invalid JSON: ")
}

func TestExtractRefusesBadRequests(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	bad := map[string]ExtractRequest{
		"not a schema":      {Messages: bookRequest(0).Messages, Schema: json.RawMessage(`{"type":5}`)},
		"not JSON":          {Messages: bookRequest(0).Messages, Schema: json.RawMessage(`{"type":`)},
		"missing":           {Messages: bookRequest(0).Messages},
		"foreign reference": {Messages: bookRequest(0).Messages, Schema: json.RawMessage(`{"$ref":"file:///etc/passwd"}`)},
		"no messages":       {Schema: json.RawMessage(bookSchema)},
		"negative attempts": {Messages: bookRequest(0).Messages, Schema: json.RawMessage(bookSchema), MaxAttempts: -1},
	}
	for name, req := range bad {
		_, resp, err := c.Extract(t.Context(), "gpt-4o", req)
		assert.ErrorIs(t, err, ErrInvalidSchema, name)
		assert.NotErrorIs(t, err, ErrSchema, name)
		assert.Nil(t, resp, name)
	}
	assert.Equal(t, 0, srv.Emulator.Requests("gpt-4o"), "nothing is sent")
}
