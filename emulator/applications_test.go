package emulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appBody is a function application whose sources are in the folder src.
func appBody(src string) string {
	return `{"display_name":"Echo","function":{"runtime":"python3.11","source_folder":"` + src +
		`","mapping":{"chat_completion":"/chat"},"env":{"VAR":"VAL"}}}`
}

// appOp posts a /v1/ops/application operation on url.
func appOp(t *testing.T, srv *emulatortest.Server, op, url string) stResult {
	t.Helper()
	return stDo(t, srv, "POST", "/v1/ops/application/"+op, strings.NewReader(`{"url":"`+url+`"}`),
		"Content-Type", "application/json")
}

// decodeObject decodes a JSON object body.
func decodeObject(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

// functionOf returns the "function" member of an application body.
func functionOf(t *testing.T, body string) map[string]any {
	t.Helper()
	f, _ := decodeObject(t, body)["function"].(map[string]any)
	require.NotNil(t, f, body)
	return f
}

func TestCustomApplicationSaveValidation(t *testing.T) {
	srv := emulatortest.NewServer(t)
	path := "/v1/applications/" + srv.Bucket + "/bad"
	src := "files/" + srv.Bucket + "/src/"
	for _, tt := range []struct{ body, msg string }{
		{`{"display_name":"x"}`, "Application endpoint or function must be provided"},
		{`{"function":{"source_folder":"` + src + `","mapping":{"chat_completion":"/c"}}}`,
			"Application function runtime must be provided"},
		{`{"function":{"runtime":"python3.11","source_folder":"` + src + `"}}`,
			"Application function mapping must be provided"},
		{`{"function":{"runtime":"python3.11","source_folder":"` + src + `","mapping":{"chat_completion":"c"}}}`,
			"Application completion mapping is missing/invalid"},
		{`{"function":{"runtime":"python3.11","source_folder":"` + src + `","mapping":{"chat_completion":"/c","rate":"r"}}}`,
			"Application rate mapping is invalid"},
		{`{"function":{"runtime":"python3.11","mapping":{"chat_completion":"/c"}}}`,
			"Application function source folder must be provided"},
		{appBody("files/" + srv.Bucket + "/src"), "Application function sources must be a valid file folder: files/" + srv.Bucket + "/src"},
		{appBody("files/" + emulator.SecondBucket + "/src/"), "Application function sources must be a valid file folder: files/" + emulator.SecondBucket + "/src/"},
	} {
		r := stDo(t, srv, "PUT", path, strings.NewReader(tt.body), "Content-Type", "application/json")
		assert.Equal(t, 400, r.status, tt.body)
		assert.Equal(t, tt.msg, r.body, tt.body)
	}
	r := stDo(t, srv, "GET", path, nil)
	assert.Equal(t, 404, r.status, "nothing was stored")
}

func TestCustomApplicationSaveAndGet(t *testing.T) {
	srv := emulatortest.NewServer(t)
	url := "applications/" + srv.Bucket + "/team/echo"
	put := stDo(t, srv, "PUT", "/v1/"+url, strings.NewReader(appBody("files/"+srv.Bucket+"/src/")),
		"Content-Type", "application/json")
	require.Equal(t, 200, put.status, put.body)
	meta := decodeObject(t, put.body)
	assert.Equal(t, "APPLICATION", meta["resourceType"])
	assert.Equal(t, url, meta["url"])
	assert.Equal(t, put.header.Get("ETag"), meta["etag"])

	got := stDo(t, srv, "GET", "/v1/"+url, nil)
	require.Equal(t, 200, got.status)
	assert.Equal(t, put.header.Get("ETag"), got.header.Get("ETag"))
	app := decodeObject(t, got.body)
	assert.Equal(t, url, app["name"], "the name is the URL")
	assert.Equal(t, false, app["forward_auth_token"])
	assert.NotEmpty(t, app["reference"])
	f := app["function"].(map[string]any)
	assert.Equal(t, "UNDEPLOYED", f["status"])
	assert.Equal(t, srv.Bucket, f["author_bucket"])
	assert.NotEmpty(t, f["id"])

	// Saving again keeps the function's identity and state.
	again := stDo(t, srv, "PUT", "/v1/"+url, strings.NewReader(appBody("files/"+srv.Bucket+"/src/")),
		"If-Match", put.header.Get("ETag"))
	require.Equal(t, 200, again.status, again.body)
	assert.Equal(t, f["id"], functionOf(t, stDo(t, srv, "GET", "/v1/"+url, nil).body)["id"])

	stale := stDo(t, srv, "PUT", "/v1/"+url, strings.NewReader(appBody("files/"+srv.Bucket+"/src/")),
		"If-Match", put.header.Get("ETag"))
	assert.Equal(t, 412, stale.status)

	md := stDo(t, srv, "GET", "/v1/metadata/applications/"+srv.Bucket+"/team/", nil)
	require.Equal(t, 200, md.status, md.body)
	assert.Contains(t, md.body, `"url":"`+url+`"`)

	foreign := stDo(t, srv, "GET", "/v1/applications/"+emulator.SecondBucket+"/x", nil)
	assert.Equal(t, 403, foreign.status)
}

func TestCustomApplicationDeployLifecycle(t *testing.T) {
	srv := emulatortest.NewServer(t)
	url := "applications/" + srv.Bucket + "/echo"
	src := "files/" + srv.Bucket + "/echo-src/"
	require.Equal(t, 200, stDo(t, srv, "PUT", "/v1/"+url, strings.NewReader(appBody(src))).status)
	body, ct := stMultipart(t, "attachment", "app.py", "text/x-python", []byte("print('hi')"))
	require.Equal(t, 200, stDo(t, srv, "PUT", "/v1/"+src+"app.py", body, "Content-Type", ct).status)

	r := appOp(t, srv, "logs", url)
	assert.Equal(t, 409, r.status)
	assert.Equal(t, "Application is not deployed: "+url, r.body)
	r = appOp(t, srv, "undeploy", url)
	assert.Equal(t, 409, r.status)
	assert.Equal(t, "Application is not deployed: "+url, r.body)

	code, _, chatBody := chat(t, srv, url, `{"messages":[{"role":"user","content":"hi"}]}`)
	assert.Equal(t, 503, code, "an undeployed function has no endpoint: "+chatBody)

	r = appOp(t, srv, "deploy", url)
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, "DEPLOYING", functionOf(t, r.body)["status"])
	r = appOp(t, srv, "deploy", url)
	assert.Equal(t, 409, r.status)
	assert.Equal(t, "Application must be undeployed: "+url, r.body)
	del := stDo(t, srv, "DELETE", "/v1/"+url, nil)
	assert.Equal(t, 409, del.status)
	assert.Equal(t, "Application must be undeployed: "+url, del.body)

	got := stDo(t, srv, "GET", "/v1/"+url, nil)
	assert.Equal(t, "DEPLOYED", functionOf(t, got.body)["status"], "the next read finishes the deploy")
	assert.Contains(t, decodeObject(t, got.body)["endpoint"], "/chat")

	code, _, chatBody = chat(t, srv, url, `{"messages":[{"role":"user","content":"ping"}]}`)
	require.Equal(t, 200, code, chatBody)
	assert.Contains(t, chatBody, "ping")

	r = appOp(t, srv, "logs", url)
	require.Equal(t, 200, r.status, r.body)
	var logs struct {
		Logs []struct{ Instance, Content string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &logs))
	require.Len(t, logs.Logs, 1)
	assert.Equal(t, "deployed "+url+" from "+src+" (1 files)\nPOST /chat/completions\n", logs.Logs[0].Content)

	_, _, listBody := get(t, srv, "/openai/applications")
	var found map[string]any
	for _, d := range listing(t, listBody) {
		if d["id"] == url {
			found = d
		}
	}
	require.NotNil(t, found, "the listing includes the custom application: "+listBody)
	assert.Equal(t, "application", found["object"])
	assert.Equal(t, "Echo", found["display_name"])

	r = appOp(t, srv, "undeploy", url)
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, "UNDEPLOYING", functionOf(t, r.body)["status"])
	assert.Nil(t, decodeObject(t, r.body)["endpoint"])
	code, _, _ = get(t, srv, "/openai/applications/"+url)
	assert.Equal(t, 200, code)
	assert.Equal(t, "UNDEPLOYED", functionOf(t, stDo(t, srv, "GET", "/v1/"+url, nil).body)["status"])
	assert.Equal(t, 200, stDo(t, srv, "DELETE", "/v1/"+url, nil).status)
	assert.Equal(t, 404, appOp(t, srv, "deploy", url).status)
}

