package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
)

// Deployment describes a model, application or toolset as DIAL lists it under /openai (the
// wire names are snake_case). Object says which: "model", "application", "toolset" (older
// servers say "deployment"). Members this type does not declare are kept in Extra, and Raw
// holds the object exactly as received.
type Deployment struct {
	ID          string        `json:"id"`
	Object      string        `json:"object,omitempty"`
	Model       string        `json:"model,omitempty"`
	Application string        `json:"application,omitempty"`
	Toolset     string        `json:"toolset,omitempty"`
	DisplayName LocalizedText `json:"display_name,omitzero"`
	// DisplayVersion, IconURL, Description, Reference and Owner are descriptive.
	DisplayVersion string        `json:"display_version,omitempty"`
	IconURL        string        `json:"icon_url,omitempty"`
	Description    LocalizedText `json:"description,omitzero"`
	Reference      string        `json:"reference,omitempty"`
	Owner          string        `json:"owner,omitempty"`
	Status         string        `json:"status,omitempty"`
	// CreatedAt and UpdatedAt are Unix seconds.
	CreatedAt int64 `json:"created_at,omitempty"`
	UpdatedAt int64 `json:"updated_at,omitempty"`
	// Features says which request features the deployment supports.
	Features             Features `json:"features,omitzero"`
	InputAttachmentTypes []string `json:"input_attachment_types,omitzero"`
	MaxInputAttachments  int      `json:"max_input_attachments,omitempty"`
	// Defaults are merged by DIAL into requests that lack those top-level members.
	Defaults            map[string]json.RawMessage `json:"defaults,omitzero"`
	DescriptionKeywords []string                   `json:"description_keywords,omitzero"`
	MaxRetryAttempts    int                        `json:"max_retry_attempts,omitempty"`
	// Interfaces lists "chat", "embedding", "mcp", "custom_ui" (newer servers).
	Interfaces []string `json:"interfaces,omitzero"`
	// Model fields.
	LifecycleStatus     string        `json:"lifecycle_status,omitempty"`
	Capabilities        *Capabilities `json:"capabilities,omitempty"`
	TokenizerModel      string        `json:"tokenizer_model,omitempty"`
	Limits              *ModelLimits  `json:"limits,omitempty"`
	Pricing             *Pricing      `json:"pricing,omitempty"`
	EmbeddingDimensions int           `json:"embedding_dimensions,omitempty"`
	// Application fields.
	ApplicationTypeSchemaID string          `json:"application_type_schema_id,omitempty"`
	ApplicationProperties   json.RawMessage `json:"application_properties,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
	Raw   json.RawMessage            `json:"-"`
}

type deploymentJSON Deployment

var deploymentFields = jsonFields[deploymentJSON]()

// MarshalJSON encodes the typed fields and Extra (not Raw).
func (d Deployment) MarshalJSON() ([]byte, error) {
	return marshalExtra(deploymentJSON(d), d.Extra, deploymentFields)
}

// UnmarshalJSON decodes a deployment, keeping undeclared members in Extra and a copy of b in
// Raw.
func (d *Deployment) UnmarshalJSON(b []byte) error {
	*d = Deployment{}
	if err := unmarshalExtra(b, (*deploymentJSON)(d), &d.Extra, deploymentFields); err != nil {
		return err
	}
	d.Raw = bytes.Clone(b)
	return nil
}

// Features are a deployment's feature flags. DIAL sends every flag; newer servers add flags
// this type does not declare, which are kept in Extra.
type Features struct {
	Rate                          bool     `json:"rate"`
	Tokenize                      bool     `json:"tokenize"`
	TruncatePrompt                bool     `json:"truncate_prompt"`
	Configuration                 bool     `json:"configuration"`
	SystemPrompt                  bool     `json:"system_prompt"`
	Tools                         bool     `json:"tools"`
	Seed                          bool     `json:"seed"`
	URLAttachments                bool     `json:"url_attachments"`
	FolderAttachments             bool     `json:"folder_attachments"`
	AllowResume                   bool     `json:"allow_resume"`
	AccessibleByPerRequestKey     bool     `json:"accessible_by_per_request_key"`
	ContentParts                  bool     `json:"content_parts"`
	Temperature                   bool     `json:"temperature"`
	ParallelToolCalls             bool     `json:"parallel_tool_calls"`
	ChatCompletion                bool     `json:"chat_completion"`
	ResponsesAPI                  bool     `json:"responses_api"`
	Cache                         bool     `json:"cache"`
	AutoCaching                   bool     `json:"auto_caching"`
	AssistantAttachmentsInRequest bool     `json:"assistant_attachments_in_request"`
	ReasoningEfforts              []string `json:"reasoning_efforts,omitzero"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Capabilities says what kind of model a deployment is.
type Capabilities struct {
	ScaleTypes     []string `json:"scale_types,omitzero"`
	Completion     bool     `json:"completion"`
	ChatCompletion bool     `json:"chat_completion"`
	Embeddings     bool     `json:"embeddings"`
	FineTune       bool     `json:"fine_tune"`
	Inference      bool     `json:"inference"`
}

// ModelLimits is a model's context window (not a rate limit). Zero means not given.
type ModelLimits struct {
	MaxTotalTokens      int `json:"max_total_tokens,omitempty"`
	MaxPromptTokens     int `json:"max_prompt_tokens,omitempty"`
	MaxCompletionTokens int `json:"max_completion_tokens,omitempty"`
}

// Pricing is a model's price per Unit ("token" or "char_without_whitespace"), as decimal
// strings.
type Pricing struct {
	Unit       string `json:"unit,omitempty"`
	Prompt     string `json:"prompt,omitempty"`
	Completion string `json:"completion,omitempty"`
	CacheRead  string `json:"cache_read,omitempty"`
	CacheWrite string `json:"cache_write,omitempty"`
}

// LocalizedText is a text DIAL sends either as a plain string or, when several locales are
// configured, as an object {"en": "…", "de": "…"}. Text is the plain string or the "en"
// entry (or else the first locale in sorted order); ByLocale is the object, nil for a plain
// string. It encodes back in the form it was decoded from.
type LocalizedText struct {
	Text     string
	ByLocale map[string]string
}

// String returns Text.
func (t LocalizedText) String() string { return t.Text }

// IsZero reports whether the text is empty, for omitzero.
func (t LocalizedText) IsZero() bool { return t.Text == "" && len(t.ByLocale) == 0 }

// MarshalJSON encodes ByLocale when set, Text otherwise.
func (t LocalizedText) MarshalJSON() ([]byte, error) {
	if t.ByLocale != nil {
		return json.Marshal(t.ByLocale)
	}
	return json.Marshal(t.Text)
}

// UnmarshalJSON accepts a string, an object of strings by locale, or null.
func (t *LocalizedText) UnmarshalJSON(b []byte) error {
	*t = LocalizedText{}
	if isNull(b) {
		return nil
	}
	if bytes.TrimSpace(b)[0] == '"' {
		return json.Unmarshal(b, &t.Text)
	}
	if err := json.Unmarshal(b, &t.ByLocale); err != nil {
		return err
	}
	if s, ok := t.ByLocale["en"]; ok {
		t.Text = s
		return nil
	}
	keys := make([]string, 0, len(t.ByLocale))
	for k := range t.ByLocale {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 0 {
		t.Text = t.ByLocale[keys[0]]
	}
	return nil
}

// listEnvelope is DIAL's {"data": [...], "object": "list"}.
type listEnvelope struct {
	Data []Deployment `json:"data"`
}

func (c *Client) list(ctx context.Context, path string, opts []CallOption) ([]Deployment, error) {
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	var env listEnvelope
	if err := c.callJSON(ctx, &request{method: http.MethodGet, path: path, cc: cc}, &env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

func (c *Client) get(ctx context.Context, prefix, kind, id string, opts []CallOption) (*Deployment, error) {
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	p, err := escapeID(kind, id)
	if err != nil {
		return nil, err
	}
	var d Deployment
	if err := c.callJSON(ctx, &request{method: http.MethodGet, path: prefix + p, cc: cc}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ListDeployments returns the deployments the credentials may use (GET /openai/deployments;
// DIAL lists models there).
func (c *Client) ListDeployments(ctx context.Context, opts ...CallOption) ([]Deployment, error) {
	return c.list(ctx, "openai/deployments", opts)
}

// GetDeployment returns one deployment. Its id is escaped segment by segment; a missing one
// is an error matching [ErrNotFound].
func (c *Client) GetDeployment(ctx context.Context, id string, opts ...CallOption) (*Deployment, error) {
	return c.get(ctx, "openai/deployments/", "deployment", id, opts)
}

// ListModels returns the models (GET /openai/models).
func (c *Client) ListModels(ctx context.Context, opts ...CallOption) ([]Deployment, error) {
	return c.list(ctx, "openai/models", opts)
}

// GetModel returns one model, with its capabilities, limits and pricing.
func (c *Client) GetModel(ctx context.Context, id string, opts ...CallOption) (*Deployment, error) {
	return c.get(ctx, "openai/models/", "model", id, opts)
}

// ListApplications returns the applications, configured and custom, visible to the
// credentials (GET /openai/applications).
func (c *Client) ListApplications(ctx context.Context, opts ...CallOption) ([]Deployment, error) {
	return c.list(ctx, "openai/applications", opts)
}

// GetApplication returns one application. Custom application ids are storage paths such as
// "applications/<bucket>/folder/my-app"; their '/' separators are kept.
func (c *Client) GetApplication(ctx context.Context, id string, opts ...CallOption) (*Deployment, error) {
	return c.get(ctx, "openai/applications/", "application", id, opts)
}

// DeploymentConfiguration returns the JSON Schema of the custom_fields.configuration a
// deployment accepts (GET /v1/deployments/{id}/configuration), or nil when the deployment has
// none (DIAL answers 200 with an empty body).
func (c *Client) DeploymentConfiguration(ctx context.Context, id string, opts ...CallOption) (json.RawMessage, error) {
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	p, err := escapeID("deployment", id)
	if err != nil {
		return nil, err
	}
	r := &request{method: http.MethodGet, path: "v1/deployments/" + p + "/configuration", cc: cc}
	data, _, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	if !validJSON(data) {
		return nil, parseError(r.method, c.base.Path+r.path, errNotJSON)
	}
	return data, nil
}
