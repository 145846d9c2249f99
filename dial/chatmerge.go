package dial

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ChunkJSON is one chunk of a stream opened with [Client.ChatStreamJSON]: Raw is the event's
// data exactly as received. The chunk is parsed once, for [ChatMerge.Add], which consumes
// that parse: add a chunk to one merge only, once.
type ChunkJSON struct {
	Raw  json.RawMessage
	tree map[string]any
}

// decodeChunkJSON parses a chunk, which must be a JSON object.
func decodeChunkJSON(data []byte) (ChunkJSON, error) {
	v, err := decodeTree(data)
	if err != nil {
		return ChunkJSON{}, err
	}
	tree, ok := v.(map[string]any)
	if !ok {
		return ChunkJSON{}, errNotObject
	}
	return ChunkJSON{Raw: bytes.Clone(data), tree: tree}, nil
}

var errNotObject = fmt.Errorf("chunk is not a JSON object")

// finished reports whether a choice of the chunk has a non-empty finish_reason.
func (c ChunkJSON) finished() bool {
	choices, _ := c.tree["choices"].([]any)
	for _, ch := range choices {
		obj, _ := ch.(map[string]any)
		if s, _ := obj["finish_reason"].(string); s != "" {
			return true
		}
	}
	return false
}

// ChatMerge builds the complete response from the JSON of a stream's chunks, by the rule of
// [ChatResponse.Accumulate], without decoding them into types. The zero ChatMerge is ready
// to use; it is not safe for concurrent use. After an error it is inconsistent and should be
// dropped.
type ChatMerge struct {
	tree   map[string]any
	merger merger
}

// Add merges a chunk. Errors match [ErrParse].
func (m *ChatMerge) Add(c ChunkJSON) error {
	if c.tree == nil {
		return fmt.Errorf("%w: chunk was not parsed by ChatStreamJSON", ErrParse)
	}
	if m.tree == nil {
		m.tree = map[string]any{}
	}
	return m.merger.mergeChatChunk(m.tree, c.tree)
}

// JSON returns the merged response, as [ChatResponse.JSON] does for an accumulated response;
// before the first chunk, the encoding of an empty ChatResponse.
func (m *ChatMerge) JSON() (json.RawMessage, error) {
	if m.tree == nil {
		return json.Marshal(ChatResponse{})
	}
	return encodeTree(m.tree, true), nil
}

// Usage returns the merged usage, or nil when no chunk had one.
func (m *ChatMerge) Usage() (*Usage, error) {
	if subtree(m.tree, "usage") == nil {
		return nil, nil
	}
	u := &Usage{}
	if err := decodeSubtree(m.tree, u, "usage"); err != nil {
		return nil, err
	}
	return u, nil
}
