package dial

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reference client's prompts lifecycle: save, get, metadata, listing, conditional save
// and delete, and the pipeline of scripts/prompts.lua: a stored template filled with Template.
func TestPromptLifecycle(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	home, err := c.MyPromptsHome(ctx)
	require.NoError(t, err)
	assert.Equal(t, "prompts/"+emulator.DefaultBucket+"/", home)
	url := home + "my-folder/summary"

	m1, err := c.SavePrompt(ctx, url, Prompt{Content: "Summarize {{text}} in {{n}} words.",
		Extra: map[string]json.RawMessage{"x_tag": json.RawMessage(`"kept"`)}}, IfNoneMatch("*"))
	require.NoError(t, err)
	assert.Equal(t, "PROMPT", m1.ResourceType)
	assert.Equal(t, "summary", m1.Name)
	assert.NotEmpty(t, m1.ETag)

	p, etag, err := c.GetPrompt(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, m1.ETag, etag)
	assert.Equal(t, Prompt{
		ID: "prompts/" + emulator.DefaultBucket + "/my-folder/summary", Name: "summary",
		FolderID: "prompts/" + emulator.DefaultBucket + "/my-folder",
		Content:  "Summarize {{text}} in {{n}} words.",
		Extra:    map[string]json.RawMessage{"x_tag": json.RawMessage(`"kept"`)},
	}, *p)
	text, err := Template(p.Content, map[string]any{"text": "the report", "n": 50.0})
	require.NoError(t, err)
	assert.Equal(t, "Summarize the report in 50 words.", text)

	_, err = c.SavePrompt(ctx, url, *p, IfNoneMatch("*"))
	require.ErrorIs(t, err, ErrETagMismatch, "create-only")
	p.Description = "Short summaries"
	m2, err := c.SavePrompt(ctx, url, *p, IfMatch(etag))
	require.NoError(t, err)
	_, err = c.SavePrompt(ctx, url, *p, IfMatch(etag))
	require.ErrorIs(t, err, ErrETagMismatch, "stale ETag")

	meta, err := c.PromptMetadata(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, m2.ETag, meta.ETag)
	folder, err := c.PromptMetadata(ctx, home+"my-folder/")
	require.NoError(t, err)
	assert.True(t, folder.IsFolder())
	require.Len(t, folder.Items, 1)

	_, err = c.SavePrompt(ctx, home+"other", Prompt{Name: "Other one", Content: "x"})
	require.NoError(t, err)
	var urls []string
	for item, err := range c.ListPrompts(ctx, home, Recursive(true)) {
		require.NoError(t, err)
		urls = append(urls, item.URL)
	}
	assert.ElementsMatch(t, []string{home + "my-folder/summary", home + "other"}, urls)
	other, _, err := c.GetPrompt(ctx, home+"other")
	require.NoError(t, err)
	assert.Equal(t, "Other one", other.Name, "a given name is kept")

	assert.ErrorIs(t, c.DeletePrompt(ctx, url, IfMatch(etag)), ErrETagMismatch)
	require.NoError(t, c.DeletePrompt(ctx, url, IfMatch(m2.ETag)))
	_, _, err = c.GetPrompt(ctx, url)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = c.PromptMetadata(ctx, url)
	assert.ErrorIs(t, err, ErrNotFound)

	_, _, err = c.GetPrompt(ctx, "files/"+emulator.DefaultBucket+"/summary")
	assert.ErrorIs(t, err, ErrInvalidURL, "a files URL is refused")
	assert.ErrorIs(t, c.DeletePrompt(ctx, home+"folder/"), ErrInvalidURL)
}

// The reference client's prompt and prompt metadata samples decode, and the prompt encodes
// back to the same JSON.
func TestPromptFixtures(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "aidial-client", "prompts.get.response.json"))
	require.NoError(t, err)
	var p Prompt
	require.NoError(t, json.Unmarshal(b, &p))
	assert.Equal(t, "my-prompt", p.Name)
	assert.Equal(t, "You are a helpful assistant.", p.Content)
	out, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, string(b), string(out))

	b, err = os.ReadFile(filepath.Join("testdata", "aidial-client", "metadata.prompts.item.response.json"))
	require.NoError(t, err)
	var m FileMetadata
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, "PROMPT", m.ResourceType)
	assert.Equal(t, "prompts/test-bucket/my-folder/my-prompt", m.URL)
}
