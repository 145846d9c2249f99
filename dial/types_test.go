package dial

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/aidial-client/" + name)
	require.NoError(t, err)
	return b
}

// Every DIAL request field of the reference's test_completions_dial_fields and
// test_completions_prompt_cache survives decoding into ChatRequest and encoding back.
func TestChatRequestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"chat.completions.request.dial_fields.json", "chat.completions.request.prompt_cache.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := fixture(t, name)
			var req ChatRequest
			require.NoError(t, json.Unmarshal(in, &req))
			out, err := json.Marshal(req)
			require.NoError(t, err)
			assert.JSONEq(t, string(in), string(out))
		})
	}
	var req ChatRequest
	require.NoError(t, json.Unmarshal(fixture(t, "chat.completions.request.dial_fields.json"), &req))
	assert.Equal(t, RoleDeveloper, req.Messages[0].Role)
	assert.Equal(t, "1h", req.Messages[0].CustomFields.CacheBreakpoint.ExpireAt)
	require.Len(t, req.Messages[1].ContentParts, 2)
	assert.Equal(t, "low", req.Messages[1].ContentParts[1].ImageURL.Detail)
	assert.Equal(t, "b.png", req.Messages[1].CustomContent.Attachments[0].URL)
	assert.Equal(t, "static_function", req.Tools[1].Type)
	assert.Contains(t, req.Tools[1].Extra, "static_function")
	assert.Equal(t, 200, *req.MaxPromptTokens)
	assert.Equal(t, "minimal", req.ReasoningEffort)
	assert.True(t, req.StreamOptions.IncludeUsage)
	assert.Equal(t, "required", req.ToolChoice)
	// "stream" is not a declared field: Chat and ChatStream set it.
	assert.Contains(t, req.Extra, "stream")
}

func TestChatRequestExtra(t *testing.T) {
	t.Parallel()
	temp := 0.0
	req := ChatRequest{
		Messages:    []Message{{Role: RoleUser, Content: "hi"}},
		Temperature: &temp,
		Extra: map[string]json.RawMessage{
			"new_field":   json.RawMessage(`{"a":[1,2]}`),
			"temperature": json.RawMessage(`0.5`),
		},
	}
	out, err := json.Marshal(req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"messages":[{"role":"user","content":"hi"}],"temperature":0.5,"new_field":{"a":[1,2]}}`, string(out))

	out, err = json.Marshal(ChatRequest{Messages: []Message{{Role: RoleUser, Content: "x"}}, Temperature: &temp,
		Extra: map[string]json.RawMessage{"b": json.RawMessage(`true`), "a": json.RawMessage(`1`)}})
	require.NoError(t, err)
	assert.Equal(t, `{"messages":[{"role":"user","content":"x"}],"temperature":0,"a":1,"b":true}`, string(out))

	_, err = json.Marshal(ChatRequest{Extra: map[string]json.RawMessage{"bad": json.RawMessage(`{`)}})
	assert.Error(t, err)
}

func TestMessageContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{"text", Message{Role: RoleUser, Content: "hi"}, `{"role":"user","content":"hi"}`},
		{"empty text", Message{Role: RoleUser}, `{"role":"user","content":""}`},
		{"parts", Message{Role: RoleUser, ContentParts: []ContentPart{{Type: "text", Text: "a"},
			{Type: "image_url", ImageURL: &ImageURL{URL: "files/B/x.png"}}}},
			`{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"files/B/x.png"}}]}`},
		{"tool calls without content", Message{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "c", Type: "function",
			Function: FunctionCall{Name: "f", Arguments: "{}"}}}},
			`{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}`},
		{"tool result", Message{Role: RoleTool, ToolCallID: "c", Content: "42"}, `{"role":"tool","content":"42","tool_call_id":"c"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := json.Marshal(tt.msg)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(out))
			var back Message
			require.NoError(t, json.Unmarshal(out, &back))
			assert.Equal(t, tt.msg, back)
		})
	}
	var m Message
	require.NoError(t, json.Unmarshal([]byte(`{"role":"assistant","content":null,"x-new":1}`), &m))
	assert.Equal(t, "", m.Content)
	assert.JSONEq(t, `1`, string(m.Extra["x-new"]))
	assert.Error(t, json.Unmarshal([]byte(`{"content":5}`), &m))
}

