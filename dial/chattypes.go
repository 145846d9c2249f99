package dial

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Role is the author of a chat message.
type Role string

// Message roles of OpenAI and DIAL chat completions.
const (
	RoleSystem    Role = "system"
	RoleDeveloper Role = "developer"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
	RoleFunction  Role = "function"
)

// ChatRequest is the body of a chat completion: every OpenAI field plus DIAL's extensions
// (custom_content in messages, custom_fields, max_prompt_tokens, static_function tools, …).
// Optional scalars are pointers so that an explicit zero (temperature 0) is sent. Members
// this type does not declare go in Extra, which is encoded inline and may also override a
// declared field; so any field DIAL accepts can be sent. The "stream" member is set by
// [Client.Chat] and [Client.ChatStream].
type ChatRequest struct {
	Messages []Message `json:"messages"`
	// Model is sent as given; DIAL routes on the deployment in the URL, not on this field.
	Model               string          `json:"model,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	N                   *int            `json:"n,omitempty"`
	Stop                []string        `json:"stop,omitzero"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	PresencePenalty     *float64        `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty,omitempty"`
	LogitBias           map[string]int  `json:"logit_bias,omitzero"`
	Logprobs            *bool           `json:"logprobs,omitempty"`
	TopLogprobs         *int            `json:"top_logprobs,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	User                string          `json:"user,omitempty"`
	ResponseFormat      *ResponseFormat `json:"response_format,omitempty"`
	Tools               []Tool          `json:"tools,omitzero"`
	// ToolChoice is "none", "auto", "required", or an object such as
	// {"type":"function","function":{"name":"f"}}; see [ToolChoiceFunction].
	ToolChoice        any    `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool  `json:"parallel_tool_calls,omitempty"`
	ReasoningEffort   string `json:"reasoning_effort,omitempty"`
	// Functions and FunctionCall are OpenAI's deprecated forms of Tools and ToolChoice.
	Functions    []FunctionDefinition `json:"functions,omitzero"`
	FunctionCall any                  `json:"function_call,omitempty"`
	// MaxPromptTokens makes DIAL truncate the history to fit; the dropped message indices
	// come back in [Statistics].DiscardedMessages.
	MaxPromptTokens    *int                `json:"max_prompt_tokens,omitempty"`
	PromptCacheKey     string              `json:"prompt_cache_key,omitempty"`
	PromptCacheOptions *PromptCacheOptions `json:"prompt_cache_options,omitempty"`
	// CustomFields carries DIAL's per-request deployment configuration (the schema is
	// [Client.DeploymentConfiguration]) and prompt caching.
	CustomFields *CustomFields `json:"custom_fields,omitempty"`
	// Extra holds any other member, encoded inline; a name that is also a declared field
	// replaces it.
	Extra map[string]json.RawMessage `json:"-"`
}

// ToolChoiceFunction returns the tool_choice value that forces a call of function name.
func ToolChoiceFunction(name string) any {
	return map[string]any{"type": "function", "function": map[string]string{"name": name}}
}

// StreamOptions asks a streaming deployment for more data; IncludeUsage adds token usage to
// the last chunk.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// ResponseFormat constrains the answer: Type "text", "json_object" or "json_schema" (with
// JSONSchema).
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema names and describes the schema of a "json_schema" response format.
type JSONSchema struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Schema      any    `json:"schema,omitempty"`
	Strict      *bool  `json:"strict,omitempty"`
}

// PromptCacheOptions configures prompt caching: Mode "implicit" or "explicit", and a TTL such
// as "30m".
type PromptCacheOptions struct {
	Mode string `json:"mode,omitempty"`
	TTL  string `json:"ttl,omitempty"`
}

// CustomFields is DIAL's custom_fields object, on a request, a message or a tool.
type CustomFields struct {
	// Configuration is the deployment's configuration, valid against its schema.
	Configuration any `json:"configuration,omitempty"`
	// CacheBreakpoint marks a prompt-caching breakpoint.
	CacheBreakpoint *CacheBreakpoint           `json:"cache_breakpoint,omitempty"`
	Extra           map[string]json.RawMessage `json:"-"`
}

// CacheBreakpoint is a prompt-caching breakpoint; ExpireAt is a time or a duration such as
// "1h".
type CacheBreakpoint struct {
	ExpireAt string `json:"expire_at,omitempty"`
}

