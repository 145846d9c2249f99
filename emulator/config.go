package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Config describes what an [Emulator] serves: its identities, its deployments and applications,
// and where it keeps storage. The zero value serves nothing and accepts no credential; start
// from [DefaultConfig] for a ready set. A Config is plain data and loads from JSON with
// [LoadConfig], so `dialua serve --config FILE` uses the same format.
type Config struct {
	// Keys are the accepted API keys (the `Api-Key` header).
	Keys []Identity `json:"keys,omitempty"`
	// Tokens are the accepted bearer tokens (`Authorization: Bearer …`). The emulator does not
	// validate JWTs: a token is an opaque string looked up here, then, like Core, as an API key.
	Tokens []Identity `json:"tokens,omitempty"`
	// Deployments are the models the emulator answers for.
	Deployments []Deployment `json:"deployments,omitempty"`
	// Applications are listed under /openai/applications and answer chat like deployments.
	// Their ids may contain '/' (custom applications: "applications/<bucket>/folder/app").
	Applications []Deployment `json:"applications,omitempty"`
	// Toolsets are the MCP toolsets listed under /openai/toolsets, each served by a built-in
	// MCP server.
	Toolsets []Toolset `json:"toolsets,omitempty"`
	// DataDir keeps storage in a directory that survives a restart; empty keeps it in memory.
	// One emulator at a time may use a directory: [New] fails with [ErrDataDirInUse] while
	// another has it open, in this process or another.
	DataDir string `json:"data_dir,omitempty"`
	// MaxUploadSize bounds a multipart upload in bytes (Core's storage.maxUploadedFileSize);
	// zero means 512 MiB.
	MaxUploadSize int64 `json:"max_upload_size,omitempty"`
	// LegacyIfMatch restores the behaviour of Core before early 2026: If-Match is ignored when the
	// resource does not exist. By default a missing resource fails If-Match with 412 (RFC 9110).
	LegacyIfMatch bool `json:"legacy_if_match,omitempty"`
	// HeartbeatPeriod is how often a quiet resource subscription gets a ": heartbeat" comment
	// ("30s"); zero means Core's 30 s. Tests shorten it to see heartbeats without waiting.
	HeartbeatPeriod Duration `json:"heartbeat_period,omitempty"`
}

// Identity is one credential and the caller it stands for.
type Identity struct {
	// Key is the API key or bearer token value.
	Key string `json:"key"`
	// Bucket is the caller's own storage bucket: letters and digits only. Empty derives a stable
	// bucket from the key.
	Bucket string `json:"bucket,omitempty"`
	// Deployments restricts the deployments and applications this caller may use (403
	// otherwise); empty allows all.
	Deployments []string `json:"deployments,omitempty"`
	// Roles are reported by GET /v1/user/info.
	Roles []string `json:"roles,omitempty"`
	// Limits are the caller's rate limits by deployment id (see [RateLimit]); a deployment
	// without one is unlimited.
	Limits map[string]RateLimit `json:"limits,omitempty"`
	// Application makes the credential an application's per-request key: GET /v1/bucket then
	// also reports the application's data folder, "<bucket>/appdata/<application>".
	Application string `json:"application,omitempty"`
	// PerRequest makes the key a per-request key, as Core issues to an application for one
	// call: only such a key may grant per-request permissions.
	PerRequest bool `json:"per_request,omitempty"`
}

