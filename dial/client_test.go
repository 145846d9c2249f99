package dial

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/internal/testutil"
)

// waits records the retry waits of a client instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// newTestClient returns a client of srv with its default key whose retry waits are recorded,
// not slept.
func newTestClient(t *testing.T, srv *emulatortest.Server, opts ...Option) (*Client, *waits) {
	t.Helper()
	c, err := NewClient(srv.URL, append([]Option{WithAPIKey(srv.Key)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	w := &waits{}
	c.sleep = w.sleep
	return c, w
}

func userMsg(s string) ChatRequest {
	return ChatRequest{Messages: []Message{{Role: RoleUser, Content: s}}}
}

func TestNewClientValidation(t *testing.T) {
	t.Parallel()
	key := WithAPIKey("k")
	tests := []struct {
		name string
		base string
		opts []Option
	}{
		{"no credentials", "http://h", nil},
		{"empty key", "http://h", []Option{WithAPIKey(" ")}},
		{"empty token", "http://h", []Option{WithBearerToken("")}},
		{"nil key func", "http://h", []Option{WithAPIKeyFunc(nil)}},
		{"nil token func", "http://h", []Option{WithBearerTokenFunc(nil)}},
		{"key with newline", "http://h", []Option{WithAPIKey("a\nb")}},
		{"no scheme", "dial.example.com", []Option{key}},
		{"ftp", "ftp://h", []Option{key}},
		{"no host", "http://", []Option{key}},
		{"user info", "http://u:p@h", []Option{key}},
		{"query", "http://h/?x=1", []Option{key}},
		{"negative retries", "http://h", []Option{key, WithMaxRetries(-1)}},
		{"bad retry wait", "http://h", []Option{key, WithRetryWait(time.Second, 0)}},
		{"negative timeout", "http://h", []Option{key, WithTimeout(-1)}},
		{"zero connect timeout", "http://h", []Option{key, WithConnectTimeout(0)}},
		{"credential header", "http://h", []Option{key, WithHeader("api-key", "x")}},
		{"authorization header", "http://h", []Option{key, WithHeader("Authorization", "Bearer x")}},
		{"bad header name", "http://h", []Option{key, WithHeader("a b", "x")}},
		{"header injection", "http://h", []Option{key, WithHeader("X-A", "a\r\nApi-Key: x")}},
		{"empty version", "http://h", []Option{key, WithAPIVersion("")}},
		{"empty user agent", "http://h", []Option{key, WithUserAgent("")}},
		{"nil logger", "http://h", []Option{key, WithLogger(nil)}},
		{"nil http client", "http://h", []Option{key, WithHTTPClient(nil)}},
		{"connect timeout with http client", "http://h", []Option{key, WithHTTPClient(&http.Client{}), WithConnectTimeout(time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.base, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.True(t, strings.HasPrefix(err.Error(), "dial: "), err.Error())
		})
	}
	c, err := NewClient("https://dial.example.com/base", WithBearerToken("t"), nil)
	require.NoError(t, err)
	assert.Equal(t, "https://dial.example.com/base/", c.BaseURL())
	_, err = NewClient("https://dial.example.com/openai2", key)
	require.NoError(t, err, "only a last segment 'openai' is the OpenAI prefix")

	// The OpenAI SDKs' base URL, the server root plus /openai, would make every request miss.
	for _, base := range []string{"http://h:8080/openai", "http://h:8080/openai/"} {
		_, err = NewClient(base, key)
		require.ErrorIs(t, err, ErrInvalidURL, base)
		assert.Contains(t, err.Error(), "ends in /openai: use the server root, http://h:8080 ", base)
		assert.ErrorIs(t, CheckBaseURL(base), ErrInvalidURL)
	}
	_, err = NewClient("https://dial.example.com/dial/openai", key)
	assert.ErrorContains(t, err, "use the server root, https://dial.example.com/dial ")
	assert.NoError(t, CheckBaseURL("https://dial.example.com/dial"))

	// A bad URL is reported before missing credentials.
	_, err = NewClient("nope")
	assert.ErrorIs(t, err, ErrInvalidURL)
	assert.Equal(t, "https://dial.example.com/base/v1/", c.APIURL())
}

func TestChat(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	resp, err := c.Chat(t.Context(), "echo", userMsg("Hello, DIAL"))
	require.NoError(t, err)
	assert.Equal(t, "Hello, DIAL", resp.Text())
	assert.Equal(t, "stop", resp.Choices[0].FinishReason)
	assert.Equal(t, RoleAssistant, resp.Choices[0].Message.Role)
	assert.NotNil(t, resp.Usage)
	assert.True(t, json.Valid(resp.Raw))
	assert.Equal(t, 1, srv.Emulator.Requests("echo"))

	raw, err := c.ChatRaw(t.Context(), "echo", json.RawMessage(`{"messages":[{"role":"user","content":"raw"}],"stream":true,"x_custom":1}`))
	require.NoError(t, err)
	var back ChatResponse
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, "raw", back.Text(), "stream is forced to false")

	_, err = c.ChatRaw(t.Context(), "echo", json.RawMessage(`[1]`))
	assert.Error(t, err)
}

// The request reaches the server with stream set, the api-version query, the headers of the
// client and of the call, and every extra field.
func TestChatRequestOnTheWire(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	type seen struct {
		query  string
		header http.Header
		body   map[string]any
	}
	got := make(chan seen, 4)
	srv.Handle("POST /openai/deployments/applications/B/my%20app/chat/completions", http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			got <- seen{r.URL.RawQuery, r.Header.Clone(), body}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"x","object":"chat.completion","created":1,"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"new_top":{"a":1}}`)
		}))
	c, _ := newTestClient(t, srv, WithAPIVersion("2024-02-01"), WithHeader("X-Conversation-Id", "run-42"),
		WithUserAgent("test-agent"))
	req := userMsg("hi")
	req.Extra = map[string]json.RawMessage{"custom_fields": json.RawMessage(`{"configuration":{"mode":"x"}}`)}
	resp, err := c.Chat(t.Context(), "applications/B/my app", req, Header("X-Job-Title", "job"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":1}`, string(resp.Extra["new_top"]))
	s := <-got
	assert.Equal(t, "api-version=2024-02-01", s.query)
	assert.Equal(t, "run-42", s.header.Get("X-Conversation-Id"))
	assert.Equal(t, "job", s.header.Get("X-Job-Title"))
	assert.Equal(t, "test-agent", s.header.Get("User-Agent"))
	assert.Equal(t, srv.Key, s.header.Get("Api-Key"))
	assert.Equal(t, false, s.body["stream"])
	assert.Equal(t, map[string]any{"configuration": map[string]any{"mode": "x"}}, s.body["custom_fields"])

	_, err = c.Chat(t.Context(), "applications/B/my app", userMsg("hi"), APIVersion("2025-01-01"))
	require.NoError(t, err)
	assert.Equal(t, "api-version=2025-01-01", (<-got).query)
}

func TestChatStream(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	s, err := c.ChatStream(t.Context(), "gpt-4o", userMsg("one two three four"))
	require.NoError(t, err)
	defer s.Close()
	var full ChatResponse
	var texts []string
	for s.Next() {
		ch := s.Current()
		texts = append(texts, ch.Text())
		require.NoError(t, full.Accumulate(ch))
	}
	require.NoError(t, s.Err())
	assert.Greater(t, len(texts), 2, "streamed in several chunks")
	assert.Equal(t, "one two three four", strings.Join(texts, ""))
	assert.Equal(t, "one two three four", full.Text())
	assert.Equal(t, "stop", full.Choices[0].FinishReason)
	raw, err := full.JSON()
	require.NoError(t, err)
	var check ChatResponse
	require.NoError(t, json.Unmarshal(raw, &check))
	assert.Equal(t, "one two three four", check.Text())
	assert.Equal(t, "chat.completion", check.Object)
}

// A deployment that answers a streaming request with one JSON body still gives a stream.
func TestChatStreamBlockAnswer(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	srv.Handle("POST /openai/deployments/blocky/chat/completions", emulatortest.JSON(200,
		`{"id":"b","object":"chat.completion","created":1,"choices":[{"index":0,"message":{"role":"assistant","content":"whole"},"finish_reason":"stop"}]}`))
	c, _ := newTestClient(t, srv)
	s, err := c.ChatStream(t.Context(), "blocky", userMsg("x"))
	require.NoError(t, err)
	var texts []string
	for ch, err := range s.All() {
		require.NoError(t, err)
		texts = append(texts, ch.Text())
	}
	assert.Equal(t, []string{"whole"}, texts)
}

func TestChatStreamFixtures(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	srv.Handle("POST /openai/deployments/tools/chat/completions",
		emulatortest.SSEFile("testdata/aidial-client/chat.completions.stream.tool_call.sse"))
	srv.Handle("POST /openai/deployments/midstream/chat/completions", emulatortest.SSEFile("testdata/chat_stream_error.sse"))
	srv.Handle("POST /openai/deployments/truncated/chat/completions", emulatortest.SSEFile("testdata/chat_stream_truncated.sse"))
	c, _ := newTestClient(t, srv)

	s, err := c.ChatStream(t.Context(), "tools", userMsg("weather?"))
	require.NoError(t, err)
	var full ChatResponse
	for ch, err := range s.All() {
		require.NoError(t, err)
		require.NoError(t, full.Accumulate(ch))
	}
	assert.Equal(t, `{"request":"current weather in Paris"}`, full.Choices[0].Message.ToolCalls[0].Function.Arguments)

	s, err = c.ChatStream(t.Context(), "midstream", userMsg("x"))
	require.NoError(t, err)
	for s.Next() {
	}
	var apiErr *APIError
	require.ErrorAs(t, s.Err(), &apiErr)
	assert.True(t, apiErr.DuringStream)
	assert.Equal(t, "/dial/openai/deployments/midstream/chat/completions", apiErr.Path)

	s, err = c.ChatStream(t.Context(), "truncated", userMsg("x"))
	require.NoError(t, err)
	for s.Next() {
	}
	assert.ErrorIs(t, s.Err(), ErrTruncated)
}

func TestChatStreamFaults(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "midstream", Reply: "a b c d e f", StreamError: &emulator.StreamError{
			After: 2, Message: "upstream died", Type: "runtime_error", Code: "503"}},
		emulator.Deployment{ID: "cut", Reply: "a b c d e f", CutAfter: 2},
		emulator.Deployment{ID: "flaky", Status: 503, FailTimes: 1},
	))
	c, w := newTestClient(t, srv)

	s, err := c.ChatStream(t.Context(), "midstream", userMsg("x"))
	require.NoError(t, err)
	n := 0
	for s.Next() {
		n++
	}
	assert.Positive(t, n, "chunks before the error are delivered")
	var apiErr *APIError
	require.ErrorAs(t, s.Err(), &apiErr)
	assert.True(t, apiErr.DuringStream)
	assert.ErrorIs(t, s.Err(), ErrDuringStream)
	assert.Equal(t, "upstream died", apiErr.Message)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, 1, srv.Emulator.Requests("midstream"), "a started stream is never retried")

	s, err = c.ChatStream(t.Context(), "cut", userMsg("x"))
	require.NoError(t, err)
	for s.Next() {
	}
	require.Error(t, s.Err(), "a cut stream is never a success")
	assert.True(t, errors.Is(s.Err(), ErrTruncated) || errors.Is(s.Err(), ErrTransport), s.Err().Error())
	assert.ErrorIs(t, s.Err(), ErrDuringStream)
	assert.Equal(t, 1, srv.Emulator.Requests("cut"))

	// An error before the first event is retried like any request.
	s, err = c.ChatStream(t.Context(), "flaky", userMsg("retry me"))
	require.NoError(t, err)
	var full ChatResponse
	for ch, err := range s.All() {
		require.NoError(t, err)
		require.NoError(t, full.Accumulate(ch))
	}
	assert.Equal(t, "retry me", full.Text())
	assert.Equal(t, 2, srv.Emulator.Requests("flaky"))
	assert.Len(t, w.all(), 1)
}

