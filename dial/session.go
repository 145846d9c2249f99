package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Session is a chat that keeps its history between calls and is saved and loaded as a DIAL
// Chat conversation ([Client.LoadSession], [Session.Save]), so a chat begun by a program can
// be continued in DIAL Chat or by another program. Build one as a literal with at least
// Client and Deployment:
//
//	s := &dial.Session{Client: c, Deployment: "gpt-4o", System: "You are terse."}
//	res, err := s.Say(ctx, "Name a prime.", dial.RunOptions{})
//	fmt.Println(res.Response.Text())
//	_, err = s.Save(ctx, home+dial.ConversationFileName("gpt-4o", "primes"))
//
// A Session is not safe for concurrent use.
type Session struct {
	// Client sends the session's requests.
	Client *Client
	// Deployment answers; it is saved as the conversation's model.
	Deployment string
	// System is the system prompt, sent as the first message of every request and saved as
	// the conversation's prompt; empty sends none.
	System string
	// Temperature, when not nil, is sent with every request and saved.
	Temperature *float64
	// Request holds further members of every request, a JSON object such as
	// {"max_tokens":200}; its "messages" and "stream" are ignored. It is not saved.
	Request json.RawMessage
	// Tools are offered in every request and answered as in [Client.RunTools]. They are not
	// saved.
	Tools []ToolFunction
	// Messages is the history without the system prompt: user, assistant and tool messages
	// in the chat completions form, each kept as JSON with every member it has.
	Messages []json.RawMessage
	// Name is the conversation's name in DIAL Chat; empty saves the name of the URL's file.
	Name string
	// ETag is the version of the conversation last loaded or saved, for [IfMatch].
	ETag string

	// conv is the conversation last loaded or saved: saving again keeps its other members.
	conv Conversation
}

// dialChatOnly reports the message members DIAL Chat stores for its own display; they are
// left out of chat requests.
func dialChatOnly(key string) bool {
	switch key {
	case "like", "errorMessage", "isError", "model", "settings", "responseId", "templateMapping":
		return true
	}
	return false
}

// Say sends text as a user message with the history and returns the run's result (the
// answer is res.Response.Text()). opts are those of [Client.RunTools]: Stream and OnChunk
// stream the answer, MaxSteps bounds tool calls. On success the user message and every
// message of the run are appended to Messages; on error Messages is unchanged and the
// result holds what happened (see [Client.RunTools]).
func (s *Session) Say(ctx context.Context, text string, opts RunOptions) (*RunResult, error) {
	msg, err := json.Marshal(Message{Role: RoleUser, Content: text})
	if err != nil {
		return &RunResult{}, err
	}
	return s.Send(ctx, msg, opts)
}

// Send is [Session.Say] for any message, given as a JSON object: a user message with
// content parts or attachments, say. The history is sent as it is kept, except that a tool
// call typed "functionfunction" (saved from an older DIAL application) is sent as "function".
func (s *Session) Send(ctx context.Context, msg json.RawMessage, opts RunOptions) (*RunResult, error) {
	if s.Client == nil || s.Deployment == "" {
		return &RunResult{}, errors.New("dial: Session: Client and Deployment must be set")
	}
	if !isJSONObject(msg) {
		return &RunResult{}, errors.New("dial: Session: the message must be a JSON object")
	}
	base := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(s.Request)) > 0 {
		if !isJSONObject(s.Request) {
			return &RunResult{}, errors.New("dial: Session: Request must be a JSON object")
		}
		if err := json.Unmarshal(s.Request, &base); err != nil {
			return &RunResult{}, fmt.Errorf("dial: Session: Request: %w", err)
		}
	}
	if s.Temperature != nil {
		base["temperature"], _ = json.Marshal(*s.Temperature)
	}
	msgs := make([]json.RawMessage, 0, len(s.Messages)+2)
	if s.System != "" {
		sys, _ := json.Marshal(Message{Role: RoleSystem, Content: s.System})
		msgs = append(msgs, sys)
	}
	for _, m := range s.Messages {
		msgs = append(msgs, echoToolCallTypes(requestMessage(m)))
	}
	msgs = append(msgs, msg)
	var err error
	if base["messages"], err = json.Marshal(msgs); err != nil {
		return &RunResult{}, fmt.Errorf("dial: Session: %w", err)
	}
	body, err := json.Marshal(base)
	if err != nil {
		return &RunResult{}, fmt.Errorf("dial: Session: %w", err)
	}
	res, err := s.Client.RunToolsRaw(ctx, s.Deployment, body, s.Tools, opts)
	if err != nil {
		return res, err
	}
	// The run's history starts with what was sent: the system prompt (not kept) and the old
	// messages (kept as they were, with members left out of the request).
	n := len(s.Messages)
	if s.System != "" {
		n++
	}
	s.Messages = append(s.Messages, res.Messages[n:]...)
	return res, nil
}

