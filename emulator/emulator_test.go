package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// do sends a request with the given headers and returns the status, headers and body.
func do(t testing.TB, method, url string, body io.Reader, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := testutil.HTTPClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// get sends an authenticated GET with the server's key.
func get(t *testing.T, srv *emulatortest.Server, path string) (int, http.Header, string) {
	t.Helper()
	return do(t, http.MethodGet, srv.URL+path, nil, "Api-Key", srv.Key)
}

func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	url := srv.URL + "/openai/deployments"
	cases := []struct {
		name    string
		headers []string
		status  int
		body    string
	}{
		{"no credentials", nil, 401, "At least API-KEY or Authorization header must be provided"},
		{"unknown key", []string{"Api-Key", "nope"}, 401, "Unknown api key"},
		{"key", []string{"Api-Key", emulator.DefaultKey}, 200, ""},
		{"key header any case", []string{"API-KEY", emulator.DefaultKey}, 200, ""},
		{"bearer token", []string{"Authorization", "Bearer " + emulator.DefaultToken}, 200, ""},
		{"bearer lower case", []string{"Authorization", "bearer " + emulator.DefaultToken}, 200, ""},
		{"bearer unknown", []string{"Authorization", "Bearer nope"}, 401, "Unknown api key"},
		{"bearer carrying a key", []string{"Authorization", "Bearer " + emulator.DefaultKey}, 200, ""},
		{"not bearer", []string{"Authorization", "Basic abc"}, 401, "Bad Authorization header"},
		{"empty bearer beside key", []string{"Api-Key", emulator.DefaultKey, "Authorization", "Bearer"}, 200, ""},
		{"same key in both", []string{"Api-Key", emulator.DefaultKey, "Authorization", "Bearer " + emulator.DefaultKey}, 200, ""},
		{"key and other token", []string{"Api-Key", emulator.DefaultKey, "Authorization", "Bearer " + emulator.DefaultToken},
			400, "Provided API key is not per request key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, h, body := do(t, http.MethodGet, url, nil, tc.headers...)
			assert.Equal(t, tc.status, status)
			if tc.status != 200 {
				assert.Equal(t, tc.body, body)
				assert.Empty(t, h.Get("Content-Type"), "Core sends plain-text errors without a content type")
			}
		})
	}
}

func TestHealthVersionAndNoRoute(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	status, _, _ := do(t, http.MethodGet, srv.URL+"/health", nil)
	assert.Equal(t, 200, status)
	status, _, body := do(t, http.MethodGet, srv.URL+"/version", nil)
	assert.Equal(t, 200, status)
	assert.Equal(t, emulator.Version, body)
	for _, path := range []string{"/openai/assistants", "/v1/unknown", "/openai/addons/x", "/v1/metadata/nope/b/x"} {
		status, _, body = get(t, srv, path)
		assert.Equal(t, 502, status, path)
		assert.Equal(t, "No route", body, path)
	}
	status, _, body = do(t, http.MethodGet, srv.URL+"/v1/unknown", nil)
	assert.Equal(t, 401, status, "authentication comes before routing")
	assert.Contains(t, body, "API-KEY")
	status, h, _ := do(t, http.MethodOptions, srv.URL+"/openai/deployments", nil)
	assert.Equal(t, 200, status)
	assert.Equal(t, "86400", h.Get("Access-Control-Max-Age"))
	assert.Equal(t, "*", h.Get("Access-Control-Allow-Origin"))
}

