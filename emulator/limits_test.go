package emulator_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitedServer is an emulator whose default key may use 10 tokens a minute of "echo" and make
// 2 requests an hour to "gpt-4o", and a priced model "priced".
func limitedServer(t *testing.T) *emulatortest.Server {
	cfg := emulator.DefaultConfig()
	cfg.Keys[0].Limits = map[string]emulator.RateLimit{"echo": {Minute: 10}, "gpt-4o": {RequestHour: 2}}
	cfg.Keys = append(cfg.Keys, emulator.Identity{Key: "app-key", Bucket: "AppBucket", Application: "my app"})
	cfg.Deployments = append(cfg.Deployments, emulator.Deployment{ID: "priced",
		Pricing: &emulator.Pricing{Unit: "token", Prompt: "0.5", Completion: "2"}})
	return emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
}

// chatAs posts a one-message chat to deployment with the server's key.
func chatAs(t *testing.T, srv *emulatortest.Server, deployment, text string) (int, http.Header, string) {
	t.Helper()
	body := `{"messages":[{"role":"user","content":"` + text + `"}]}`
	return do(t, http.MethodPost, srv.URL+"/openai/deployments/"+deployment+"/chat/completions",
		strings.NewReader(body), "Api-Key", srv.Key, "Content-Type", "application/json")
}

// stats decodes a JSON body into a map.
func stats(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

func TestTokenRateLimit(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t)
	status, _, body := chatAs(t, srv, "echo", "one two three four five six")
	require.Equal(t, 200, status, body) // 6 prompt + 6 completion tokens
	status, h, body := chatAs(t, srv, "echo", "again")
	assert.Equal(t, 429, status)
	// The calendar windows are not asserted on: a test running across midnight UTC would see them
	// reset.
	assert.Regexp(t, `^\{"error":\{"message":"Hit token rate limit\. Minute limit: 12 / 10 tokens\. `+
		`Day limit: \d+ / 9223372036854775807 tokens\. Week limit: \d+ / 9223372036854775807 tokens\. `+
		`Month limit: \d+ / 9223372036854775807 tokens\.","code":"429",`+
		`"display_message":"You have exceeded your rate limit for echo\."\}\}$`, strings.TrimSpace(body))
	assert.NotEmpty(t, h.Get("Retry-After"))
	status, _, body = get(t, srv, "/v1/deployments/echo/limits")
	require.Equal(t, 200, status)
	minute := stats(t, body)["minuteTokenStats"].(map[string]any)
	assert.Equal(t, map[string]any{"total": 10.0, "used": 12.0}, minute, "a refused request uses nothing")
	assert.Equal(t, 1.0, stats(t, body)["hourRequestStats"].(map[string]any)["used"])
	assert.NotEmpty(t, stats(t, body)["dayRequestStats"].(map[string]any)["resetsAt"], "calendar windows say when they reset")
	assert.NotContains(t, stats(t, body)["hourRequestStats"], "resetsAt", "trailing windows do not")
	status, _, _ = chatAs(t, srv, "gpt-4o-mini", "unlimited")
	assert.Equal(t, 200, status, "other deployments are not limited")
}

func TestRequestRateLimit(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t)
	for range 2 {
		status, _, body := chatAs(t, srv, "gpt-4o", "hi")
		require.Equal(t, 200, status, body)
	}
	status, _, body := chatAs(t, srv, "gpt-4o", "hi")
	assert.Equal(t, 429, status)
	assert.Regexp(t, `Hit request rate limit\. Hour limit: 2 / 2 requests\. Day limit: \d+ / 9223372036854775807 requests\.`, body)
}

// TestRequestRateLimitConcurrent sends together more requests than the hour's request limit has
// room left for: exactly that many are admitted, the others get 429, and the window ends up full,
// not over.
func TestRequestRateLimitConcurrent(t *testing.T) {
	t.Parallel()
	const limit, used, sent = 5, 2, 32
	cfg := emulator.DefaultConfig()
	cfg.Keys[0].Limits = map[string]emulator.RateLimit{"gpt-4o": {RequestHour: limit}}
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	for range used {
		status, _, body := chatAs(t, srv, "gpt-4o", "hi")
		require.Equal(t, 200, status, body)
	}
	srv.Handle("POST /openai/deployments/gpt-4o/chat/completions", emulatortest.Barrier(sent, srv.Emulator))
	type result struct {
		status int
		body   string
	}
	results := make(chan result, sent)
	for range sent {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
			srv.URL+"/openai/deployments/gpt-4o/chat/completions",
			strings.NewReader(`{"messages":[{"role":"user","content":"hi"}]}`))
		require.NoError(t, err)
		req.Header.Set("Api-Key", srv.Key)
		req.Header.Set("Content-Type", "application/json")
		go func() {
			resp, err := testutil.HTTPClient.Do(req)
			if err != nil {
				results <- result{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				b = []byte(err.Error())
			}
			results <- result{resp.StatusCode, string(b)}
		}()
	}
	statuses := map[int]int{}
	for range sent {
		r := <-results
		statuses[r.status]++
		if r.status == http.StatusTooManyRequests {
			assert.Contains(t, r.body, fmt.Sprintf("Hour limit: %d / %d requests.", limit, limit),
				"a refused request sees the window full, not over")
		} else {
			assert.Equal(t, http.StatusOK, r.status, r.body)
		}
	}
	assert.Equal(t, map[int]int{http.StatusOK: limit - used, http.StatusTooManyRequests: sent - (limit - used)}, statuses)
	_, _, body := get(t, srv, "/v1/deployments/gpt-4o/limits")
	assert.Equal(t, map[string]any{"total": float64(limit), "used": float64(limit)},
		stats(t, body)["hourRequestStats"], "the window ends up full, not over")
}

func TestUserLimitsAndUsage(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t)
	status, _, body := chatAs(t, srv, "priced", "a b c")
	require.Equal(t, 200, status, body) // 3 prompt tokens at 0.5, 3 completion tokens at 2
	_, _, body = get(t, srv, "/v1/user/limits")
	all := stats(t, body)
	deployments := all["deployments"].(map[string]any)
	assert.Contains(t, deployments, "echo", "limits list every model")
	assert.NotContains(t, deployments, "my-app", "applications are not listed")
	assert.Equal(t, 7.5, all["minuteCostStats"].(map[string]any)["used"])
	_, _, body = get(t, srv, "/v1/user/usage")
	usage := stats(t, body)
	assert.Equal(t, []string{"priced"}, keys(usage["deployments"].(map[string]any)), "usage lists the used models")
	priced := usage["deployments"].(map[string]any)["priced"].(map[string]any)
	assert.Equal(t, 6.0, priced["minuteTokenStats"].(map[string]any)["used"])
	assert.Equal(t, 7.5, priced["minuteCostStats"].(map[string]any)["used"])
	_, _, body = get(t, srv, "/openai/models/priced")
	assert.Equal(t, map[string]any{"unit": "token", "prompt": "0.5", "completion": "2"}, stats(t, body)["pricing"])
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAppDataBucket(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t)
	_, _, body := do(t, http.MethodGet, srv.URL+"/v1/bucket", nil, "Api-Key", "app-key")
	assert.JSONEq(t, `{"bucket":"AppBucket","appdata":"AppBucket/appdata/my%20app"}`, body)
	_, _, body = get(t, srv, "/v1/bucket")
	assert.JSONEq(t, `{"bucket":"`+srv.Bucket+`"}`, body, "other keys have no appdata")
}