// Message is one chat message, in a request or in a response (where it is a choice's message
// or, in a chunk, its delta).
//
// Content holds text content. ContentParts, when not nil, holds multi-part content (text,
// image_url, file, input_audio parts) and is sent instead of Content. An assistant message
// with tool calls and no content is sent without "content". Undeclared members are kept in
// Extra.
type Message struct {
	Role         Role          `json:"role,omitempty"`
	Content      string        `json:"-"`
	ContentParts []ContentPart `json:"-"`
	Name         string        `json:"name,omitempty"`
	ToolCalls    []ToolCall    `json:"tool_calls,omitzero"`
	ToolCallID   string        `json:"tool_call_id,omitempty"`
	FunctionCall *FunctionCall `json:"function_call,omitempty"`
	Refusal      string        `json:"refusal,omitempty"`
	// CustomContent is DIAL's attachments, stages, state and forms. Send an assistant
	// message's CustomContent (its state in particular) back with the history.
	CustomContent *CustomContent             `json:"custom_content,omitempty"`
	CustomFields  *CustomFields              `json:"custom_fields,omitempty"`
	Extra         map[string]json.RawMessage `json:"-"`
}

type messageJSON Message

type messageWire struct {
	messageJSON
	Content json.RawMessage `json:"content,omitempty"`
}

var messageFields = jsonFields[messageWire]()

// MarshalJSON encodes the message, with content as a string or an array of parts.
func (m Message) MarshalJSON() ([]byte, error) {
	if m.plain() {
		return appendPlainMessage(make([]byte, 0, len(m.Role)+len(m.Content)+24), m.Role, m.Content), nil
	}
	return marshalMessage(m)
}

// plain reports whether the message has a role and string content only (the usual message
// of a history).
func (m Message) plain() bool {
	return m.ContentParts == nil && m.Name == "" && m.ToolCalls == nil && m.ToolCallID == "" &&
		m.FunctionCall == nil && m.Refusal == "" && m.CustomContent == nil && m.CustomFields == nil &&
		len(m.Extra) == 0
}

// appendPlainMessage appends the encoding of a plain message, as marshalMessage writes it.
func appendPlainMessage(b []byte, role Role, content string) []byte {
	b = append(b, '{')
	if role != "" {
		b = append(b, `"role":`...)
		b = appendJSONString(b, string(role))
		b = append(b, ',')
	}
	b = append(b, `"content":`...)
	b = appendJSONString(b, content)
	return append(b, '}')
}

// appendJSONString appends s as encoding/json encodes a string: plain ASCII as it is, the
// rest by encoding/json (escapes, HTML-safe characters, invalid UTF-8, U+2028).
func appendJSONString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// marshalMessage encodes any message by the struct tags.
func marshalMessage(m Message) ([]byte, error) {
	w := messageWire{messageJSON: messageJSON(m)}
	var err error
	switch {
	case m.ContentParts != nil:
		w.Content, err = json.Marshal(m.ContentParts)
	case m.Content != "" || (len(m.ToolCalls) == 0 && m.FunctionCall == nil):
		w.Content, err = json.Marshal(m.Content)
	}
	if err != nil {
		return nil, err
	}
	return marshalExtra(w, m.Extra, messageFields)
}

// UnmarshalJSON decodes a message whose content is a string, an array of parts or null.
func (m *Message) UnmarshalJSON(b []byte) error {
	var w messageWire
	var extra map[string]json.RawMessage
	if err := unmarshalExtra(b, &w, &extra, messageFields); err != nil {
		return err
	}
	*m = Message(w.messageJSON)
	m.Extra = extra
	c := bytes.TrimSpace(w.Content)
	switch {
	case isNull(c):
	case c[0] == '"':
		if s, ok := plainString(c); ok {
			m.Content = s
			return nil
		}
		return json.Unmarshal(c, &m.Content)
	case c[0] == '[':
		return json.Unmarshal(c, &m.ContentParts)
	default:
		return fmt.Errorf("dial: message content must be a string, an array or null, got %.20s", c)
	}
	return nil
}

// ContentPart is one part of multi-part message content: Type "text" with Text, "image_url"
// with ImageURL; other kinds (file, input_audio, refusal) and fields such as
// prompt_cache_breakpoint live in Extra.
type ContentPart struct {
	Type     string                     `json:"type"`
	Text     string                     `json:"text,omitempty"`
	ImageURL *ImageURL                  `json:"image_url,omitempty"`
	Extra    map[string]json.RawMessage `json:"-"`
}

// ImageURL is the image of an "image_url" part: an http(s) URL, a data: URL or a DIAL file URL.
// Detail is "auto", "low" or "high".
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// Tool is a tool the model may call: Type "function" with Function, or DIAL's
// "static_function" (its definition in Extra["static_function"]).
type Tool struct {
	Type         string                     `json:"type"`
	Function     *FunctionDefinition        `json:"function,omitempty"`
	CustomFields *CustomFields              `json:"custom_fields,omitempty"`
	Extra        map[string]json.RawMessage `json:"-"`
}

