package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
)

func tokenServer(t *testing.T) *emulatortest.Server {
	return emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "counted",
		Features: map[string]bool{"tokenize": true, "truncate_prompt": true},
		Limits:   &emulator.Limits{MaxPromptTokens: 5}}))
}

func post(t *testing.T, srv *emulatortest.Server, path, body string) (int, string) {
	t.Helper()
	status, _, out := do(t, http.MethodPost, srv.URL+path, strings.NewReader(body),
		"Api-Key", srv.Key, "Content-Type", "application/json")
	return status, strings.TrimSpace(out)
}

func TestTokenize(t *testing.T) {
	t.Parallel()
	srv := tokenServer(t)
	status, body := post(t, srv, "/v1/deployments/counted/tokenize", `{"inputs":[
		{"type":"string","value":"  three  words here "},
		{"type":"request","value":{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi there"}]}},
		{"type":"image"}]}`)
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"outputs":[{"status":"success","token_count":3},{"status":"success","token_count":4},
		{"status":"error","error":"an input must be {\"type\":\"string\",\"value\":\"…\"} or {\"type\":\"request\",\"value\":{\"messages\":[…]}}"}]}`, body)
	status, body = post(t, srv, "/v1/deployments/echo/tokenize", `{"inputs":[]}`)
	assert.Equal(t, 403, status, "a deployment without the feature")
	assert.Equal(t, "Forbidden deployment", body)
}

func TestTruncatePrompt(t *testing.T) {
	t.Parallel()
	srv := tokenServer(t)
	status, body := post(t, srv, "/v1/deployments/counted/truncate_prompt", `{"inputs":[
		{"messages":[{"role":"system","content":"s"},{"role":"user","content":"a b c"},{"role":"assistant","content":"d"},{"role":"user","content":"e f"}]},
		{"max_prompt_tokens":10,"messages":[{"role":"user","content":"a b c"},{"role":"user","content":"e f"}]},
		{"max_prompt_tokens":2,"messages":[{"role":"system","content":"s t"},{"role":"user","content":"e f"}]}]}`)
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"outputs":[{"status":"success","discarded_messages":[1]},{"status":"success","discarded_messages":[]},
		{"status":"error","error":"The requested maximum prompt tokens is 2. However, the system messages and the last user message resulted in 4 tokens. Please reduce the length of the messages or increase the maximum prompt tokens."}]}`, body)
}