// The reference's test_completions_dial_fields and test_completions_usage on the response
// side: custom_content stages, forms and state, statistics and usage details round-trip.
func TestChatResponseDialFields(t *testing.T) {
	t.Parallel()
	in := fixture(t, "chat.completions.response.dial_fields.json")
	var resp ChatResponse
	require.NoError(t, json.Unmarshal(in, &resp))
	assert.JSONEq(t, string(in), string(resp.Raw))
	msg := resp.Choices[0].Message
	assert.Equal(t, "5", resp.Text())
	st := msg.CustomContent.Stages[0]
	assert.Equal(t, "Thinking", st.Name)
	assert.Equal(t, "completed", st.Status)
	assert.Equal(t, 0, *st.Attachments[0].Index)
	assert.JSONEq(t, `{"thread_id":"42","step":2}`, string(msg.CustomContent.State))
	assert.JSONEq(t, `{"city":"Paris"}`, string(msg.CustomContent.FormValue))
	assert.NotEmpty(t, msg.CustomContent.FormSchema)
	assert.Equal(t, 8, resp.Usage.PromptTokensDetails.CachedTokens)
	assert.Equal(t, 3, resp.Usage.PromptTokensDetails.CacheWriteTokens)
	assert.Equal(t, 1, resp.Usage.CompletionTokensDetails.ReasoningTokens)
	assert.Equal(t, []int{0, 1}, resp.Statistics.DiscardedMessages)
	assert.Equal(t, "gpt-4o", resp.Statistics.UsagePerModel[0].Model)
	out, err := json.Marshal(resp)
	require.NoError(t, err)
	assert.JSONEq(t, string(in), string(out))
	raw, err := resp.JSON()
	require.NoError(t, err)
	assert.Equal(t, string(resp.Raw), string(raw))

	var block ChatResponse
	require.NoError(t, json.Unmarshal(fixture(t, "chat.completions.response.block.json"), &block))
	assert.Nil(t, block.Usage, "usage is nil when absent")
	var withUsage ChatResponse
	require.NoError(t, json.Unmarshal([]byte(`{"choices":[],"usage":{"prompt_tokens":1,"total_tokens":1}}`), &withUsage))
	assert.Nil(t, withUsage.Usage.PromptTokensDetails, "details are nil when absent")
}

