package dial

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func conversationsHome(t *testing.T, c *Client) string {
	t.Helper()
	home, err := c.MyConversationsHome(t.Context())
	require.NoError(t, err)
	return home
}

// A conversation saved and read back keeps every member, the ones this package does not
// declare included, and gets the id and folder DIAL Chat derives from its location.
func TestConversationRoundTrip(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	home := conversationsHome(t, c)
	url := home + "trips/" + ConversationFileName("gpt-4o", "Trip to Paris")

	var conv Conversation
	require.NoError(t, json.Unmarshal([]byte(`{"model":{"id":"gpt-4o"},"prompt":"Be brief.",
		"temperature":0,"messages":[{"role":"user","content":"Hi","x_mark":true},
		{"role":"assistant","content":"Hello","custom_content":{"state":{"k":1}}}],
		"replay":{"isReplay":false,"replayUserMessagesStack":[],"activeReplayIndex":0}}`), &conv))
	meta, err := c.SaveConversation(ctx, url, conv)
	require.NoError(t, err)
	assert.NotEmpty(t, meta.ETag)
	assert.Equal(t, "gpt-4o__Trip to Paris", meta.Name)
	assert.Equal(t, "CONVERSATION", meta.ResourceType)

	got, etag, err := c.GetConversation(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, meta.ETag, etag)
	assert.Equal(t, "conversations/"+emulator.DefaultBucket+"/trips/gpt-4o__Trip to Paris", got.ID)
	assert.Equal(t, "conversations/"+emulator.DefaultBucket+"/trips", got.FolderID)
	assert.Equal(t, "Trip to Paris", got.Name)
	assert.Equal(t, "gpt-4o", got.Model.ID)
	assert.Equal(t, "Be brief.", got.Prompt)
	require.NotNil(t, got.Temperature)
	assert.Zero(t, *got.Temperature)
	assert.Positive(t, got.LastActivityDate)
	assert.Equal(t, []string{}, got.SelectedAddons)
	require.Len(t, got.Messages, 2)
	assert.JSONEq(t, `{"role":"user","content":"Hi","x_mark":true}`, string(got.Messages[0]))
	assert.JSONEq(t, `{"isReplay":false,"replayUserMessagesStack":[],"activeReplayIndex":0}`,
		string(got.Extra["replay"]))

	// Metadata and listings accept conversations URLs.
	m, err := c.ConversationMetadata(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, etag, m.ETag)
	var names []string
	for item, err := range c.ListConversations(ctx, home, Recursive(true)) {
		require.NoError(t, err)
		names = append(names, item.Name)
	}
	assert.Equal(t, []string{"gpt-4o__Trip to Paris"}, names)

	require.NoError(t, c.DeleteConversation(ctx, url, IfMatch(etag)))
	_, _, err = c.GetConversation(ctx, url)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, c.DeleteConversation(ctx, url), ErrNotFound)
}

// Saves are conditional like uploads: a stale ETag and a create-only save of an existing
// conversation fail with ErrETagMismatch (412).
func TestConversationETags(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	url := conversationsHome(t, c) + "etags"
	conv := Conversation{Model: ConversationModel{ID: "echo"}}

	m1, err := c.SaveConversation(ctx, url, conv, IfNoneMatch("*"))
	require.NoError(t, err)
	_, err = c.SaveConversation(ctx, url, conv, IfNoneMatch("*"))
	require.ErrorIs(t, err, ErrETagMismatch)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusPreconditionFailed, apiErr.StatusCode)

	conv.Prompt = "second"
	m2, err := c.SaveConversation(ctx, url, conv, IfMatch(m1.ETag))
	require.NoError(t, err)
	assert.NotEqual(t, m1.ETag, m2.ETag)
	conv.Prompt = "third"
	_, err = c.SaveConversation(ctx, url, conv, IfMatch(m1.ETag))
	require.ErrorIs(t, err, ErrETagMismatch, "stale ETag")
	_, _, err = c.GetConversation(ctx, url, IfMatch(m1.ETag))
	require.ErrorIs(t, err, ErrETagMismatch)
	assert.ErrorIs(t, c.DeleteConversation(ctx, url, IfMatch(m1.ETag)), ErrETagMismatch)

	got, _, err := c.GetConversation(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, "second", got.Prompt)
	assert.Equal(t, "etags", got.Name)
}