func TestRetries(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "busy", Status: 503, FailTimes: 2},
		emulator.Deployment{ID: "limited", Status: 429, RetryAfter: 2, FailTimes: 1},
		emulator.Deployment{ID: "slowdown", Status: 429, RetryAfter: 60, FailTimes: 1},
		emulator.Deployment{ID: "down", Status: 502},
		emulator.Deployment{ID: "broken", Status: 500},
		emulator.Deployment{ID: "bad", Status: 400},
	))
	c, w := newTestClient(t, srv, WithRetryWait(100*time.Millisecond, 4*time.Second))

	resp, err := c.Chat(t.Context(), "busy", userMsg("finally"))
	require.NoError(t, err)
	assert.Equal(t, "finally", resp.Text())
	assert.Equal(t, 3, srv.Emulator.Requests("busy"))
	waited := w.all()
	require.Len(t, waited, 2)
	assert.InDelta(t, 75*time.Millisecond, waited[0], float64(25*time.Millisecond), "jittered 100ms")
	assert.InDelta(t, 150*time.Millisecond, waited[1], float64(50*time.Millisecond), "jittered 200ms")

	_, err = c.Chat(t.Context(), "limited", userMsg("x"))
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, w.all()[2], "Retry-After is honoured")
	_, err = c.Chat(t.Context(), "slowdown", userMsg("x"))
	require.NoError(t, err)
	assert.Equal(t, 4*time.Second, w.all()[3], "Retry-After is capped at the maximum wait")

	_, err = c.Chat(t.Context(), "down", userMsg("x"))
	require.Error(t, err)
	assert.Equal(t, 3, srv.Emulator.Requests("down"))
	assert.Contains(t, err.Error(), "giving up after 3 attempts")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.StatusCode)
	assert.Equal(t, "/dial/openai/deployments/down/chat/completions", apiErr.Path)

	for _, id := range []string{"broken", "bad"} {
		_, err = c.Chat(t.Context(), id, userMsg("x"))
		require.ErrorAs(t, err, &apiErr)
		assert.NotContains(t, err.Error(), "giving up")
		assert.Equal(t, 1, srv.Emulator.Requests(id), "%s is not retried", id)
	}

	_, err = c.Chat(t.Context(), "down", userMsg("x"), MaxRetries(0))
	require.Error(t, err)
	assert.Equal(t, 4, srv.Emulator.Requests("down"), "MaxRetries(0) makes one attempt")
}

