package dial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
)

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

const (
	canaryKey   = "canary-key-7f3a9c1e5b"
	canaryToken = "canary-token-2d8e4f6a0c"
)

// assertNoCanary fails when err or any of its details mentions a canary credential.
func assertNoCanary(t *testing.T, err error, what string) {
	t.Helper()
	require.Error(t, err, what)
	texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		texts = append(texts, fmt.Sprintf("%#v", *apiErr), string(apiErr.Body))
	}
	var urlErr *URLError
	if errors.As(err, &urlErr) {
		texts = append(texts, fmt.Sprintf("%#v", *urlErr))
	}
	for _, s := range texts {
		assert.NotContains(t, s, canaryKey, what)
		assert.NotContains(t, s, canaryToken, what)
	}
}

// TestNoCredentialInErrors sends a canary key and token through every error path: 401, 404,
// 412, a server echoing the key, a refused connection, an idle timeout, an invalid URL, a
// failing credential function, a mid-stream error, retries running out and cancellation. The
// canary must appear in no error text, no log line and no event an observer gets.
func TestNoCredentialInErrors(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.Keys = append(cfg.Keys, emulator.Identity{Key: canaryKey, Bucket: "CanaryBucket"})
	cfg.Tokens = append(cfg.Tokens, emulator.Identity{Key: canaryToken, Bucket: "CanaryBucket"})
	cfg.Deployments = append(cfg.Deployments,
		emulator.Deployment{ID: "midstream", Reply: "a b c", StreamError: &emulator.StreamError{After: 1,
			Message: "failed for " + canaryKey, Code: canaryKey}},
		emulator.Deployment{ID: "stall", Reply: "a", ChunkDelay: emulator.Duration(2 * time.Second)},
		emulator.Deployment{ID: "down", Status: 503},
	)
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	srv.Handle("GET /openai/models", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":"bad key %s / %s","display_message":"%s","param":"%s"}}`,
			r.Header.Get("Api-Key"), r.Header.Get("Authorization"), r.Header.Get("Api-Key"), r.Header.Get("Api-Key"))
	}))
	srv.Handle("GET /openai/applications", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "rejected "+r.Header.Get("Api-Key")) // plain text echo
	}))
	var logs testutil.SyncBuffer
	logger := newTestLogger(&logs)
	events := writeEvents(&logs)
	ctx := t.Context()

	c, err := NewClient(srv.URL, WithAPIKey(canaryKey),
		WithLogger(logger), WithObserver(events), WithRetryWait(0, 0), WithTimeout(200*time.Millisecond))
	require.NoError(t, err)
	defer c.Close()
	tc, err := NewClient(srv.URL, WithBearerToken(canaryToken), WithLogger(logger), WithObserver(events))
	require.NoError(t, err)
	defer tc.Close()

	_, err = c.GetDeployment(ctx, "no-such-deployment")
	assert.ErrorIs(t, err, ErrNotFound)
	assertNoCanary(t, err, "404")
	_, err = tc.DownloadFile(ctx, "files/CanaryBucket/missing.txt")
	assert.ErrorIs(t, err, ErrNotFound)
	assertNoCanary(t, err, "404 with a token")
	_, err = tc.ListModels(ctx)
	assertNoCanary(t, err, "server echoing the token")

	_, err = c.ListModels(ctx)
	assertNoCanary(t, err, "server echoing the credentials in JSON")
	_, err = c.ListApplications(ctx)
	assertNoCanary(t, err, "server echoing the credentials in text")

	_, err = c.UploadFile(ctx, "files/CanaryBucket/a.txt", strings.NewReader("x"))
	require.NoError(t, err)
	_, err = c.UploadFile(ctx, "files/CanaryBucket/a.txt", strings.NewReader("y"), IfMatch("stale"))
	assert.ErrorIs(t, err, ErrETagMismatch)
	assertNoCanary(t, err, "412")

	_, err = c.UploadFile(ctx, "files/CanaryBucket/../x", strings.NewReader("x"))
	assert.ErrorIs(t, err, ErrInvalidURL)
	assertNoCanary(t, err, "invalid URL")

	_, err = c.Chat(ctx, "down", userMsg("x"))
	assert.Contains(t, err.Error(), "giving up")
	assertNoCanary(t, err, "retries exhausted")

	s, err := c.ChatStream(ctx, "midstream", userMsg("x"))
	require.NoError(t, err)
	for s.Next() {
	}
	assertNoCanary(t, s.Err(), "mid-stream error")
	assert.Contains(t, s.Err().Error(), "failed for "+Redacted)

	s, err = c.ChatStream(ctx, "stall", userMsg("x"), MaxRetries(0))
	if err == nil {
		for s.Next() {
		}
		err = s.Err()
	}
	assert.ErrorIs(t, err, ErrTimeout)
	assertNoCanary(t, err, "timeout")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.ListDeployments(cancelled)
	assert.ErrorIs(t, err, context.Canceled)
	assertNoCanary(t, err, "cancelled")

	// 401: the canary is an unknown key to this server.
	other := emulatortest.NewServer(t)
	bad, err := NewClient(other.URL, WithAPIKey(canaryKey), WithLogger(logger), WithObserver(events))
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.ListDeployments(ctx)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assertNoCanary(t, err, "401")

	// A refused connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	closed, err := NewClient("http://"+addr, WithAPIKey(canaryKey), WithBearerToken(canaryToken),
		WithRetryWait(0, 0), WithLogger(logger), WithObserver(events))
	require.NoError(t, err)
	defer closed.Close()
	_, err = closed.Chat(ctx, "echo", userMsg("x"))
	assert.ErrorIs(t, err, ErrTransport)
	assertNoCanary(t, err, "transport error")

	// A credential function that fails, beside a static key.
	failing, err := NewClient(srv.URL, WithAPIKey(canaryKey), WithLogger(logger), WithObserver(events),
		WithBearerTokenFunc(func(context.Context) (string, error) { return "", errors.New("token expired") }))
	require.NoError(t, err)
	defer failing.Close()
	_, err = failing.ListDeployments(ctx)
	assert.ErrorIs(t, err, ErrCredentials)
	assertNoCanary(t, err, "credential function error")

	out := logs.String()
	assert.Contains(t, out, "dial: request", "debug logging was on")
	assert.Contains(t, out, "StatusCode:401", "the observer was on")
	assert.NotContains(t, out, canaryKey)
	assert.NotContains(t, out, canaryToken)
}

