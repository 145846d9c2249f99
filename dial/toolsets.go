package dial

import (
	"context"
	"encoding/json"
	"net/http"
)

// ListToolsets returns the MCP toolsets the credentials may use (GET /openai/toolsets). Each
// keeps its JSON in Raw: transport, allowed_tools, auth_settings, …
func (c *Client) ListToolsets(ctx context.Context, opts ...CallOption) ([]Deployment, error) {
	return c.list(ctx, "openai/toolsets", opts)
}

// GetToolset returns one toolset (GET /openai/toolsets/{id}). Custom toolset ids are storage
// paths such as "toolsets/<bucket>/folder/name"; their '/' separators are kept.
func (c *Client) GetToolset(ctx context.Context, id string, opts ...CallOption) (*Deployment, error) {
	return c.get(ctx, "openai/toolsets/", "toolset", id, opts)
}

// ToolsetTools returns GET /v1/toolset/{id}/tools as received: {"tools": [MCP tool…]} with
// each tool's name, description and inputSchema, and "nextCursor" when more follow.
func (c *Client) ToolsetTools(ctx context.Context, id string, opts ...CallOption) (json.RawMessage, error) {
	p, err := toolsetPath(id, "tools")
	if err != nil {
		return nil, err
	}
	return c.DoJSON(ctx, http.MethodGet, p, nil, opts...)
}

// toolsetPath is "v1/toolset/{escaped id}/{endpoint}".
func toolsetPath(id, endpoint string) (string, error) {
	p, err := escapeID("toolset", id)
	if err != nil {
		return "", err
	}
	return "v1/toolset/" + p + "/" + endpoint, nil
}