func TestCustomApplicationDeployFailsOnEmptySources(t *testing.T) {
	srv := emulatortest.NewServer(t)
	url := "applications/" + srv.Bucket + "/empty"
	require.Equal(t, 200, stDo(t, srv, "PUT", "/v1/"+url, strings.NewReader(appBody("files/"+srv.Bucket+"/none/"))).status)
	require.Equal(t, 200, appOp(t, srv, "deploy", url).status)
	f := functionOf(t, stDo(t, srv, "GET", "/v1/"+url, nil).body)
	assert.Equal(t, "FAILED", f["status"])
	assert.Equal(t, "Source folder is empty", f["error"])
	r := appOp(t, srv, "deploy", url)
	require.Equal(t, 200, r.status, "a failed function may be deployed again")
	_, hasError := functionOf(t, r.body)["error"]
	assert.False(t, hasError)
}

func TestCustomApplicationOpErrors(t *testing.T) {
	srv := emulatortest.NewServer(t)
	endpointApp := "applications/" + srv.Bucket + "/remote"
	require.Equal(t, 200, stDo(t, srv, "PUT", "/v1/"+endpointApp,
		strings.NewReader(`{"endpoint":"http://remote.example/chat"}`)).status)
	for _, tt := range []struct {
		op, url string
		status  int
		msg     string
	}{
		{"deploy", "files/" + srv.Bucket + "/x", 400, "Invalid application: files/" + srv.Bucket + "/x"},
		{"deploy", "applications/" + emulator.SecondBucket + "/x", 403,
			"Forbidden operation for application: applications/" + emulator.SecondBucket + "/x"},
		{"deploy", "applications/" + srv.Bucket + "/dir/", 400, "Invalid application url: applications/" + srv.Bucket + "/dir/"},
		{"deploy", "applications/" + srv.Bucket + "/missing", 404, "Application is not found: applications/" + srv.Bucket + "/missing"},
		{"deploy", endpointApp, 409, "Application does not have function: " + endpointApp},
		{"logs", endpointApp, 409, "Application does not have function: " + endpointApp},
	} {
		r := appOp(t, srv, tt.op, tt.url)
		assert.Equal(t, tt.status, r.status, tt.url)
		assert.Equal(t, tt.msg, r.body, tt.url)
	}
	r := stDo(t, srv, "POST", "/v1/ops/application/deploy", strings.NewReader("not json"))
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.True(t, strings.HasPrefix(r.body, "Failed to parse json: "), r.body)
	code, _, body := chat(t, srv, endpointApp, `{"messages":[{"role":"user","content":"hello"}]}`)
	assert.Equal(t, 200, code, "an endpoint application answers")
	assert.Contains(t, body, "hello")
	code, _, _ = chat(t, srv, "applications/"+srv.Bucket+"/missing", `{"messages":[{"role":"user","content":"x"}]}`)
	assert.Equal(t, 404, code)
}