// The wait between attempts ends when the context is cancelled.
func TestRetryWaitCancelled(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "busy", Status: 503}))
	c, err := NewClient(srv.URL, WithAPIKey(srv.Key), WithRetryWait(time.Hour, time.Hour))
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Chat(ctx, "busy", userMsg("x"))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var apiErr *APIError
	assert.ErrorAs(t, err, &apiErr, "the last answer is kept")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 1, srv.Emulator.Requests("busy"))
}

// Transport errors are retried: a server that accepts connections and closes them at once.
func TestRetryTransportError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var accepted atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	c, err := NewClient("http://"+ln.Addr().String()+"/dial", WithAPIKey("k"), WithRetryWait(0, 0))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.ListDeployments(t.Context())
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTransport)
	assert.Contains(t, err.Error(), "giving up after 3 attempts")
	assert.Equal(t, int64(3), accepted.Load())
	assert.True(t, Retryable(err))
}

// WithTimeout is an idle timeout: a stream that keeps producing outlives it, one that stalls
// fails with ErrTimeout.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "steady", Reply: "a b c d e f g h", ChunkDelay: emulator.Duration(30 * time.Millisecond)},
		emulator.Deployment{ID: "stall", Reply: "a b", ChunkDelay: emulator.Duration(2 * time.Second)},
	))
	srv.Handle("POST /openai/deployments/sleepy/chat/completions", http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}))
	c, _ := newTestClient(t, srv, WithTimeout(150*time.Millisecond), WithMaxRetries(0))
	s, err := c.ChatStream(t.Context(), "steady", userMsg("x"))
	require.NoError(t, err)
	start := time.Now()
	var text strings.Builder
	for s.Next() {
		text.WriteString(s.Current().Text())
	}
	require.NoError(t, s.Err())
	assert.Equal(t, "a b c d e f g h", text.String())
	assert.Greater(t, time.Since(start), 150*time.Millisecond, "longer than the idle timeout in total")

	start = time.Now()
	s, err = c.ChatStream(t.Context(), "stall", userMsg("x"))
	if err == nil {
		for s.Next() {
		}
		err = s.Err()
	}
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTimeout)
	assert.Less(t, time.Since(start), time.Second)

	start = time.Now()
	_, err = c.Chat(t.Context(), "sleepy", userMsg("x"))
	assert.ErrorIs(t, err, ErrTimeout, "a block call waiting for its answer")
	assert.Less(t, time.Since(start), time.Second)
}

