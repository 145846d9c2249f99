package dial

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDo(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	var seen http.Header
	var query url.Values
	srv.Handle("POST /echo-headers", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, query = r.Header.Clone(), r.URL.Query()
		w.Header().Set("X-Answer", "42")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte("plain"))
	}))
	c, w := newTestClient(t, srv)
	ctx := t.Context()

	resp, err := c.Do(ctx, RawRequest{Method: http.MethodPost, Path: "echo-headers?a=1",
		Query: url.Values{"b": {"2 3"}}, Body: []byte("x=1"), ContentType: "text/plain"},
		Header("X-Conversation-Id", "c-1"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "42", resp.Header.Get("X-Answer"))
	assert.Equal(t, "plain", string(resp.Body))
	assert.Equal(t, "c-1", seen.Get("X-Conversation-Id"))
	assert.Equal(t, srv.Key, seen.Get("Api-Key"), "the client's credentials are sent")
	assert.Equal(t, "text/plain", seen.Get("Content-Type"))
	assert.Equal(t, url.Values{"a": {"1"}, "b": {"2 3"}}, query)

	resp, err = c.Do(ctx, RawRequest{Method: http.MethodGet, Path: "v1/bucket"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"bucket":"`+srv.Bucket+`"}`, string(resp.Body))

	srv.Handle("GET /flaky", emulatortest.Fail(1, 503, 0, emulatortest.JSON(200, `{"ok":true}`)))
	resp, err = c.Do(ctx, RawRequest{Method: http.MethodGet, Path: "flaky"})
	require.NoError(t, err, "retried like any call")
	assert.Equal(t, `{"ok":true}`, string(resp.Body))
	assert.Len(t, w.all(), 1)

	_, err = c.Do(ctx, RawRequest{Method: http.MethodGet, Path: "openai/models/missing"})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	_, err = c.Do(ctx, RawRequest{Method: "GET X", Path: "v1/bucket"})
	assert.ErrorIs(t, err, ErrInvalidURL)
	_, err = c.Do(ctx, RawRequest{Method: http.MethodGet, Path: "a/../../x"})
	assert.ErrorIs(t, err, ErrInvalidURL)
	_, err = c.Do(ctx, RawRequest{Method: http.MethodGet, Path: "v1/bucket"}, Header("Api-Key", "other"))
	assert.ErrorContains(t, err, "carries credentials")
}

func TestTokenizeAndTruncate(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "counted",
		Features: map[string]bool{"tokenize": true, "truncate_prompt": true}}))
	c, _ := newTestClient(t, srv)
	out, err := c.Tokenize(t.Context(), "counted", json.RawMessage(`{"inputs":[{"type":"string","value":"a b c"}]}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"outputs":[{"status":"success","token_count":3}]}`, string(out))
	out, err = c.TruncatePrompt(t.Context(), "counted", json.RawMessage(
		`{"inputs":[{"max_prompt_tokens":2,"messages":[{"role":"user","content":"a b c"},{"role":"user","content":"d"}]}]}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"outputs":[{"status":"success","discarded_messages":[0]}]}`, string(out))
	_, err = c.Tokenize(t.Context(), "echo", json.RawMessage(`{"inputs":[]}`))
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 403, apiErr.StatusCode)
	assert.Equal(t, "Forbidden deployment", apiErr.Message)
	_, err = c.Tokenize(t.Context(), "../x", json.RawMessage(`{}`))
	assert.ErrorIs(t, err, ErrInvalidURL)
}

func TestLimits(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.Keys[0].Limits = map[string]emulator.RateLimit{"echo": {Minute: 100}}
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	_, err := c.Chat(ctx, "echo", userMsg("a b"))
	require.NoError(t, err)
	var stats map[string]struct {
		Total int64   `json:"total"`
		Used  float64 `json:"used"`
	}
	raw, err := c.DeploymentLimits(ctx, "echo")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &stats))
	assert.Equal(t, int64(100), stats["minuteTokenStats"].Total)
	assert.Equal(t, 4.0, stats["minuteTokenStats"].Used)
	assert.Equal(t, Unlimited, stats["dayTokenStats"].Total)
	raw, err = c.UserLimits(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"gpt-4o"`)
	raw, err = c.UserUsage(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"echo"`)
	assert.NotContains(t, string(raw), `"gpt-4o"`)
	_, err = c.DeploymentLimits(ctx, "missing")
	assert.ErrorIs(t, err, ErrNotFound)

	raw, err = c.DeploymentUsage(ctx, "echo")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &stats))
	assert.Equal(t, 4.0, stats["minuteTokenStats"].Used)
	_, err = c.DeploymentUsage(ctx, "my-app")
	assert.ErrorIs(t, err, ErrNotFound, "applications have no usage entry")
}

func TestCheckHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, value, wantErr string
	}{
		{"ordinary", "X-Conversation-Id", "c-1", ""},
		{"api key", "api-key", "k", "carries credentials"},
		{"authorization", "Authorization", "Bearer x", "carries credentials"},
		{"transport", "Content-Length", "1", "set by the transport"},
		{"bad name", "X Y", "v", "invalid header name"},
		{"line break", "X-A", "a\r\nB: c", "line break"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckHeader(tc.key, tc.value)
			if tc.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tc.wantErr)
			}
		})
	}
}