// requestMessage returns m without the members only DIAL Chat uses.
func requestMessage(m json.RawMessage) json.RawMessage {
	found := false
	_ = eachMember(m, func(key, _ []byte) {
		found = found || dialChatOnly(string(key))
	})
	if !found {
		return m
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(m, &obj) != nil {
		return m
	}
	maps.DeleteFunc(obj, func(k string, _ json.RawMessage) bool { return dialChatOnly(k) })
	out, err := json.Marshal(obj)
	if err != nil {
		return m
	}
	return out
}

// Conversation returns the session as a DIAL Chat conversation: the conversation it was
// loaded from or last saved as (all its members kept), with model, prompt, temperature,
// name and messages from the session and LastActivityDate now. Messages whose content is
// null (an assistant's tool calls) get "" as content, which DIAL Chat can display. ID and
// FolderID are set by [Client.SaveConversation].
func (s *Session) Conversation() Conversation {
	conv := s.conv
	conv.Extra = maps.Clone(conv.Extra)
	conv.SelectedAddons = slices.Clone(conv.SelectedAddons)
	conv.Model.ID = s.Deployment
	conv.Prompt = s.System
	conv.Temperature = s.Temperature
	if s.Name != "" {
		conv.Name = s.Name
	}
	conv.Messages = make([]json.RawMessage, len(s.Messages))
	for i, m := range s.Messages {
		conv.Messages[i] = displayMessage(m)
	}
	conv.LastActivityDate = time.Now().UnixMilli()
	return conv
}

// displayMessage gives m a string content when it has none.
func displayMessage(m json.RawMessage) json.RawMessage {
	var probe struct {
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(m, &probe) != nil || !isNull(probe.Content) {
		return m
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(m, &obj) != nil {
		return m
	}
	obj["content"] = json.RawMessage(`""`)
	out, err := json.Marshal(obj)
	if err != nil {
		return m
	}
	return out
}

// Save stores the session as a conversation at convURL with [Client.SaveConversation] and
// records the new ETag. opts take [IfMatch] (with s.ETag, to refuse overwriting another
// writer's change) and IfNoneMatch("*").
func (s *Session) Save(ctx context.Context, convURL string, opts ...CallOption) (*FileMetadata, error) {
	if s.Client == nil {
		return nil, errors.New("dial: Session: Client must be set")
	}
	u, err := s.Client.parseItem(convURL, ResourceConversations)
	if err != nil {
		return nil, err
	}
	conv := conversationAt(u, s.Conversation())
	meta, err := s.Client.putConversation(ctx, u, conv, opts)
	if err != nil {
		return nil, err
	}
	s.conv, s.ETag = conv, meta.ETag
	if s.Name == "" {
		s.Name = conv.Name
	}
	return meta, nil
}

// LoadSession reads the conversation at convURL (see [Client.GetConversation]) and returns
// a session continuing it: its model as Deployment, its prompt as System, its temperature,
// name, messages and ETag. Saving the session keeps the conversation's other members.
func (c *Client) LoadSession(ctx context.Context, convURL string, opts ...CallOption) (*Session, error) {
	conv, etag, err := c.GetConversation(ctx, convURL, opts...)
	if err != nil {
		return nil, err
	}
	return &Session{
		Client:      c,
		Deployment:  conv.Model.ID,
		System:      conv.Prompt,
		Temperature: conv.Temperature,
		Messages:    slices.Clone(conv.Messages),
		Name:        conv.Name,
		ETag:        etag,
		conv:        *conv,
	}, nil
}