// Conversations URLs are checked before any request.
func TestConversationURLs(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	home := conversationsHome(t, c)
	for _, url := range []string{
		"files/" + emulator.DefaultBucket + "/x", home, home + "a/../b",
		"https://elsewhere.example/v1/" + home + "x",
	} {
		_, err := c.SaveConversation(ctx, url, Conversation{})
		assert.Error(t, err, url)
		var uerr *URLError
		assert.ErrorAs(t, err, &uerr, url)
		_, _, err = c.GetConversation(ctx, url)
		assert.ErrorAs(t, err, &uerr, url)
	}
	_, err := c.PromptMetadata(ctx, home)
	assert.ErrorIs(t, err, ErrInvalidURL)
}

func TestConversationFileName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "gpt-4o__Trip", ConversationFileName("gpt-4o", "Trip"))
	assert.Equal(t, "a%5F%5Fb__n", ConversationFileName("a__b", "n"))
	assert.Equal(t, "n", ConversationFileName("", "n"))
	assert.Equal(t, "Trip", conversationName("gpt-4o__Trip"))
	assert.Equal(t, "Trip__2", conversationName("gpt-4o__Trip__2"))
	assert.Equal(t, "plain", conversationName("plain"))
}

// The session of scripts/session.lua: a session says two things, is saved as a conversation,
// and is loaded by another client (another script) that continues it.
func TestSessionSaveAndLoad(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()

	s := &Session{Client: c, Deployment: "gpt-4o", System: "You are terse."}
	res, err := s.Say(ctx, "Name a prime.", RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, "Name a prime.", res.Response.Text())
	var streamed string
	_, err = s.Say(ctx, "And the next one?", RunOptions{Stream: true, OnChunk: func(ch ChatChunk) bool {
		streamed += ch.Text()
		return true
	}})
	require.NoError(t, err)
	assert.Equal(t, "And the next one?", streamed)
	require.Len(t, s.Messages, 4, "the system prompt is not in the history")

	url := conversationsHome(t, c) + ConversationFileName("gpt-4o", "primes")
	meta, err := s.Save(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, meta.ETag, s.ETag)
	assert.Equal(t, "primes", s.Name)

	other, err := NewClient(srv.URL, WithAPIKey(srv.Key))
	require.NoError(t, err)
	defer other.Close()
	s2, err := other.LoadSession(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, "gpt-4o", s2.Deployment)
	assert.Equal(t, "You are terse.", s2.System)
	assert.Equal(t, "primes", s2.Name)
	assert.Equal(t, s.ETag, s2.ETag)
	require.Len(t, s2.Messages, 4)
	for i := range s.Messages {
		assert.JSONEq(t, string(s.Messages[i]), string(s2.Messages[i]))
	}

	bodies := captureChat(srv, "gpt-4o")
	_, err = s2.Say(ctx, "Thanks", RunOptions{})
	require.NoError(t, err)
	require.Len(t, s2.Messages, 6)
	var sent struct{ Messages []Message }
	require.NoError(t, json.Unmarshal(bodies()[0], &sent))
	require.Len(t, sent.Messages, 6)
	assert.Equal(t, Message{Role: RoleSystem, Content: "You are terse."}, sent.Messages[0])
	assert.Equal(t, "Thanks", sent.Messages[5].Content)

	// The first session's ETag is stale now that s2 saved; IfMatch refuses to overwrite.
	_, err = s2.Save(ctx, url, IfMatch(s2.ETag))
	require.NoError(t, err)
	_, err = s.Save(ctx, url, IfMatch(s.ETag))
	assert.ErrorIs(t, err, ErrETagMismatch)
}