// listing decodes a {"data":[…],"object":"list"} body.
func listing(t *testing.T, body string) []map[string]any {
	t.Helper()
	var l struct {
		Data   []map[string]any `json:"data"`
		Object string           `json:"object"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &l))
	require.Equal(t, "list", l.Object)
	return l.Data
}

func TestListings(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	status, _, body := get(t, srv, "/openai/deployments")
	require.Equal(t, 200, status)
	deps := listing(t, body)
	var ids []string
	for _, d := range deps {
		ids = append(ids, d["id"].(string))
		assert.Equal(t, "model", d["object"])
		assert.Equal(t, d["id"], d["model"])
		features := d["features"].(map[string]any)
		for k := range emulator.DefaultFeatures() {
			assert.Contains(t, features, k, "every feature key is listed")
		}
		assert.Contains(t, d, "display_name")
		assert.Contains(t, d, "created_at")
		assert.NotContains(t, d, "createdAt", "listings are snake_case")
	}
	assert.Equal(t, []string{"echo", "gpt-4o", "gpt-4o-mini", "slow", "text-embedding-3-small"}, ids)
	assert.Equal(t, true, deps[1]["features"].(map[string]any)["tools"], "configured features override defaults")

	_, _, body = get(t, srv, "/openai/models")
	assert.Len(t, listing(t, body), 5)

	_, _, body = get(t, srv, "/openai/applications")
	apps := listing(t, body)
	require.Len(t, apps, 2)
	assert.Equal(t, "application", apps[0]["object"])
	assert.Equal(t, "my-app", apps[0]["application"])

	status, _, body = get(t, srv, "/openai/deployments/gpt-4o")
	require.Equal(t, 200, status)
	assert.Contains(t, body, `"id":"gpt-4o"`)
	status, _, body = get(t, srv, "/openai/models/gpt-4o")
	require.Equal(t, 200, status)
	status, _, _ = get(t, srv, "/openai/models/my-app")
	assert.Equal(t, 404, status, "an application is not a model")

	custom := "applications/" + emulator.DefaultBucket + "/folder/my-app"
	for _, path := range []string{"/openai/applications/" + custom, "/openai/deployments/" + custom,
		"/openai/applications/applications/" + emulator.DefaultBucket + "/folder/my%2Dapp"} {
		status, _, body = get(t, srv, path)
		require.Equal(t, 200, status, path)
		assert.Contains(t, body, `"application":"`+custom+`"`)
	}

	status, _, body = get(t, srv, "/openai/deployments/missing")
	assert.Equal(t, 404, status)
	assert.Equal(t, "Unknown deployment: missing", body)
	status, _, body = get(t, srv, "/openai/applications/missing")
	assert.Equal(t, 404, status)
	assert.Empty(t, body)
}

func TestRestrictedKey(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	status, _, body := do(t, http.MethodGet, srv.URL+"/openai/deployments", nil, "Api-Key", emulator.RestrictedKey)
	require.Equal(t, 200, status)
	deps := listing(t, body)
	require.Len(t, deps, 1)
	assert.Equal(t, "echo", deps[0]["id"])

	status, _, body = do(t, http.MethodPost, srv.URL+"/openai/deployments/gpt-4o/chat/completions",
		strings.NewReader(`{"messages":[{"role":"user","content":"hi"}]}`),
		"Api-Key", emulator.RestrictedKey, "Content-Type", "application/json")
	assert.Equal(t, 403, status)
	assert.Equal(t, "Forbidden deployment: gpt-4o", body)
	status, _, _ = do(t, http.MethodGet, srv.URL+"/openai/deployments/gpt-4o", nil, "Api-Key", emulator.RestrictedKey)
	assert.Equal(t, 403, status)
}

func TestConfigurationEndpoint(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	status, h, body := get(t, srv, "/v1/deployments/my-app/configuration")
	require.Equal(t, 200, status)
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.JSONEq(t, `{"type":"object","properties":{"mode":{"type":"string"}}}`, body)
	status, _, body = get(t, srv, "/v1/deployments/gpt-4o/configuration")
	assert.Equal(t, 200, status)
	assert.Empty(t, body, "no schema: an empty 200 as Core sends")
	status, _, _ = get(t, srv, "/v1/deployments/missing/configuration")
	assert.Equal(t, 404, status)
}

func TestBucketAndUserInfo(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	_, _, body := get(t, srv, "/v1/bucket")
	assert.JSONEq(t, `{"bucket":"`+emulator.DefaultBucket+`"}`, body)
	_, _, body = do(t, http.MethodGet, srv.URL+"/v1/bucket", nil, "Authorization", "Bearer "+emulator.DefaultToken)
	assert.JSONEq(t, `{"bucket":"`+emulator.TokenBucket+`"}`, body)
	_, _, body = get(t, srv, "/v1/user/info")
	assert.JSONEq(t, `{"roles":["default"],"project":"emulator"}`, body)
}

func TestPrefixAndOverrides(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithPrefix("/deep/base"))
	assert.True(t, strings.HasSuffix(srv.URL, "/deep/base"))
	status, _, _ := get(t, srv, "/openai/deployments")
	assert.Equal(t, 200, status)
	status, _, _ = do(t, http.MethodGet, strings.TrimSuffix(srv.URL, "/deep/base")+"/openai/deployments", nil,
		"Api-Key", srv.Key)
	assert.Equal(t, 404, status, "a client that drops the base path misses the API")

	srv.Handle("GET /openai/models", emulatortest.JSON(200, `{"data":[],"object":"list"}`))
	_, _, body := get(t, srv, "/openai/models")
	assert.Empty(t, listing(t, body))
	_, _, body = get(t, srv, "/openai/deployments")
	assert.NotEmpty(t, listing(t, body), "other routes still reach the emulator")

	srv.Handle("GET /v1/bucket", emulatortest.Fail(1, 503, 7, emulatortest.JSON(200, `{"bucket":"X"}`)))
	status, h, body := get(t, srv, "/v1/bucket")
	assert.Equal(t, 503, status)
	assert.Equal(t, "7", h.Get("Retry-After"))
	assert.Contains(t, body, `"error"`)
	status, _, body = get(t, srv, "/v1/bucket")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"bucket":"X"}`, body)
	assert.GreaterOrEqual(t, srv.Connections(), 1)

	root := emulatortest.NewServer(t, emulatortest.WithPrefix(""))
	status, _, _ = get(t, root, "/openai/deployments")
	assert.Equal(t, 200, status)
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	good := write("good.json", `{
		"keys": [{"key": "k1", "bucket": "B1", "deployments": ["fast"]}],
		"tokens": [{"key": "t1"}],
		"deployments": [{"id": "fast", "reply": "hi", "chunk_delay": "5ms", "status": 429, "retry_after": 2, "fail_times": 1}],
		"heartbeat_period": "50ms"
	}`)
	cfg, err := emulator.LoadConfig(good)
	require.NoError(t, err)
	require.Len(t, cfg.Deployments, 1)
	assert.Equal(t, emulator.Duration(5e6), cfg.Deployments[0].ChunkDelay)
	assert.Equal(t, 429, cfg.Deployments[0].Status)
	assert.Equal(t, emulator.Duration(5e7), cfg.HeartbeatPeriod)

	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	assert.Equal(t, "k1", srv.Key)
	assert.Equal(t, "B1", srv.Bucket)
	_, _, body := do(t, http.MethodGet, srv.URL+"/v1/bucket", nil, "Authorization", "Bearer t1")
	assert.Contains(t, body, `"bucket":"B`, "a key without a bucket gets a derived one")

	for name, content := range map[string]string{
		"typo.json":      `{"deployment": []}`,
		"dupkey.json":    `{"keys": [{"key": "a"}, {"key": "a"}]}`,
		"bucket.json":    `{"keys": [{"key": "a", "bucket": "no/slash"}]}`,
		"status.json":    `{"deployments": [{"id": "x", "status": 200}]}`,
		"duration.json":  `{"deployments": [{"id": "x", "chunk_delay": "soon"}]}`,
		"dupdep.json":    `{"deployments": [{"id": "x"}], "applications": [{"id": "x"}]}`,
		"emptyid.json":   `{"deployments": [{"id": ""}]}`,
		"negative.json":  `{"deployments": [{"id": "x", "chunks": -1}]}`,
		"heartbeat.json": `{"heartbeat_period": "-1s"}`,
		"malformed.json": `{"keys": [`,
	} {
		_, err := emulator.LoadConfig(write(name, content))
		assert.Error(t, err, name)
	}
	_, err = emulator.LoadConfig(filepath.Join(dir, "missing.json"))
	assert.Error(t, err)
}

func TestConfigErrorsHideKeys(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-secret-key-123"
	_, err := emulator.New(emulator.Config{Keys: []emulator.Identity{{Key: canary}, {Key: canary}}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), canary)
}

func TestBucketOfKey(t *testing.T) {
	t.Parallel()
	e, err := emulator.New(emulator.DefaultConfig())
	require.NoError(t, err)
	defer e.Close()
	assert.Equal(t, emulator.DefaultBucket, e.Bucket(emulator.DefaultKey))
	assert.Equal(t, emulator.SecondBucket, e.Bucket(emulator.SecondKey))
	assert.Empty(t, e.Bucket("no-such-key"))
}
