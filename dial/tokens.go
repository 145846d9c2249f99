package dial

import (
	"context"
	"encoding/json"
	"net/http"
)

// Tokenize counts the tokens of inputs with a deployment's tokenizer (POST
// /v1/deployments/{id}/tokenize). body is the request as DIAL takes it,
// {"inputs":[{"type":"request","value":<chat request>}|{"type":"string","value":"…"}]}, and
// the answer comes back as received, {"outputs":[{"status":"success","token_count":N}|
// {"status":"error","error":"…"}]}. A deployment without the tokenize feature answers 403.
func (c *Client) Tokenize(ctx context.Context, deployment string, body json.RawMessage, opts ...CallOption) (json.RawMessage, error) {
	return c.deploymentFeature(ctx, deployment, "tokenize", body, opts)
}

// TruncatePrompt asks a deployment which messages it would discard to fit each request into
// its max_prompt_tokens (POST /v1/deployments/{id}/truncate_prompt). body is
// {"inputs":[<chat request>…]} and the answer comes back as received,
// {"outputs":[{"status":"success","discarded_messages":[i…]}|{"status":"error","error":"…"}]}.
// A deployment without the truncate_prompt feature answers 403.
func (c *Client) TruncatePrompt(ctx context.Context, deployment string, body json.RawMessage, opts ...CallOption) (json.RawMessage, error) {
	return c.deploymentFeature(ctx, deployment, "truncate_prompt", body, opts)
}

// deploymentFeature posts body to /v1/deployments/{id}/{feature} and returns the JSON answer.
func (c *Client) deploymentFeature(ctx context.Context, deployment, feature string, body json.RawMessage, opts []CallOption) (json.RawMessage, error) {
	p, err := escapeID("deployment", deployment)
	if err != nil {
		return nil, err
	}
	return c.getRaw(ctx, http.MethodPost, "v1/deployments/"+p+"/"+feature, body, opts)
}

// getRaw sends a JSON request (body may be nil) and returns its JSON answer, which must be
// valid JSON.
func (c *Client) getRaw(ctx context.Context, method, path string, body json.RawMessage, opts []CallOption) (json.RawMessage, error) {
	data, err := c.DoJSON(ctx, method, path, body, opts...)
	if err != nil {
		return nil, err
	}
	if !validJSON(data) {
		return nil, parseError(method, c.base.Path+path, errNotJSON)
	}
	return data, nil
}