func TestDeploymentTypes(t *testing.T) {
	t.Parallel()
	var list listEnvelope
	require.NoError(t, json.Unmarshal(fixture(t, "deployments.list.response.readme_transcribed.json"), &list))
	require.NotEmpty(t, list.Data)
	assert.Equal(t, "gpt-35-turbo", list.Data[0].ID)
	assert.True(t, list.Data[0].Features.SystemPrompt)
	assert.Contains(t, list.Data[0].Extra, "scale_settings", "unknown members are kept")
	assert.NotEmpty(t, list.Data[0].Raw)

	var d Deployment
	require.NoError(t, json.Unmarshal(fixture(t, "deployments.get.response.readme_newest_transcribed.json"), &d))
	assert.Equal(t, []string{"low", "medium", "high"}, d.Features.ReasoningEfforts)
	assert.True(t, d.Features.ChatCompletion)

	var m Deployment
	in := fixture(t, "model.get.response.json")
	require.NoError(t, json.Unmarshal(in, &m))
	assert.Equal(t, "GPT 4", m.DisplayName.String())
	assert.Equal(t, 8192, m.Limits.MaxPromptTokens)
	assert.Equal(t, "0.00006", m.Pricing.Completion)
	assert.True(t, m.Capabilities.ChatCompletion)
	assert.Equal(t, "gpt-4-0314", m.TokenizerModel)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, string(in), string(out))

	var apps listEnvelope
	require.NoError(t, json.Unmarshal(fixture(t, "applications.list.response.readme_transcribed.json"), &apps))
	assert.NotEmpty(t, apps.Data)

	var loc Deployment
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x","display_name":{"de":"Hallo","en":"Hello"},"description":{"fr":"Salut"}}`), &loc))
	assert.Equal(t, "Hello", loc.DisplayName.Text)
	assert.Equal(t, "Hallo", loc.DisplayName.ByLocale["de"])
	assert.Equal(t, "Salut", loc.Description.Text)
	out, err = json.Marshal(loc)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"x","display_name":{"de":"Hallo","en":"Hello"},"description":{"fr":"Salut"}}`, string(out))
}

func TestFileMetadataTypes(t *testing.T) {
	t.Parallel()
	var root FileMetadata
	in := fixture(t, "metadata.files.root_folder_listing.REAL_API.response.json")
	require.NoError(t, json.Unmarshal(in, &root))
	assert.Equal(t, "", root.Name, "the root folder's null name")
	assert.True(t, root.IsFolder())
	require.Len(t, root.Items, 2)
	assert.True(t, root.Items[0].IsFolder())
	assert.Nil(t, root.Items[0].Items)
	assert.Equal(t, int64(2207949), root.Items[1].ContentLength)
	assert.Equal(t, int64(1770130629876), root.Items[1].Updated().UnixMilli())
	assert.True(t, root.Updated().IsZero())
	assert.JSONEq(t, string(in), string(root.Raw))

	var page FileMetadata
	require.NoError(t, json.Unmarshal(fixture(t, "metadata.files.folder_listing.response.json"), &page))
	assert.Equal(t, "next-page-token", page.NextToken)
	assert.Equal(t, "folder1", page.ParentPath)

	var item FileMetadata
	require.NoError(t, json.Unmarshal([]byte(`{"name":"a","nodeType":"ITEM","etag":"e","permissions":["READ"],"newField":{"x":1}}`), &item))
	assert.Equal(t, []string{"READ"}, item.Permissions)
	assert.JSONEq(t, `{"x":1}`, string(item.Extra["newField"]))
}

func TestEmbeddingTypes(t *testing.T) {
	t.Parallel()
	var r EmbeddingsResponse
	// 1.0 and -2.5 as little-endian float32, base64-encoded.
	require.NoError(t, json.Unmarshal([]byte(`{"object":"list","data":[{"index":0,"object":"embedding","embedding":[0.5,1]},
		{"index":1,"embedding":"AACAPwAAIMA="}],"usage":{"prompt_tokens":2,"total_tokens":2}}`), &r))
	assert.Equal(t, []float64{0.5, 1}, r.Data[0].Embedding)
	assert.Equal(t, []float64{1, -2.5}, r.Data[1].Embedding)
	out, err := json.Marshal(r.Data[1])
	require.NoError(t, err)
	assert.JSONEq(t, `{"index":1,"embedding":[1,-2.5]}`, string(out))
	var bad Embedding
	assert.Error(t, json.Unmarshal([]byte(`{"embedding":"AAA="}`), &bad))
}

func TestEachMember(t *testing.T) {
	t.Parallel()
	var keys []string
	var vals []string
	require.NoError(t, eachMember([]byte(` { "a" : 1 , "b\"q":"x}" ,"c":{"d":[1,{"e":"]"}]}, "f":null } `), func(k, v []byte) {
		keys = append(keys, string(k))
		vals = append(vals, string(v))
	}))
	assert.Equal(t, []string{"a", `b"q`, "c", "f"}, keys)
	assert.Equal(t, []string{"1", `"x}"`, `{"d":[1,{"e":"]"}]}`, "null"}, vals)
	assert.NoError(t, eachMember([]byte(`[1,2]`), func([]byte, []byte) { t.Fatal("not an object") }))
	assert.Error(t, eachMember([]byte(`{"a":`), func([]byte, []byte) {}))
}