// A conversation written by DIAL Chat loads into a session: its display-only message members
// stay out of requests but are saved back, and its other members survive a save.
func TestSessionFromDialChatConversation(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	bodies := captureChat(srv, "gpt-4o")
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	url := conversationsHome(t, c) + "chat/gpt-4o__From chat"
	var conv Conversation
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x","name":"From chat","folderId":"y",
		"model":{"id":"gpt-4o"},"prompt":"","temperature":1,"selectedAddons":["addon-a"],
		"messages":[{"role":"user","content":"Hi","settings":{"prompt":""}},
		{"role":"assistant","content":"Hello","model":{"id":"gpt-4o"},"like":1}],
		"isMessageStreaming":false}`), &conv))
	_, err := c.SaveConversation(ctx, url, conv)
	require.NoError(t, err)

	s, err := c.LoadSession(ctx, url)
	require.NoError(t, err)
	require.NotNil(t, s.Temperature)
	_, err = s.Say(ctx, "Again", RunOptions{})
	require.NoError(t, err)
	var sent struct {
		Temperature float64
		Messages    []json.RawMessage
	}
	require.NoError(t, json.Unmarshal(bodies()[0], &sent))
	assert.Equal(t, 1.0, sent.Temperature)
	require.Len(t, sent.Messages, 3, "an empty prompt sends no system message")
	assert.JSONEq(t, `{"role":"user","content":"Hi"}`, string(sent.Messages[0]))
	assert.JSONEq(t, `{"role":"assistant","content":"Hello"}`, string(sent.Messages[1]))

	_, err = s.Save(ctx, url)
	require.NoError(t, err)
	got, _, err := c.GetConversation(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, []string{"addon-a"}, got.SelectedAddons)
	assert.JSONEq(t, `false`, string(got.Extra["isMessageStreaming"]))
	assert.JSONEq(t, `{"role":"assistant","content":"Hello","model":{"id":"gpt-4o"},"like":1}`,
		string(got.Messages[1]))
	assert.Len(t, got.Messages, 4)
}

// A session with tools runs the tool loop; the saved conversation shows the assistant's tool
// calls with string content.
func TestSessionWithTools(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	s := &Session{Client: c, Deployment: "gpt-4o", Tools: []ToolFunction{weatherTool(nil)},
		Request: json.RawMessage(`{"max_tokens":50,"messages":"ignored"}`)}
	res, err := s.Say(ctx, "Weather in Paris?", RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Steps)
	require.Len(t, s.Messages, 4)

	conv := s.Conversation()
	var m Message
	require.NoError(t, json.Unmarshal(conv.Messages[1], &m))
	assert.Len(t, m.ToolCalls, 1)
	assert.JSONEq(t, `""`, string(mustMember(t, conv.Messages[1], "content")))
	assert.JSONEq(t, `null`, string(mustMember(t, s.Messages[1], "content")), "the history is unchanged")

	_, err = (&Session{Client: c}).Say(ctx, "x", RunOptions{})
	assert.ErrorContains(t, err, "Client and Deployment must be set")
	bad := &Session{Client: c, Deployment: "gpt-4o", Request: json.RawMessage(`[]`)}
	_, err = bad.Say(ctx, "x", RunOptions{})
	assert.ErrorContains(t, err, "Request must be a JSON object")
	// A failed say leaves the history as it was.
	before := len(s.Messages)
	s.Deployment = "missing"
	_, err = s.Say(ctx, "x", RunOptions{})
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Len(t, s.Messages, before)
}

func mustMember(t *testing.T, obj json.RawMessage, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(obj, &m))
	v, ok := m[key]
	require.True(t, ok, "no %q in %s", key, obj)
	return v
}

// A conversation that kept an older application's "functionfunction" tool call type
// continues: the history is sent with the type "function".
func TestSessionWithLegacyToolTypeInHistory(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	url := conversationsHome(t, c) + "legacy"
	conv := Conversation{Name: "legacy", Model: ConversationModel{ID: "echo"}, Messages: []json.RawMessage{
		json.RawMessage(`{"role":"user","content":"Weather?"}`),
		json.RawMessage(`{"role":"assistant","content":"","tool_calls":[{"id":"c1","type":"functionfunction","function":{"name":"get_weather","arguments":"{}"}}]}`),
		json.RawMessage(`{"role":"tool","tool_call_id":"c1","content":"sunny"}`),
		json.RawMessage(`{"role":"assistant","content":"It is sunny."}`),
	}}
	_, err := c.SaveConversation(ctx, url, conv)
	require.NoError(t, err)
	s, err := c.LoadSession(ctx, url)
	require.NoError(t, err)
	res, err := s.Say(ctx, "Thanks", RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, "Thanks", res.Response.Text())
	assert.Contains(t, string(s.Messages[1]), "functionfunction", "the kept history is unchanged")
}