// Deployment configures one model or application and how it answers chat completions.
//
// With no behaviour fields set it echoes the last user message, split into word chunks when
// streaming. The fault fields make it fail in the ways a client must survive.
type Deployment struct {
	// ID is the deployment name used in URLs.
	ID string `json:"id"`
	// DisplayName, Description and IconURL are listed as Core lists them.
	DisplayName string `json:"display_name,omitempty"`
	Description string `json:"description,omitempty"`
	IconURL     string `json:"icon_url,omitempty"`
	// Features override the default feature flags of the listing (see [DefaultFeatures]).
	Features map[string]bool `json:"features,omitempty"`
	// EmbeddingDimensions > 0 makes this an embeddings model with vectors of that length.
	EmbeddingDimensions int `json:"embedding_dimensions,omitempty"`
	// Configuration is the JSON Schema served by GET /v1/deployments/{id}/configuration; when
	// empty that endpoint answers 200 with an empty body, as Core does.
	Configuration json.RawMessage `json:"configuration,omitempty"`
	// Defaults are merged into requests for absent top-level keys and listed, as in Core.
	Defaults map[string]any `json:"defaults,omitempty"`

	// Reply is a fixed answer; empty echoes the last user message.
	Reply string `json:"reply,omitempty"`
	// Chunks is the number of content chunks a streamed answer has. With ChunkSize also set the
	// answer is generated: Chunks pieces of ChunkSize bytes cycling through Reply (or a filler
	// text). With Chunks alone the answer is cut into Chunks pieces; with ChunkSize alone into
	// pieces of that many bytes; with neither into words.
	Chunks    int `json:"chunks,omitempty"`
	ChunkSize int `json:"chunk_size,omitempty"`
	// ChunkDelay is waited before each streamed chunk ("50ms").
	ChunkDelay Duration `json:"chunk_delay,omitempty"`
	// CustomContent (attachments, stages, state) is added to the answer: in the block message,
	// and streamed in the first chunk.
	CustomContent json.RawMessage `json:"custom_content,omitempty"`
	// ToolCalls makes every answer a tool call (finish_reason "tool_calls") with these calls: a
	// JSON array of OpenAI tool calls.
	ToolCalls json.RawMessage `json:"tool_calls,omitempty"`
	// ToolCalling makes the deployment call the tools a request offers: [ToolsAuto] or
	// [ToolsAlways]; empty never calls tools.
	ToolCalling string `json:"tool_calling,omitempty"`
	// LegacyToolType makes tool calls look as older DIAL applications send them: the call's
	// "type":"function" in every streamed chunk of the call, and in block answers the
	// "functionfunction" their own merge of those chunks produced.
	LegacyToolType bool `json:"legacy_tool_type,omitempty"`
	// InvalidJSONFirst makes the deployment's first N chat requests (counted per emulator)
	// get a reply that is not JSON when they ask for a json_schema response format; later
	// ones, and all with zero, get a document generated from the schema (see README.md,
	// "Structured output").
	InvalidJSONFirst int `json:"invalid_json_first,omitempty"`
	// Replay is the path of an SSE transcript sent verbatim to streaming requests.
	Replay string `json:"replay,omitempty"`
	// Pricing is listed for a model; nil lists 0.0000025 per prompt and 0.00001 per
	// completion token. Chat completions cost what it says in the caller's usage.
	Pricing *Pricing `json:"pricing,omitempty"`
	// Limits are the token limits listed for the deployment and enforced on requests (see
	// [Limits]); nil lists a model's defaults (128000 total, 120000 prompt, 8000 completion)
	// and lists none for an application.
	Limits *Limits `json:"limits,omitempty"`

	// Status makes requests fail with this HTTP status and a JSON error body.
	Status int `json:"status,omitempty"`
	// RetryAfter is sent as the Retry-After header (seconds) with Status.
	RetryAfter int `json:"retry_after,omitempty"`
	// FailTimes limits Status to the first N requests (counted per emulator); zero fails all.
	FailTimes int `json:"fail_times,omitempty"`
	// StreamError sends a `data: {"error":…}` event and [DONE] after some chunks.
	StreamError *StreamError `json:"stream_error,omitempty"`
	// CutAfter closes the connection without [DONE] after this many content chunks (zero:
	// never).
	CutAfter int `json:"cut_after,omitempty"`
}

// Limits are a deployment's token limits, as Core lists them. Zero fields are not listed and
// not enforced. The emulator counts a prompt as one token per whitespace-separated word of the
// messages' text content, the count its usage reports.
type Limits struct {
	// MaxTotalTokens is listed only.
	MaxTotalTokens int `json:"max_total_tokens,omitempty"`
	// MaxPromptTokens refuses a longer prompt with 400 and DIAL's truncate_prompt_error.
	MaxPromptTokens int `json:"max_prompt_tokens,omitempty"`
	// MaxCompletionTokens is listed only.
	MaxCompletionTokens int `json:"max_completion_tokens,omitempty"`
}

// defaultModelLimits are the limits listed and enforced for a model without Limits.
var defaultModelLimits = Limits{MaxTotalTokens: 128000, MaxPromptTokens: 120000, MaxCompletionTokens: 8000}