// Redirects are refused, so credentials never reach another location.
func TestRedirectRefused(t *testing.T) {
	t.Parallel()
	var leaked atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
	}))
	t.Cleanup(other.Close)
	srv := emulatortest.NewServer(t)
	srv.Handle("GET /openai/deployments", http.RedirectHandler(other.URL+"/login", http.StatusFound))
	for _, hc := range []*http.Client{nil, {}} {
		opts := []Option{WithAPIKey(srv.Key)}
		if hc != nil {
			opts = append(opts, WithHTTPClient(hc))
		}
		c, err := NewClient(srv.URL, opts...)
		require.NoError(t, err)
		_, err = c.ListDeployments(t.Context())
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusFound, apiErr.StatusCode)
		assert.Contains(t, apiErr.Message, "redirect refused")
		c.Close()
	}
	assert.Equal(t, int64(0), leaked.Load())
}

func TestCredentialFuncs(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "busy", Status: 503, FailTimes: 2}))
	var calls atomic.Int64
	c, err := NewClient(srv.URL, WithRetryWait(0, 0), WithAPIKeyFunc(func(ctx context.Context) (string, error) {
		calls.Add(1)
		return emulator.DefaultKey, nil
	}))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Chat(t.Context(), "busy", userMsg("x"))
	require.NoError(t, err)
	assert.Equal(t, int64(3), calls.Load(), "called for every attempt")

	failing, err := NewClient(srv.URL, WithBearerTokenFunc(func(context.Context) (string, error) {
		return "", errors.New("vault unavailable")
	}))
	require.NoError(t, err)
	defer failing.Close()
	_, err = failing.Chat(t.Context(), "echo", userMsg("x"))
	assert.ErrorIs(t, err, ErrCredentials)
	assert.Contains(t, err.Error(), "vault unavailable")
	assert.Equal(t, 0, srv.Emulator.Requests("echo"), "nothing was sent")

	empty, err := NewClient(srv.URL, WithAPIKeyFunc(func(context.Context) (string, error) { return "", nil }))
	require.NoError(t, err)
	defer empty.Close()
	_, err = empty.ListModels(t.Context())
	assert.ErrorIs(t, err, ErrCredentials)

	bearer, err := NewClient(srv.URL, WithBearerToken(emulator.DefaultToken))
	require.NoError(t, err)
	defer bearer.Close()
	b, err := bearer.MyBucket(t.Context())
	require.NoError(t, err)
	assert.Equal(t, emulator.TokenBucket, b)
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, err := NewClient(srv.URL, WithAPIKey("unknown-key-123"))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.ListDeployments(t.Context())
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.Equal(t, "Unknown api key", apiErr.Message, "plain-text body without Content-Type")

	restricted, err := NewClient(srv.URL, WithAPIKey(emulator.RestrictedKey))
	require.NoError(t, err)
	defer restricted.Close()
	_, err = restricted.Chat(t.Context(), "gpt-4o", userMsg("x"))
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 403, apiErr.StatusCode)
	_, err = restricted.Chat(t.Context(), "echo", userMsg("x"))
	assert.NoError(t, err)
}

