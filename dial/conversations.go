package dial

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"strings"
	"time"
)

// Conversation is a chat as DIAL Chat stores it under /v1/conversations (wire names are
// camelCase). A conversation written with these fields, and messages in the chat completions
// form, opens in DIAL Chat. Members this type does not declare (replay, playback,
// isMessageStreaming, customViewState, …) are kept in Extra, so a conversation read and
// saved back loses nothing.
//
// DIAL Chat derives a conversation's identity from its location: ID is the decoded storage
// URL, "conversations/<bucket>/<folder>/<file>", FolderID its folder without the trailing
// '/', and the file name is "<model>__<name>" (see [ConversationFileName]), which is how its
// listing shows model and name before the body is read. [Client.SaveConversation] sets ID
// and FolderID from the URL it saves to.
type Conversation struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	FolderID string            `json:"folderId"`
	Model    ConversationModel `json:"model"`
	// Prompt is the system prompt; DIAL Chat sends it as a first "system" message and keeps it
	// out of Messages.
	Prompt string `json:"prompt"`
	// Temperature is the sampling temperature the chat was held with; nil omits it (DIAL Chat
	// then shows its default, 1).
	Temperature *float64 `json:"temperature,omitempty"`
	// Messages are the chat messages in the chat completions form (role, content,
	// custom_content, …), each kept as JSON with every member it has. DIAL Chat reads "user"
	// and "assistant" messages; it expects content to be a string.
	Messages []json.RawMessage `json:"messages"`
	// SelectedAddons are addon ids; DIAL Chat expects the array, possibly empty.
	SelectedAddons []string `json:"selectedAddons"`
	// AssistantModelID is the model behind an assistant; empty omits it.
	AssistantModelID string `json:"assistantModelId,omitempty"`
	// LastActivityDate and UpdatedAt are Unix milliseconds; zero omits them.
	LastActivityDate int64 `json:"lastActivityDate,omitempty"`
	UpdatedAt        int64 `json:"updatedAt,omitempty"`
	// IsPlayback and IsReplay mark DIAL Chat's playback and replay conversations.
	IsPlayback bool `json:"isPlayback,omitempty"`
	IsReplay   bool `json:"isReplay,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// ConversationModel names the deployment a conversation talks to.
type ConversationModel struct {
	ID string `json:"id"`
}

type conversationJSON Conversation

var conversationFields = jsonFields[conversationJSON]()

// MarshalJSON encodes the conversation with the members of Extra inline. Messages and
// SelectedAddons are always written as arrays, as DIAL Chat expects.
func (c Conversation) MarshalJSON() ([]byte, error) {
	if c.Messages == nil {
		c.Messages = []json.RawMessage{}
	}
	if c.SelectedAddons == nil {
		c.SelectedAddons = []string{}
	}
	return marshalExtra(conversationJSON(c), c.Extra, conversationFields)
}

// UnmarshalJSON decodes a conversation, keeping undeclared members in Extra.
func (c *Conversation) UnmarshalJSON(b []byte) error {
	*c = Conversation{}
	return unmarshalExtra(b, (*conversationJSON)(c), &c.Extra, conversationFields)
}

// ConversationFileName returns the file name DIAL Chat gives a conversation with a model and
// a name, "<model>__<name>" ("gpt-4o__Trip planning"), a plain name for [StorageURL.Join].
// A "__" inside the model id is written "%5F%5F", as DIAL Chat does. An empty model gives
// name alone.
func ConversationFileName(model, name string) string {
	if model == "" {
		return name
	}
	return strings.ReplaceAll(model, "__", "%5F%5F") + "__" + name
}

// conversationName is the name DIAL Chat shows for a conversation file: what follows the
// model and "__", or the whole file name.
func conversationName(file string) string {
	if _, name, ok := strings.Cut(file, "__"); ok && name != "" {
		return name
	}
	return file
}

// SaveConversation stores conv at convURL, a conversations URL relative to /v1
// ("conversations/<bucket>/folder/gpt-4o__Trip") or absolute on the client's server, and
// returns the new metadata with its ETag. ID and FolderID are set from convURL, Name when
// empty from its file name (without a "<model>__" prefix), and LastActivityDate when zero
// to the current time. Use [IfMatch] to replace only a known version and IfNoneMatch("*")
// to create only; a failed condition matches [ErrETagMismatch].
func (c *Client) SaveConversation(ctx context.Context, convURL string, conv Conversation, opts ...CallOption) (*FileMetadata, error) {
	u, err := c.parseItem(convURL, ResourceConversations)
	if err != nil {
		return nil, err
	}
	return c.putConversation(ctx, u, conversationAt(u, conv), opts)
}

// conversationAt returns conv with the members SaveConversation fills for location u.
func conversationAt(u StorageURL, conv Conversation) Conversation {
	conv.ID, conv.FolderID = storageID(u), storageID(u.Parent())
	if conv.Name == "" {
		conv.Name = conversationName(u.Name())
	}
	if conv.LastActivityDate == 0 {
		conv.LastActivityDate = time.Now().UnixMilli()
	}
	return conv
}

func (c *Client) putConversation(ctx context.Context, u StorageURL, conv Conversation, opts []CallOption) (*FileMetadata, error) {
	body, err := marshalBody(conv)
	if err != nil {
		return nil, err
	}
	return c.putJSON(ctx, u, body, opts)
}

// GetConversation returns the conversation stored at convURL and its ETag. A missing one
// matches [ErrNotFound]; with [IfMatch] a changed one matches [ErrETagMismatch].
func (c *Client) GetConversation(ctx context.Context, convURL string, opts ...CallOption) (*Conversation, string, error) {
	u, err := c.parseItem(convURL, ResourceConversations)
	if err != nil {
		return nil, "", err
	}
	var conv Conversation
	etag, err := c.getJSON(ctx, u, &conv, opts)
	if err != nil {
		return nil, "", err
	}
	return &conv, etag, nil
}

// DeleteConversation deletes the conversation at convURL. A missing one matches
// [ErrNotFound]; with [IfMatch] a changed one matches [ErrETagMismatch].
func (c *Client) DeleteConversation(ctx context.Context, convURL string, opts ...CallOption) error {
	return c.deleteItem(ctx, convURL, ResourceConversations, opts)
}

// ConversationMetadata returns the metadata of a conversation, or of a conversations folder
// with one page of its children when convURL ends in '/' (see [Client.FileMetadata]).
func (c *Client) ConversationMetadata(ctx context.Context, convURL string, opts ...CallOption) (*FileMetadata, error) {
	return c.typedMetadata(ctx, ResourceConversations, convURL, opts)
}

// ListConversations iterates over the children of a conversations folder, like
// [Client.ListFiles].
func (c *Client) ListConversations(ctx context.Context, folderURL string, opts ...CallOption) iter.Seq2[FileMetadata, error] {
	return c.listTyped(ctx, ResourceConversations, folderURL, opts)
}

// storageID is the decoded form of a storage URL without a trailing '/', which DIAL Chat
// uses as ids: "conversations/<bucket>/folder/name".
func storageID(u StorageURL) string {
	id := u.typ + "/" + u.bucket
	if len(u.segs) > 0 {
		id += "/" + strings.Join(u.segs, "/")
	}
	return id
}

// parseItem parses a storage URL of resource type typ that must name an item.
func (c *Client) parseItem(s, typ string) (StorageURL, error) {
	u, err := c.parseTyped(s, typ)
	if err != nil {
		return StorageURL{}, err
	}
	if u.IsFolder() {
		return StorageURL{}, invalidURL(s, "URL points to a folder, not an item")
	}
	return u, nil
}

// putJSON stores a JSON resource (a conversation or prompt) and returns its metadata.
func (c *Client) putJSON(ctx context.Context, u StorageURL, body []byte, opts []CallOption) (*FileMetadata, error) {
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	return c.put(ctx, &request{method: http.MethodPut, path: u.apiPath(), body: jsonBody(body), cc: cc})
}

// getJSON reads a JSON resource into out and returns its ETag. DIAL sends these bodies
// without a Content-Type, so only the content is checked.
func (c *Client) getJSON(ctx context.Context, u StorageURL, out any, opts []CallOption) (string, error) {
	cc, err := newCallConfig(opts)
	if err != nil {
		return "", err
	}
	r := &request{method: http.MethodGet, path: u.apiPath(), cc: cc}
	resp, err := c.send(ctx, r)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if !isJSONObject(data) {
		return "", parseError(r.method, c.base.Path+r.path, errNotJSON)
	}
	if err := json.Unmarshal(bytes.TrimSpace(data), out); err != nil {
		return "", parseError(r.method, c.base.Path+r.path, err)
	}
	return resp.Header.Get("ETag"), nil
}

// deleteItem deletes the item at s, a URL of resource type typ.
func (c *Client) deleteItem(ctx context.Context, s, typ string, opts []CallOption) error {
	u, err := c.parseItem(s, typ)
	if err != nil {
		return err
	}
	cc, err := newCallConfig(opts)
	if err != nil {
		return err
	}
	_, _, err = c.call(ctx, &request{method: http.MethodDelete, path: u.apiPath(), cc: cc})
	return err
}