// StreamError is an error event in the middle of a stream.
type StreamError struct {
	// After is the number of content chunks sent before the error event; the first chunk,
	// which carries the role (and any tool calls), always comes before them.
	After   int    `json:"after"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
	Code    string `json:"code,omitempty"`
}

// Duration is a time.Duration that reads and writes JSON as a Go duration string ("250ms").
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "250ms".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON accepts a duration string ("250ms", "2s") or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be a string like \"250ms\": %s", b)
	}
	*d = Duration(n)
	return nil
}

// Default credentials of [DefaultConfig].
const (
	DefaultKey        = "dial-emulator-key"
	DefaultToken      = "dial-emulator-token"
	SecondKey         = "dial-emulator-key-2"
	RestrictedKey     = "dial-emulator-restricted"
	DefaultBucket     = "EmuBucketDefault"
	TokenBucket       = "EmuBucketToken"
	SecondBucket      = "EmuBucketSecond"
	RestrictedBucket  = "EmuBucketRestricted"
	defaultUploadSize = 512 << 20
	// defaultHeartbeat is Core's period of subscription heartbeats.
	defaultHeartbeat = Duration(30 * time.Second)
)

// DefaultConfig is what `dialua serve` and `dialua run` without a URL offer: the identities
// above, echo models (echo, gpt-4o, gpt-4o-mini), a slow streaming model, an embeddings model and
// two applications, one of them custom with a '/' in its id. Every call returns a fresh copy.
func DefaultConfig() Config {
	return Config{
		Keys: []Identity{
			{Key: DefaultKey, Bucket: DefaultBucket, Roles: []string{"default"}},
			{Key: SecondKey, Bucket: SecondBucket, Roles: []string{"default"}},
			{Key: RestrictedKey, Bucket: RestrictedBucket, Deployments: []string{"echo"}},
		},
		Tokens: []Identity{{Key: DefaultToken, Bucket: TokenBucket, Roles: []string{"user"}}},
		Deployments: []Deployment{
			{ID: "echo", DisplayName: "Echo", Description: "Answers with the last user message."},
			{ID: "gpt-4o", DisplayName: "GPT-4o (emulated)",
				Description: "Echoes the last user message; calls the tools it is offered.",
				Features: map[string]bool{"tools": true, "parallel_tool_calls": true, "seed": true, "url_attachments": true,
					"tokenize": true, "truncate_prompt": true},
				ToolCalling: ToolsAuto},
			{ID: "gpt-4o-mini", DisplayName: "GPT-4o mini (emulated)",
				Description: "Echoes the last user message; calls the tools it is offered.",
				Features:    map[string]bool{"tools": true, "parallel_tool_calls": true}, ToolCalling: ToolsAuto},
			{ID: "slow", DisplayName: "Slow", Description: "Streams one word every 100 ms.",
				ChunkDelay: Duration(100 * time.Millisecond)},
			{ID: "text-embedding-3-small", DisplayName: "Embeddings (emulated)", EmbeddingDimensions: 16},
		},
		Applications: []Deployment{
			{ID: "my-app", DisplayName: "My app", Description: "Configurable echo application.",
				Features:      map[string]bool{"configuration": true},
				Configuration: json.RawMessage(`{"type":"object","properties":{"mode":{"type":"string"}}}`)},
			{ID: "applications/" + DefaultBucket + "/folder/my-app", DisplayName: "My custom app",
				Description: "A custom application addressed by its storage path."},
		},
		Toolsets: []Toolset{{ID: "text-tools", DisplayName: "Text tools",
			Description: "Counts and reverses words.", Tools: []string{"word_count", "reverse"}}},
	}
}

// LoadConfig reads a Config from a JSON file. Unknown fields are an error, so a typo in a
// configuration is reported rather than ignored.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("emulator config %s: %w", path, err)
	}
	return cfg, cfg.validate()
}

// validate reports the first inconsistency of cfg.
func (cfg Config) validate() error {
	if cfg.HeartbeatPeriod < 0 {
		return errors.New("emulator config: negative heartbeat_period")
	}
	seen := map[string]bool{}
	for _, id := range append(append([]Identity{}, cfg.Keys...), cfg.Tokens...) {
		if id.Key == "" {
			return errors.New("emulator config: empty key")
		}
		if seen[id.Key] {
			return fmt.Errorf("emulator config: duplicate key %q", mask(id.Key))
		}
		seen[id.Key] = true
		if id.Bucket != "" && !isBucketName(id.Bucket) {
			return fmt.Errorf("emulator config: bucket %q must be letters and digits", id.Bucket)
		}
	}
	ids := map[string]bool{}
	for _, d := range append(append([]Deployment{}, cfg.Deployments...), cfg.Applications...) {
		if d.ID == "" || strings.HasPrefix(d.ID, "/") || strings.HasSuffix(d.ID, "/") {
			return fmt.Errorf("emulator config: invalid deployment id %q", d.ID)
		}
		if ids[d.ID] {
			return fmt.Errorf("emulator config: duplicate deployment %q", d.ID)
		}
		ids[d.ID] = true
		if d.Status != 0 && (d.Status < 400 || d.Status > 599) {
			return fmt.Errorf("emulator config: deployment %q: status %d is not an error status", d.ID, d.Status)
		}
		if d.ToolCalling != "" && d.ToolCalling != ToolsAuto && d.ToolCalling != ToolsAlways {
			return fmt.Errorf("emulator config: deployment %q: tool_calling must be %q or %q", d.ID, ToolsAuto, ToolsAlways)
		}
		var calls []map[string]any
		if len(d.ToolCalls) > 0 && json.Unmarshal(d.ToolCalls, &calls) != nil {
			return fmt.Errorf("emulator config: deployment %q: tool_calls must be a JSON array of objects", d.ID)
		}
		negativeLimit := d.Limits != nil && (d.Limits.MaxTotalTokens < 0 || d.Limits.MaxPromptTokens < 0 ||
			d.Limits.MaxCompletionTokens < 0)
		if d.Chunks < 0 || d.ChunkSize < 0 || d.CutAfter < 0 || d.FailTimes < 0 || d.InvalidJSONFirst < 0 || negativeLimit {
			return fmt.Errorf("emulator config: deployment %q: negative count", d.ID)
		}
	}
	return validateToolsets(cfg.Toolsets)
}

// mask shows a credential's first characters only, for configuration errors.
func mask(key string) string {
	if len(key) <= 4 {
		return "****"
	}
	return key[:4] + "****"
}

// isBucketName reports whether s is a valid bucket: one or more ASCII letters or digits.
func isBucketName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