func TestDeployments(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	deps, err := c.ListDeployments(ctx)
	require.NoError(t, err)
	ids := map[string]Deployment{}
	for _, d := range deps {
		ids[d.ID] = d
		assert.NotEmpty(t, d.Raw)
	}
	require.Contains(t, ids, "gpt-4o")
	assert.True(t, ids["gpt-4o"].Features.Tools)
	assert.Equal(t, "GPT-4o (emulated)", ids["gpt-4o"].DisplayName.String())

	d, err := c.GetDeployment(ctx, "gpt-4o")
	require.NoError(t, err)
	assert.Equal(t, "gpt-4o", d.ID)
	_, err = c.GetDeployment(ctx, "no-such-model")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = c.GetDeployment(ctx, "../v1/bucket")
	assert.ErrorIs(t, err, ErrInvalidURL)

	models, err := c.ListModels(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, models)
	m, err := c.GetModel(ctx, "text-embedding-3-small")
	require.NoError(t, err)
	assert.Equal(t, "text-embedding-3-small", m.ID)

	apps, err := c.ListApplications(ctx)
	require.NoError(t, err)
	require.Len(t, apps, 2)
	app, err := c.GetApplication(ctx, "applications/"+emulator.DefaultBucket+"/folder/my-app")
	require.NoError(t, err)
	assert.Equal(t, "applications/"+emulator.DefaultBucket+"/folder/my-app", app.ID)
	resp, err := c.Chat(ctx, app.ID, userMsg("via app"))
	require.NoError(t, err)
	assert.Equal(t, "via app", resp.Text())

	schema, err := c.DeploymentConfiguration(ctx, "my-app")
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"object","properties":{"mode":{"type":"string"}}}`, string(schema))
	schema, err = c.DeploymentConfiguration(ctx, "echo")
	require.NoError(t, err)
	assert.Nil(t, schema)

	info, err := c.UserInfo(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(info), "roles")
	raw, err := c.DoJSON(ctx, http.MethodGet, "openai/models", nil)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"object"`)
	_, err = c.DoJSON(ctx, http.MethodGet, "../secret", nil)
	assert.ErrorIs(t, err, ErrInvalidURL)
	_, err = c.DoJSON(ctx, http.MethodGet, "https://evil.example/v1", nil)
	assert.ErrorIs(t, err, ErrInvalidURL)
}

