package dial

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A custom application's life: saved with a function, deployed (pending until the next read),
// chatted with as a deployment, its logs read, undeployed and deleted.
func TestCustomApplicationLifecycle(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	home, err := c.MyApplicationsHome(ctx)
	require.NoError(t, err)
	assert.Equal(t, "applications/"+emulator.DefaultBucket+"/", home)
	url := home + "tools/echo bot"
	src := "files/" + emulator.DefaultBucket + "/echo-src/"
	_, err = c.UploadFile(ctx, src+"app.py", strings.NewReader("print('hi')"))
	require.NoError(t, err)

	app := CustomApplication{
		DisplayName: LocalizedText{Text: "Echo bot"},
		Function: &ApplicationFunction{Runtime: "python3.11", SourceFolder: src,
			Mapping: map[string]string{"chat_completion": "/chat"}},
		Extra: map[string]json.RawMessage{"description_keywords": json.RawMessage(`["demo"]`)},
	}
	meta, err := c.SaveCustomApplication(ctx, url, app, IfNoneMatch("*"))
	require.NoError(t, err)
	assert.Equal(t, "APPLICATION", meta.ResourceType)
	assert.Equal(t, "echo bot", meta.Name)

	got, etag, err := c.GetCustomApplication(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, meta.ETag, etag)
	assert.Equal(t, "applications/"+emulator.DefaultBucket+"/tools/echo%20bot", got.Name)
	assert.Equal(t, "Echo bot", got.DisplayName.Text)
	assert.Equal(t, FunctionUndeployed, got.Function.Status)
	assert.Equal(t, json.RawMessage(`["demo"]`), got.Extra["description_keywords"], "undeclared members are kept")
	assert.Equal(t, map[string]string{}, got.Function.Env, "DIAL gives a function an empty env")
	raw, err := json.Marshal(got)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"env":{}`, "an empty env is written back as it came")

	var names []string
	for m, err := range c.ListCustomApplications(ctx, home, Recursive(true)) {
		require.NoError(t, err)
		names = append(names, m.Name)
	}
	assert.Equal(t, []string{"echo bot"}, names)

	dep, err := c.DeployApplication(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, FunctionDeploying, dep.Function.Status)
	_, err = c.DeployApplication(ctx, url)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 409, apiErr.StatusCode)
	assert.Equal(t, "Application must be undeployed: "+got.Name, apiErr.Message)

	got, _, err = c.GetCustomApplication(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, FunctionDeployed, got.Function.Status)

	resp, err := c.Chat(ctx, got.Name, userMsg("ping"))
	require.NoError(t, err)
	assert.Equal(t, "ping", resp.Text())

	logs, err := c.ApplicationLogs(ctx, url)
	require.NoError(t, err)
	require.Len(t, logs, 1)
	assert.Contains(t, logs[0].Content, "POST /chat/completions")

	err = c.DeleteCustomApplication(ctx, url)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 409, apiErr.StatusCode, "a deployed application cannot be deleted")

	und, err := c.UndeployApplication(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, FunctionUndeploying, und.Function.Status)
	assert.Empty(t, und.Endpoint)
	_, err = c.ApplicationLogs(ctx, url)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Application is not deployed: "+got.Name, apiErr.Message)

	require.NoError(t, c.DeleteCustomApplication(ctx, url))
	_, _, err = c.GetCustomApplication(ctx, url)
	assert.True(t, errors.Is(err, ErrNotFound))
}

// Application calls take only item URLs of the applications type, checked before any request.
func TestCustomApplicationURLChecks(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	for _, u := range []string{"files/" + emulator.DefaultBucket + "/x", "applications/" + emulator.DefaultBucket + "/dir/"} {
		_, err := c.DeployApplication(ctx, u)
		assert.ErrorIs(t, err, ErrInvalidURL, u)
		_, err = c.SaveCustomApplication(ctx, u, CustomApplication{Endpoint: "http://x"})
		assert.ErrorIs(t, err, ErrInvalidURL, u)
	}
	assert.Zero(t, srv.Connections(), "no request was sent")

	_, err := c.SaveCustomApplication(ctx, "applications/"+emulator.DefaultBucket+"/bad", CustomApplication{})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "Application endpoint or function must be provided", apiErr.Message)
}

// WaitApplication reads until the function leaves its pending state, sleeping in between,
// and gives up when the context ends.
func TestWaitApplication(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	var reads atomic.Int32
	const pending = 2
	srv.Handle("GET /v1/applications/"+emulator.DefaultBucket+"/slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		status := FunctionDeploying
		if int(reads.Add(1)) > pending {
			status = FunctionDeployed
		}
		w.Write([]byte(`{"name":"applications/` + emulator.DefaultBucket + `/slow","function":{"status":"` + status + `"}}`))
	}))
	c, w := newTestClient(t, srv)
	url := "applications/" + emulator.DefaultBucket + "/slow"
	app, err := c.WaitApplication(t.Context(), url, time.Second)
	require.NoError(t, err)
	assert.Equal(t, FunctionDeployed, app.Function.Status)
	assert.Equal(t, []time.Duration{time.Second, time.Second}, w.all())

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.WaitApplication(ctx, url, 0)
	assert.ErrorIs(t, err, context.Canceled)
}
