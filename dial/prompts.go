package dial

import (
	"context"
	"encoding/json"
	"iter"
)

// Prompt is a prompt as DIAL Chat stores it under /v1/prompts (wire names are camelCase).
// Content may hold {{name}} and {{name|default}} placeholders, which DIAL Chat asks the user
// to fill and [Template] fills. Members this type does not declare (publicationInfo, …) are
// kept in Extra.
//
// As for a [Conversation], DIAL Chat derives identity from location: ID is the decoded
// storage URL "prompts/<bucket>/<folder>/<name>", FolderID its folder without the trailing
// '/', and the file name is the prompt's name. [Client.SavePrompt] sets ID and FolderID from
// the URL it saves to.
type Prompt struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	FolderID string `json:"folderId"`
	Content  string `json:"content"`
	// Description is shown under the name in DIAL Chat; empty omits it.
	Description string `json:"description,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

type promptJSON Prompt

var promptFields = jsonFields[promptJSON]()

// MarshalJSON encodes the prompt with the members of Extra inline.
func (p Prompt) MarshalJSON() ([]byte, error) {
	return marshalExtra(promptJSON(p), p.Extra, promptFields)
}

// UnmarshalJSON decodes a prompt, keeping undeclared members in Extra.
func (p *Prompt) UnmarshalJSON(b []byte) error {
	*p = Prompt{}
	return unmarshalExtra(b, (*promptJSON)(p), &p.Extra, promptFields)
}

// SavePrompt stores p at promptURL, a prompts URL relative to /v1
// ("prompts/<bucket>/folder/summary") or absolute on the client's server, and returns the
// new metadata with its ETag. ID and FolderID are set from promptURL, and Name when empty
// from its file name. Use [IfMatch] to replace only a known version and IfNoneMatch("*") to
// create only; a failed condition matches [ErrETagMismatch].
func (c *Client) SavePrompt(ctx context.Context, promptURL string, p Prompt, opts ...CallOption) (*FileMetadata, error) {
	u, err := c.parseItem(promptURL, ResourcePrompts)
	if err != nil {
		return nil, err
	}
	p.ID, p.FolderID = storageID(u), storageID(u.Parent())
	if p.Name == "" {
		p.Name = u.Name()
	}
	body, err := marshalBody(p)
	if err != nil {
		return nil, err
	}
	return c.putJSON(ctx, u, body, opts)
}

// GetPrompt returns the prompt stored at promptURL and its ETag. A missing one matches
// [ErrNotFound]; with [IfMatch] a changed one matches [ErrETagMismatch].
func (c *Client) GetPrompt(ctx context.Context, promptURL string, opts ...CallOption) (*Prompt, string, error) {
	u, err := c.parseItem(promptURL, ResourcePrompts)
	if err != nil {
		return nil, "", err
	}
	var p Prompt
	etag, err := c.getJSON(ctx, u, &p, opts)
	if err != nil {
		return nil, "", err
	}
	return &p, etag, nil
}

// DeletePrompt deletes the prompt at promptURL. A missing one matches [ErrNotFound]; with
// [IfMatch] a changed one matches [ErrETagMismatch].
func (c *Client) DeletePrompt(ctx context.Context, promptURL string, opts ...CallOption) error {
	return c.deleteItem(ctx, promptURL, ResourcePrompts, opts)
}

// PromptMetadata returns the metadata of a prompt, or of a prompts folder with one page of
// its children when promptURL ends in '/' (see [Client.FileMetadata]).
func (c *Client) PromptMetadata(ctx context.Context, promptURL string, opts ...CallOption) (*FileMetadata, error) {
	return c.typedMetadata(ctx, ResourcePrompts, promptURL, opts)
}

// ListPrompts iterates over the children of a prompts folder, like [Client.ListFiles].
func (c *Client) ListPrompts(ctx context.Context, folderURL string, opts ...CallOption) iter.Seq2[FileMetadata, error] {
	return c.listTyped(ctx, ResourcePrompts, folderURL, opts)
}