// FunctionDefinition declares a function tool. Parameters is its JSON Schema (any value that
// encodes to one, such as a map or json.RawMessage).
type FunctionDefinition struct {
	Name        string                     `json:"name"`
	Description string                     `json:"description,omitempty"`
	Parameters  any                        `json:"parameters,omitempty"`
	Strict      *bool                      `json:"strict,omitempty"`
	Extra       map[string]json.RawMessage `json:"-"`
}

// ToolCall is a call of a tool by the model. In stream chunks Index says which call a delta
// continues; it is nil in complete messages.
type ToolCall struct {
	Index    *int                       `json:"index,omitempty"`
	ID       string                     `json:"id,omitempty"`
	Type     string                     `json:"type,omitempty"`
	Function FunctionCall               `json:"function"`
	Extra    map[string]json.RawMessage `json:"-"`
}

// FunctionCall names a function and its JSON-encoded arguments.
type FunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// CustomContent is DIAL's custom_content of a message: attachments, stages (steps an
// application shows while working), opaque state to send back with the next request, and
// forms.
type CustomContent struct {
	Attachments []Attachment               `json:"attachments,omitzero"`
	Stages      []Stage                    `json:"stages,omitzero"`
	State       json.RawMessage            `json:"state,omitempty"`
	FormSchema  json.RawMessage            `json:"form_schema,omitempty"`
	FormValue   json.RawMessage            `json:"form_value,omitempty"`
	Extra       map[string]json.RawMessage `json:"-"`
}

// Attachment is a file or link attached to a message or stage: exactly one of URL (a DIAL
// file URL or an http(s) URL) and Data (inline content). Index is set in stream chunks only.
type Attachment struct {
	Index         *int                       `json:"index,omitempty"`
	Type          string                     `json:"type,omitempty"`
	Title         string                     `json:"title,omitempty"`
	Data          string                     `json:"data,omitempty"`
	URL           string                     `json:"url,omitempty"`
	ReferenceType string                     `json:"reference_type,omitempty"`
	ReferenceURL  string                     `json:"reference_url,omitempty"`
	Extra         map[string]json.RawMessage `json:"-"`
}

// Stage is a step of an application's work, shown collapsible in DIAL Chat. Status is
// "completed" or "failed" once done. Index is set in stream chunks only.
type Stage struct {
	Index       *int                       `json:"index,omitempty"`
	Name        string                     `json:"name,omitempty"`
	Status      string                     `json:"status,omitempty"`
	Content     string                     `json:"content,omitempty"`
	Attachments []Attachment               `json:"attachments,omitzero"`
	Extra       map[string]json.RawMessage `json:"-"`
}

// Usage counts the tokens of a completion or embeddings call.
type Usage struct {
	PromptTokens            int                        `json:"prompt_tokens"`
	CompletionTokens        int                        `json:"completion_tokens,omitempty"`
	TotalTokens             int                        `json:"total_tokens"`
	PromptTokensDetails     *PromptTokensDetails       `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails   `json:"completion_tokens_details,omitempty"`
	Extra                   map[string]json.RawMessage `json:"-"`
}

// PromptTokensDetails splits prompt tokens by cache use.
type PromptTokensDetails struct {
	CachedTokens     int `json:"cached_tokens,omitempty"`
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
}

// CompletionTokensDetails splits completion tokens; ReasoningTokens were spent thinking.
type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens,omitempty"`
}

// Statistics is DIAL's accounting of a completion: usage per model an application called,
// and the indices of the messages dropped to honour max_prompt_tokens.
type Statistics struct {
	UsagePerModel     []ModelUsage               `json:"usage_per_model,omitzero"`
	DiscardedMessages []int                      `json:"discarded_messages,omitzero"`
	Extra             map[string]json.RawMessage `json:"-"`
}

// ModelUsage is the token usage of one model within [Statistics]. Index is set in stream
// chunks only.
type ModelUsage struct {
	Index            *int   `json:"index,omitempty"`
	Model            string `json:"model"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	TotalTokens      int    `json:"total_tokens"`
}

// ChatResponse is a complete chat completion, as returned by [Client.Chat] or built from
// stream chunks with [ChatResponse.Accumulate]. Undeclared members are kept in Extra; Raw is
// the body exactly as received (nil for an accumulated response: use [ChatResponse.JSON]).
type ChatResponse struct {
	ID                string                     `json:"id"`
	Object            string                     `json:"object"`
	Created           int64                      `json:"created"`
	Model             string                     `json:"model,omitempty"`
	SystemFingerprint string                     `json:"system_fingerprint,omitempty"`
	Choices           []ChatChoice               `json:"choices"`
	Usage             *Usage                     `json:"usage,omitempty"`
	Statistics        *Statistics                `json:"statistics,omitempty"`
	Extra             map[string]json.RawMessage `json:"-"`
	Raw               json.RawMessage            `json:"-"`

	acc *chatAccumulator
}

type chatResponseJSON struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model,omitempty"`
	SystemFingerprint string       `json:"system_fingerprint,omitempty"`
	Choices           []ChatChoice `json:"choices"`
	Usage             *Usage       `json:"usage,omitempty"`
	Statistics        *Statistics  `json:"statistics,omitempty"`
}

