package dial

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ChunkJSON is one chunk of a stream opened with [Client.ChatStreamJSON]: Raw is the event's
// data exactly as received, checked to be a JSON object.
type ChunkJSON struct {
	Raw json.RawMessage
}

// decodeChunkJSON checks a chunk, which must be a JSON object, and returns it sharing data's
// memory; the error of invalid JSON is encoding/json's.
func decodeChunkJSON(data []byte) (ChunkJSON, error) {
	if !validJSON(data) {
		_, err := decodeTree(data)
		return ChunkJSON{}, err
	}
	if data[skipSpace(data, 0)] != '{' {
		return ChunkJSON{}, errNotObject
	}
	return ChunkJSON{Raw: data}, nil
}

// chunkJSONDecoder returns the chunk decoder of a [Client.ChatStreamJSON] stream. A chunk's
// bytes are copied into a buffer the decoder reuses for every chunk, so that reading an
// event that is no chunk ([DONE], an error) leaves the current chunk as it was: Current makes
// the chunk it returns a copy of its own (see [ChunkJSON.own]), while [Stream.Peek] returns
// the chunk in that buffer, and a stream that is only merged allocates nothing per
// chunk.
func chunkJSONDecoder() func([]byte) (ChunkJSON, error) {
	var buf []byte
	return func(data []byte) (ChunkJSON, error) {
		if _, err := decodeChunkJSON(data); err != nil {
			return ChunkJSON{}, err
		}
		buf = append(buf[:0], data...)
		return ChunkJSON{Raw: buf}, nil
	}
}

// own returns the chunk with bytes of its own.
func (c ChunkJSON) own() ChunkJSON { return ChunkJSON{Raw: bytes.Clone(c.Raw)} }

var errNotObject = fmt.Errorf("chunk is not a JSON object")

// finished reports whether a choice of the chunk has a non-empty finish_reason.
func (c ChunkJSON) finished() bool {
	return mayFinish(c.Raw) && hasFinishReason(c.Raw)
}

// hasFinishReason reports whether a choice of the chunk data has a non-empty finish_reason.
func hasFinishReason(data []byte) bool {
	found := false
	_ = eachMember(data, func(key, val []byte) {
		if string(key) != "choices" {
			return
		}
		_ = elements(val, func(choice []byte) error {
			_ = eachMember(choice, func(key, val []byte) {
				if string(key) == "finish_reason" && len(val) > 0 && val[0] == '"' && string(val) != `""` {
					found = true
				}
			})
			return nil
		})
	})
	return found
}

// finishName is the name of a choice's finish_reason member as it usually appears.
var finishName = []byte(`"finish_reason"`)

// mayFinish reports whether the chunk data may have a string finish_reason somewhere: false
// when each finish_reason name in it is followed by something else (null, as in every
// chunk but the last) and no name in it is written with \u escapes.
func mayFinish(data []byte) bool {
	if bytes.Contains(data, []byte(`\u`)) {
		return true
	}
	for rest := data; ; {
		k := bytes.Index(rest, finishName)
		if k < 0 {
			return false
		}
		rest = rest[k+len(finishName):]
		if j := skipSpace(rest, 0); j < len(rest) && rest[j] == ':' {
			if j = skipSpace(rest, j+1); j < len(rest) && rest[j] == '"' {
				return true
			}
		}
	}
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
	if m.tree == nil {
		m.tree = map[string]any{}
	}
	return m.merger.mergeChatJSON(m.tree, c.Raw)
}

// JSON returns the merged response, as [ChatResponse.JSON] does for an accumulated response;
// before the first chunk, the encoding of an empty ChatResponse.
func (m *ChatMerge) JSON() (json.RawMessage, error) {
	if m.tree == nil {
		return json.Marshal(ChatResponse{})
	}
	return encodeTree(m.tree, true), nil
}

// Value returns the merged response as encoding/json decodes [ChatMerge.JSON] into an any
// with UseNumber (objects as map[string]any, arrays as []any, numbers as json.Number),
// without encoding it: its strings share the merge's memory, so a long answer is not
// copied. It returns nil before the first chunk.
func (m *ChatMerge) Value() any {
	if m.tree == nil {
		return nil
	}
	return treeValue(m.tree, false, false, true)
}

// treeValue converts a chat response's tree as encodeTree(v, true) encodes it (see
// [treeEncoder.value] for the flags).
func treeValue(v any, dropIndex, keepElemIndex, top bool) any {
	switch t := v.(type) {
	case *mergedString:
		return t.String()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = treeValue(e, !keepElemIndex, false, false)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if !(dropIndex && k == "index") {
				out[k] = treeValue(e, false, top && k == "choices", false)
			}
		}
		return out
	}
	return v
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
