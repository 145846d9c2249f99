package emulator_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// schemaRequest is a chat request body asking for a json_schema answer.
func schemaRequest(schema string, stream bool) string {
	s := "false"
	if stream {
		s = "true"
	}
	return `{"messages":[{"role":"user","content":"extract"}],"stream":` + s +
		`,"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":` + schema + `}}}`
}

// blockText is the first choice's content of a block chat response.
func blockText(t *testing.T, body string) string {
	t.Helper()
	var resp struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &resp), body)
	require.NotEmpty(t, resp.Choices, body)
	return resp.Choices[0].Message.Content
}

func TestChatJSONSchemaDocument(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	cases := []struct{ name, schema, want string }{
		{"object", `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},` +
			`"ok":{"type":"boolean"},"none":{"type":"null"}},"required":["name","extra"]}`,
			`{"age":1,"extra":"example","name":"example","none":null,"ok":true}`},
		{"enum and const", `{"type":"object","properties":{"color":{"type":"string","enum":["red","blue"]},` +
			`"v":{"const":2}}}`, `{"color":"red","v":2}`},
		{"numbers", `{"type":"array","minItems":3,"items":{"type":"number","minimum":2.5}}`, `[2.5,2.5,2.5]`},
		{"exclusive minimum and maximum", `{"type":"object","properties":{"a":{"type":"integer","exclusiveMinimum":4},` +
			`"b":{"type":"number","maximum":-3}}}`, `{"a":5,"b":-3}`},
		{"array has one item at least", `{"type":"array","items":{"type":"string","minLength":9}}`, `["examplexx"]`},
		{"types inferred and nullable", `{"properties":{"tags":{"items":{"type":["null","string"]}}}}`,
			`{"tags":["example"]}`},
		{"local reference and anyOf", `{"$defs":{"p":{"anyOf":[{"type":"boolean"},{"type":"string"}]}},` +
			`"type":"object","properties":{"p":{"$ref":"#/$defs/p"}}}`, `{"p":true}`},
		{"recursion ends", `{"$defs":{"n":{"type":"object","properties":{"next":{"$ref":"#/$defs/n"}}}},"$ref":"#/$defs/n"}`,
			`{"next":{"next":{"next":{"next":{"next":{"next":{"next":{"next":null}}}}}}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := chat(t, srv, "gpt-4o", schemaRequest(c.schema, false))
			require.Equal(t, 200, status, body)
			assert.JSONEq(t, c.want, blockText(t, body))
			_, _, again := chat(t, srv, "echo", schemaRequest(c.schema, false))
			assert.Equal(t, blockText(t, body), blockText(t, again), "deterministic")
		})
	}
}

func TestChatJSONSchemaStreams(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	status, _, body := chat(t, srv, "echo", schemaRequest(`{"type":"object","properties":{"title":{"type":"string"},`+
		`"pages":{"type":"integer"}}}`, true))
	require.Equal(t, 200, status, body)
	chunks, done := decodeStream(t, body)
	assert.True(t, done)
	text, _ := content(chunks)
	assert.JSONEq(t, `{"title":"example","pages":1}`, text)
}

func TestChatJSONSchemaInvalidFirst(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "sloppy", InvalidJSONFirst: 2}))
	schema := `{"type":"object","properties":{"n":{"type":"integer"}}}`
	for i := 1; i <= 2; i++ {
		_, _, body := chat(t, srv, "sloppy", schemaRequest(schema, false))
		assert.False(t, json.Valid([]byte(blockText(t, body))), "reply %d is not JSON", i)
	}
	_, _, body := chat(t, srv, "sloppy", schemaRequest(schema, false))
	assert.JSONEq(t, `{"n":1}`, blockText(t, body))
	_, _, body = chat(t, srv, "sloppy", `{"messages":[{"role":"user","content":"plain"}]}`)
	assert.Equal(t, "plain", blockText(t, body), "without response_format the deployment echoes")
}

func TestInvalidJSONFirstMustNotBeNegative(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.Deployments = append(cfg.Deployments, emulator.Deployment{ID: "bad", InvalidJSONFirst: -1})
	_, err := emulator.New(cfg)
	assert.ErrorContains(t, err, "negative")
}