func TestEmbeddings(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	resp, err := c.Embeddings(t.Context(), "text-embedding-3-small", EmbeddingsRequest{Input: []string{"a", "b"}})
	require.NoError(t, err)
	require.Len(t, resp.Data, 2)
	assert.Len(t, resp.Data[0].Embedding, 16)
	assert.Equal(t, 1, resp.Data[1].Index)
	assert.NotEmpty(t, resp.Raw)
	raw, err := c.EmbeddingsRaw(t.Context(), "text-embedding-3-small", json.RawMessage(`{"input":"x","encoding_format":"base64"}`))
	require.NoError(t, err)
	var b64 EmbeddingsResponse
	require.NoError(t, json.Unmarshal(raw, &b64))
	assert.Len(t, b64.Data[0].Embedding, 16)
}

// Clients of one pool share connections but not credentials or caches.
func TestPool(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	pool := NewPool(PoolOptions{MaxConnsPerHost: 4})
	a, err := pool.NewClient(srv.URL, WithAPIKey(emulator.DefaultKey))
	require.NoError(t, err)
	b, err := pool.NewClient(srv.URL, WithAPIKey(emulator.SecondKey), WithAPIVersion("2024-02-01"))
	require.NoError(t, err)
	ctx := t.Context()
	for range 3 {
		ba, err := a.MyBucket(ctx)
		require.NoError(t, err)
		assert.Equal(t, emulator.DefaultBucket, ba)
		bb, err := b.MyBucket(ctx)
		require.NoError(t, err)
		assert.Equal(t, emulator.SecondBucket, bb)
		_, err = a.Chat(ctx, "echo", userMsg("x"))
		require.NoError(t, err)
		_, err = b.ListDeployments(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, srv.Connections(), "sequential calls of both clients reuse one connection")
	assert.Same(t, a.hc.Transport, b.hc.Transport)

	require.NoError(t, a.Close())
	_, err = a.ListDeployments(ctx)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = b.ListDeployments(ctx)
	assert.NoError(t, err, "closing a client leaves the pool open")

	_, err = pool.NewClient(srv.URL, WithConnectTimeout(time.Second), WithAPIKey("k"))
	assert.Error(t, err)
	require.NoError(t, pool.Close())
	require.NoError(t, pool.Close())
	_, err = b.ListDeployments(ctx)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = pool.NewClient(srv.URL, WithAPIKey("k"))
	assert.ErrorIs(t, err, ErrClosed)
}

// Concurrent first calls share one GET /v1/bucket; the answer is cached.
func TestBucketCache(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	var calls atomic.Int64
	release := make(chan struct{})
	srv.Handle("GET /v1/bucket", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"bucket":"Cached1","appdata":"Cached1/appdata/my-app"}`)
	}))
	c, _ := newTestClient(t, srv)
	var wg sync.WaitGroup
	results := make([]string, 20)
	for i := range results {
		wg.Go(func() {
			h, err := c.MyFilesHome(t.Context())
			assert.NoError(t, err)
			results[i] = h
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	for _, r := range results {
		assert.Equal(t, "files/Cached1/", r)
	}
	h, err := c.MyAppDataHome(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "files/Cached1/appdata/my-app/", h)
	h, err = c.MyConversationsHome(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "conversations/Cached1/", h)
	assert.Equal(t, int64(1), calls.Load())

	// A caller that gives up does not spoil the fetch for others.
	srv2 := emulatortest.NewServer(t)
	c2, _ := newTestClient(t, srv2)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c2.MyBucket(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	b, err := c2.MyBucket(t.Context())
	require.NoError(t, err)
	assert.Equal(t, emulator.DefaultBucket, b)
	h, err = c2.MyAppDataHome(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "", h)
}

func TestLoggerHasNoSecrets(t *testing.T) {
	t.Parallel()
	// Covered with the canary in canary_test.go; here the log shape.
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "busy", Status: 503, FailTimes: 1}))
	var buf testutil.SyncBuffer
	c, _ := newTestClient(t, srv, WithLogger(newTestLogger(&buf)))
	_, err := c.Chat(t.Context(), "busy", userMsg("x"))
	require.NoError(t, err)
	out := buf.String()
	assert.Contains(t, out, "dial: retrying")
	assert.Contains(t, out, "/dial/openai/deployments/busy/chat/completions")
	assert.Contains(t, out, "attempt=1")
	assert.NotContains(t, out, srv.Key)
}

// TestSetStream checks the stream member of a raw request body, however it is spelt.
func TestSetStream(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{}`:                                     `{"stream":false}`,
		` {"a":1} `:                              `{"a":1,"stream":false}`,
		`{"a":"stream me"}`:                      `{"a":"stream me","stream":false}`,
		`{"stream":true,"a":1}`:                  `{"a":1,"stream":false}`,
		`{"str\u0065am":true}`:                   `{"stream":false}`,
		`{"a":{"stream":true}}`:                  `{"a":{"stream":true},"stream":false}`,
		`{"a":"\u00e9","b":{"stream":true}}`:     `{"a":"\u00e9","b":{"stream":true},"stream":false}`,
		`{"messages":[{"content":"streaming"}]}`: `{"messages":[{"content":"streaming"}],"stream":false}`,
	} {
		got, err := setStream([]byte(body), false)
		require.NoError(t, err, body)
		assert.JSONEq(t, want, string(got), body)
	}
	for _, body := range []string{`[1]`, `{"a":}`, ``, `"stream"`} {
		_, err := setStream([]byte(body), true)
		assert.Error(t, err, body)
	}
}