// TestSharedSecretsMaskEveryClientsCredentials gives two clients one Secrets: the credential
// function of one returns a token the server then echoes, in an error answer and in a
// mid-stream error event, to the other; both errors and the set's own masking hide it.
func TestSharedSecretsMaskEveryClientsCredentials(t *testing.T) {
	t.Parallel()
	const fromFunc = "canary-func-token-91b3e7"
	cfg := emulator.DefaultConfig()
	cfg.Keys = append(cfg.Keys, emulator.Identity{Key: canaryKey})
	cfg.Tokens = append(cfg.Tokens, emulator.Identity{Key: fromFunc})
	cfg.Deployments = append(cfg.Deployments, emulator.Deployment{ID: "midstream", Reply: "a b",
		StreamError: &emulator.StreamError{After: 1, Message: "token " + fromFunc + " revoked"}})
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	srv.Handle("GET /openai/models", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "models are closed to "+fromFunc, http.StatusForbidden)
	}))
	ctx := t.Context()
	var secrets Secrets
	withFunc, err := NewClient(srv.URL, WithSecrets(&secrets),
		WithBearerTokenFunc(func(context.Context) (string, error) { return fromFunc, nil }))
	require.NoError(t, err)
	defer withFunc.Close()
	_, err = withFunc.ListDeployments(ctx)
	require.NoError(t, err)

	withKey, err := NewClient(srv.URL, WithAPIKey(canaryKey), WithSecrets(&secrets))
	require.NoError(t, err)
	defer withKey.Close()
	_, err = withKey.ListModels(ctx)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "models are closed to "+Redacted, apiErr.Message)
	assert.NotContains(t, string(apiErr.Body), fromFunc)

	s, err := withKey.ChatStream(ctx, "midstream", userMsg("x"))
	require.NoError(t, err)
	for s.Next() {
	}
	require.ErrorAs(t, s.Err(), &apiErr)
	assert.Equal(t, "token "+Redacted+" revoked", apiErr.Message)
	assert.NotContains(t, string(apiErr.Body), fromFunc)

	assert.Equal(t, Redacted+" and "+Redacted, secrets.Redact(canaryKey+" and "+fromFunc))
}
