package dial

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// APIError is read from DIAL's JSON envelope or from a plain-text body (reference-client.md
// §2.8, dial-core-api.md §1.2); Code may be a string or a number.
func TestAPIErrorFromBody(t *testing.T) {
	t.Parallel()
	fixture := func(name string) string {
		b, err := os.ReadFile("testdata/aidial-client/" + name)
		require.NoError(t, err)
		return string(b)
	}
	tests := []struct {
		name, body                     string
		msg, typ, code, param, display string
		envelope                       bool
	}{
		{name: "401 fixture", body: fixture("error.401.auth_error.json"), msg: "Unauthorized", typ: "auth_error", envelope: true},
		{name: "404 fixture", body: fixture("error.404.not_found.json"), msg: "Not found", typ: "not_found", envelope: true},
		{name: "412 fixture", body: fixture("error.412.etag_mismatch.json"), msg: "Precondition Failed", typ: "etag_mismatch", envelope: true},
		{name: "rate limit", body: `{"error":{"code":"429","message":"Hit token rate limit","display_message":"Slow down"}}`,
			msg: "Hit token rate limit", code: "429", display: "Slow down", envelope: true},
		{name: "numeric code and param", body: `{"error":{"message":"bad","code":400,"param":"messages"}}`,
			msg: "bad", code: "400", param: "messages", envelope: true},
		{name: "string error", body: `{"error":"just text"}`, msg: "just text", envelope: true},
		{name: "plain text", body: "Unknown api key", msg: "Unknown api key"},
		{name: "plain text with spaces", body: "  Not found: files/b/x \n", msg: "Not found: files/b/x"},
		{name: "JSON without envelope", body: `{"detail":"x"}`, msg: `{"detail":"x"}`},
		{name: "empty", body: "", msg: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &APIError{StatusCode: 400}
			assert.Equal(t, tt.envelope, e.fillFromBody([]byte(tt.body)))
			assert.Equal(t, tt.msg, e.Message)
			assert.Equal(t, tt.typ, e.Type)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.param, e.Param)
			assert.Equal(t, tt.display, e.DisplayMessage)
		})
	}
}

func TestAPIErrorText(t *testing.T) {
	t.Parallel()
	e := &APIError{StatusCode: 429, Method: "POST", Path: "/openai/deployments/x/chat/completions", Message: "slow down"}
	assert.Equal(t, "dial: POST /openai/deployments/x/chat/completions: 429 Too Many Requests: slow down", e.Error())
	e = &APIError{StatusCode: 404, Method: "GET", Path: "/v1/files/b/x"}
	assert.Equal(t, "dial: GET /v1/files/b/x: 404 Not Found", e.Error())
	e = &APIError{StatusCode: 503, Method: "POST", Path: "/p", DuringStream: true, Code: "503", Message: "down"}
	assert.Equal(t, "dial: POST /p: error during stream (code 503): down", e.Error())
}

func TestAPIErrorIs(t *testing.T) {
	t.Parallel()
	notFound := fmt.Errorf("wrapped: %w", &APIError{StatusCode: 404})
	assert.ErrorIs(t, notFound, ErrNotFound)
	assert.NotErrorIs(t, notFound, ErrETagMismatch)
	assert.ErrorIs(t, &APIError{StatusCode: 412}, ErrETagMismatch)
	assert.NotErrorIs(t, &APIError{StatusCode: 500}, ErrNotFound)
	assert.NotErrorIs(t, &APIError{StatusCode: 404, DuringStream: true}, ErrNotFound)
	assert.ErrorIs(t, &APIError{StatusCode: 304}, ErrNotModified)
	assert.NotErrorIs(t, &APIError{StatusCode: 304}, ErrNotFound)
	assert.NotErrorIs(t, &APIError{StatusCode: 200}, ErrNotModified)
	// Two APIErrors are not "equal" errors: Is compares kinds, not structs.
	assert.NotErrorIs(t, &APIError{StatusCode: 404}, &APIError{StatusCode: 404})
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]bool{408: true, 429: true, 500: false, 501: false, 502: true,
		503: true, 504: true, 400: false, 401: false, 404: false, 409: false, 412: false} {
		assert.Equal(t, want, retryableStatus(code), code)
		assert.Equal(t, want, Retryable(&APIError{StatusCode: code}), code)
	}
	assert.True(t, Retryable(transportError("GET", "/x", errors.New("connection reset"))))
	assert.True(t, Retryable(timeoutError("GET", "/x", "idle")))
	assert.False(t, Retryable(fmt.Errorf("x: %w", ErrCredentials)))
	assert.False(t, Retryable(context.Canceled))
	assert.False(t, Retryable(invalidURL("x", "bad")))
	assert.False(t, Retryable(nil))
}

func TestRetryableTransport(t *testing.T) {
	t.Parallel()
	assert.True(t, retryableTransport(transportError("GET", "/", errors.New("connection refused"))))
	assert.False(t, retryableTransport(fmt.Errorf("x: %w", context.Canceled)))
	assert.False(t, retryableTransport(fmt.Errorf("x: %w", x509.UnknownAuthorityError{})))
	assert.False(t, retryableTransport(errors.New(`unsupported protocol scheme "ftp"`)))
}

// parseRetryAfter, as retryablehttp's TestParseRetryAfterHeader: seconds, HTTP dates,
// milliseconds, and garbage.
func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{"fractional seconds", http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{"zero", http.Header{"Retry-After": {"0"}}, 0},
		{"negative", http.Header{"Retry-After": {"-1"}}, 0},
		{"date", http.Header{"Retry-After": {now.Add(10 * time.Second).Format(http.TimeFormat)}}, 10 * time.Second},
		{"past date", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"milliseconds win", http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"3"}}, 250 * time.Millisecond},
		{"bad milliseconds", http.Header{"Retry-After-Ms": {"x"}, "Retry-After": {"2"}}, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, parseRetryAfter(tt.header, now))
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	lo, hi := 500*time.Millisecond, 8*time.Second
	for n := 1; n <= 10; n++ {
		base := min(lo<<(n-1), hi)
		for range 50 {
			d := backoff(n, lo, hi, 0)
			assert.GreaterOrEqual(t, d, base/2, "retry %d", n)
			assert.LessOrEqual(t, d, base, "retry %d", n)
		}
	}
	assert.Equal(t, 3*time.Second, backoff(1, lo, hi, 3*time.Second), "Retry-After is honoured")
	assert.Equal(t, hi, backoff(1, lo, hi, time.Minute), "Retry-After is capped")
	assert.Equal(t, time.Duration(0), backoff(3, 0, 0, 0))
	assert.Equal(t, time.Duration(0), backoff(1, 0, 0, 5*time.Second))
}

func TestSleepCtx(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	assert.ErrorIs(t, sleepCtx(ctx, time.Hour), context.Canceled)
	assert.Less(t, time.Since(start), time.Second)
	assert.NoError(t, sleepCtx(t.Context(), time.Millisecond))
}

func TestDisplayURL(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "https://h/p", displayURL("https://u:p@h/p?sig=x#f"))
	assert.Equal(t, "files/b/x", displayURL("files/b/x"))
	assert.Equal(t, "http://h", displayURL("http://user@h"))
}
