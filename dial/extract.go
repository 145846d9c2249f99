package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ErrSchema matches a [*SchemaError]: the model's answers to [Client.Extract] never fitted the
// schema.
var ErrSchema = errors.New("dial: answer does not fit the schema")

// ErrInvalidSchema matches the error of [Client.Extract] for a schema that is not a valid JSON
// Schema, or a request that cannot be sent (no messages, a negative MaxAttempts). It is
// returned before any request is sent.
var ErrInvalidSchema = errors.New("dial: invalid extract request")

// DefaultMaxAttempts bounds the chat completions of an [Client.Extract] call whose
// ExtractRequest.MaxAttempts is zero.
const DefaultMaxAttempts = 3

// ExtractRequest is a structured-output request: the conversation, and the JSON Schema the
// answer must fit.
type ExtractRequest struct {
	// Messages is the conversation; it must not be empty.
	Messages []Message
	// Schema is the JSON Schema of the answer (draft 2020-12 unless it names another with
	// "$schema"). It may refer only to itself ("$ref": "#/$defs/…"); other references are
	// not loaded.
	Schema json.RawMessage
	// Name names the schema in the request's response_format; empty sends "extract".
	Name string
	// MaxAttempts bounds the chat completions; zero means [DefaultMaxAttempts].
	MaxAttempts int
	// OnResponse, when set, is called on the caller's goroutine with the response of every
	// completion, the failed attempts' too (to count their usage, say).
	OnResponse func(*ChatResponse)
}

// SchemaError reports that no answer of an [Client.Extract] call fitted the schema. It
// matches [ErrSchema].
type SchemaError struct {
	// Errors are the problems of the last answer: one "invalid JSON: …" when it was not JSON,
	// otherwise the validator's messages, each "at /json/pointer: what is wrong".
	Errors []string
	// Attempts is the number of chat completions sent.
	Attempts int
	// Answer is the text of the last answer.
	Answer string
}

// Error returns "dial: answer does not fit the schema after N attempts: first problem".
func (e *SchemaError) Error() string {
	msg := fmt.Sprintf("%s after %d attempts", ErrSchema.Error(), e.Attempts)
	if len(e.Errors) > 0 {
		msg += ": " + e.Errors[0]
	}
	return msg
}

// Is makes the error match ErrSchema.
func (e *SchemaError) Is(target error) bool { return target == ErrSchema }

// Extract asks deployment for a JSON document that fits req.Schema: it sends the messages with
// response_format {"type": "json_schema", "json_schema": {name, schema, strict: true}},
// decodes the answer and validates it. When the answer is not JSON or does not fit, it asks
// again, adding the answer and a user message that quotes the problems to the conversation,
// up to MaxAttempts completions.
//
// It returns the answer's JSON text and the last response. The errors are those of
// [Client.Chat], a [*SchemaError] when no answer fitted (with the last response), and an
// error matching [ErrInvalidSchema] before any request for a bad schema or request.
func (c *Client) Extract(ctx context.Context, deployment string, req ExtractRequest, opts ...CallOption) (json.RawMessage, *ChatResponse, error) {
	schema, err := compileSchema(req.Schema)
	if err != nil {
		return nil, nil, err
	}
	attempts := req.MaxAttempts
	switch {
	case attempts == 0:
		attempts = DefaultMaxAttempts
	case attempts < 0:
		return nil, nil, fmt.Errorf("%w: negative MaxAttempts %d", ErrInvalidSchema, attempts)
	}
	if len(req.Messages) == 0 {
		return nil, nil, fmt.Errorf("%w: no messages", ErrInvalidSchema)
	}
	name := firstNonEmpty(req.Name, "extract")
	strict := true
	chat := ChatRequest{
		Messages: append([]Message(nil), req.Messages...),
		ResponseFormat: &ResponseFormat{Type: "json_schema",
			JSONSchema: &JSONSchema{Name: name, Schema: req.Schema, Strict: &strict}},
	}
	var resp *ChatResponse
	for n := 1; ; n++ {
		if resp, err = c.Chat(ctx, deployment, chat, opts...); err != nil {
			return nil, resp, err
		}
		if req.OnResponse != nil {
			req.OnResponse(resp)
		}
		answer := resp.Text()
		problems := schema.check([]byte(answer))
		if problems == nil {
			return json.RawMessage(bytes.TrimSpace([]byte(answer))), resp, nil
		}
		if n >= attempts {
			return nil, resp, &SchemaError{Errors: problems, Attempts: n, Answer: answer}
		}
		chat.Messages = append(chat.Messages,
			Message{Role: RoleAssistant, Content: answer},
			Message{Role: RoleUser, Content: repairPrompt(problems)})
	}
}

// repairPrompt is the user message that asks the model to correct an answer.
func repairPrompt(problems []string) string {
	return "Your answer does not fit the JSON Schema:\n- " + strings.Join(problems, "\n- ") +
		"\nAnswer again with only the corrected JSON document."
}

// compiledSchema is a JSON Schema ready to validate answers.
type compiledSchema struct{ s *jsonschema.Schema }

// compileSchema compiles a JSON Schema. The schema may refer only to itself; an error matches
// [ErrInvalidSchema].
func compileSchema(schema json.RawMessage) (*compiledSchema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("%w: schema is not JSON: %w", ErrInvalidSchema, err)
	}
	comp := jsonschema.NewCompiler()
	comp.UseLoader(jsonschema.SchemeURLLoader{}) // no file or network references
	const loc = "urn:dialua:extract"
	if err := comp.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	s, err := comp.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	return &compiledSchema{s}, nil
}

// pointerEscaper writes the tokens of an instance location, joined with NUL, as a JSON
// pointer's (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1", "\x00", "/")

// schemaPrinter renders the validator's messages in English.
var schemaPrinter = message.NewPrinter(language.English)

// check decodes doc and validates it: nil when it fits, else the problems, one "invalid JSON:
// …" for text that is not one JSON value, or the validator's messages, each "at
// /json/pointer: what is wrong".
func (s *compiledSchema) check(doc []byte) []string {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return []string{"invalid JSON: " + err.Error()}
	}
	err = s.s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var out []string
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, "at /"+pointerEscaper.Replace(strings.Join(e.InstanceLocation, "\x00"))+": "+
				e.ErrorKind.LocalizedString(schemaPrinter))
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}