var chatResponseFields = jsonFields[chatResponseJSON]()

func (r *ChatResponse) wire() chatResponseJSON {
	return chatResponseJSON{r.ID, r.Object, r.Created, r.Model, r.SystemFingerprint, r.Choices,
		r.Usage, r.Statistics}
}

// MarshalJSON encodes the typed fields and Extra (not Raw).
func (r ChatResponse) MarshalJSON() ([]byte, error) {
	return marshalExtra(r.wire(), r.Extra, chatResponseFields)
}

// UnmarshalJSON decodes a response, keeping undeclared members in Extra and a copy of b in
// Raw.
func (r *ChatResponse) UnmarshalJSON(b []byte) error {
	var w chatResponseJSON
	var extra map[string]json.RawMessage
	if err := unmarshalExtra(b, &w, &extra, chatResponseFields); err != nil {
		return err
	}
	*r = ChatResponse{ID: w.ID, Object: w.Object, Created: w.Created, Model: w.Model,
		SystemFingerprint: w.SystemFingerprint, Choices: w.Choices, Usage: w.Usage,
		Statistics: w.Statistics, Extra: extra, Raw: bytes.Clone(b)}
	return nil
}

// Text returns the content of the first choice's message, or "" when there is none.
func (r *ChatResponse) Text() string {
	if len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].Message.Content
}

// ChatChoice is one alternative answer of a [ChatResponse].
type ChatChoice struct {
	Index        int                        `json:"index"`
	Message      Message                    `json:"message"`
	FinishReason string                     `json:"finish_reason,omitempty"`
	Logprobs     json.RawMessage            `json:"logprobs,omitempty"`
	Extra        map[string]json.RawMessage `json:"-"`
}

// ChatChunk is one event of a streamed chat completion. Undeclared members are kept in Extra;
// Raw is the event's data exactly as received.
type ChatChunk struct {
	ID                string                     `json:"id"`
	Object            string                     `json:"object"`
	Created           int64                      `json:"created"`
	Model             string                     `json:"model,omitempty"`
	SystemFingerprint string                     `json:"system_fingerprint,omitempty"`
	Choices           []ChunkChoice              `json:"choices"`
	Usage             *Usage                     `json:"usage,omitempty"`
	Statistics        *Statistics                `json:"statistics,omitempty"`
	Extra             map[string]json.RawMessage `json:"-"`
	Raw               json.RawMessage            `json:"-"`
}

type chatChunkJSON ChatChunk

var chatChunkFields = jsonFields[chatChunkJSON]()

// MarshalJSON encodes the typed fields and Extra (not Raw).
func (c ChatChunk) MarshalJSON() ([]byte, error) {
	return marshalExtra(chatChunkJSON(c), c.Extra, chatChunkFields)
}

// UnmarshalJSON decodes a chunk, keeping undeclared members in Extra and a copy of b in Raw.
func (c *ChatChunk) UnmarshalJSON(b []byte) error {
	*c = ChatChunk{}
	if err := unmarshalExtra(b, (*chatChunkJSON)(c), &c.Extra, chatChunkFields); err != nil {
		return err
	}
	c.Raw = bytes.Clone(b)
	return nil
}

// Text returns the content delta of the first choice, or "".
func (c ChatChunk) Text() string {
	if len(c.Choices) == 0 {
		return ""
	}
	return c.Choices[0].Delta.Content
}

// FinishReason returns the first non-empty finish_reason of the chunk's choices, or "".
func (c ChatChunk) FinishReason() string {
	for _, ch := range c.Choices {
		if ch.FinishReason != "" {
			return ch.FinishReason
		}
	}
	return ""
}

// ChunkChoice is one choice's increment within a [ChatChunk].
type ChunkChoice struct {
	Index        int                        `json:"index"`
	Delta        Message                    `json:"delta"`
	FinishReason string                     `json:"finish_reason,omitempty"`
	Logprobs     json.RawMessage            `json:"logprobs,omitempty"`
	Extra        map[string]json.RawMessage `json:"-"`
}
