package dial

import (
	"encoding/json"
	"fmt"
	"strings"
)

// chatOverwrite reports the members whose strings replace rather than concatenate when chat
// chunks merge: OpenAI-compatible servers repeat identifiers and enumerations in every
// chunk, and "chatcmpl-1chatcmpl-1" helps nobody.
func chatOverwrite(key string) bool {
	switch key {
	case "id", "object", "model", "system_fingerprint", "role", "type", "finish_reason",
		"status", "tool_call_id":
		return true
	}
	return false
}

// chatAccumulator is the state of [ChatResponse.Accumulate]: the merged JSON tree (the source
// of [ChatResponse.JSON]) and string builders behind the typed fields.
type chatAccumulator struct {
	tree    map[string]any
	merger  merger
	choices []*choiceAcc
}

type choiceAcc struct {
	content, refusal, fnName, fnArgs strings.Builder
	tools                            []*toolAcc
}

type toolAcc struct {
	name, args strings.Builder
}

// Accumulate merges a stream chunk into r, so that after the last chunk r is the complete
// response: contents, refusals and tool call arguments concatenate, tool calls and
// custom_content attachments and stages merge by index, usage and statistics take their
// latest values, and every member the server sent is kept (in the typed fields, in Extra,
// and in [ChatResponse.JSON]). The merge is DIAL's (see [MergeChunks]), except that ids,
// object, model, role, type, status and finish_reason are replaced rather than concatenated,
// because servers repeat them.
//
// The zero ChatResponse is ready to use. A response being accumulated must not be copied,
// and it is not safe for concurrent use. After an error r is inconsistent and should be
// dropped; errors match [ErrParse].
func (r *ChatResponse) Accumulate(c ChatChunk) error {
	raw := c.Raw
	if raw == nil {
		var err error
		if raw, err = json.Marshal(c); err != nil {
			return fmt.Errorf("%w: encoding chunk: %w", ErrParse, err)
		}
	}
	// The chunk is merged twice: into a JSON tree (the complete record, unknown members
	// included) and into the typed fields, where strings grow in builders so that a long
	// answer costs linear, not quadratic, time.
	if r.acc == nil {
		r.acc = &chatAccumulator{tree: map[string]any{}}
	}
	a := r.acc
	if err := a.merger.mergeChatJSON(a.tree, raw); err != nil {
		return err
	}
	r.Raw = nil

	if c.ID != "" {
		r.ID = c.ID
	}
	r.Object = "chat.completion"
	if c.Created != 0 {
		r.Created = c.Created
	}
	if c.Model != "" {
		r.Model = c.Model
	}
	if c.SystemFingerprint != "" {
		r.SystemFingerprint = c.SystemFingerprint
	}
	if c.Usage != nil {
		r.Usage = &Usage{}
		if err := decodeSubtree(a.tree, r.Usage, "usage"); err != nil {
			return err
		}
	}
	if c.Statistics != nil {
		r.Statistics = &Statistics{}
		if err := decodeSubtree(a.tree, r.Statistics, "statistics"); err != nil {
			return err
		}
	}
	if err := extraFromTree(&r.Extra, c.Extra, a.tree); err != nil {
		return err
	}
	for i, ch := range c.Choices {
		// A choice without "index" takes its position, as mergeChatChunk does in the tree.
		idx := ch.Index
		if idx == 0 && i > 0 {
			idx = i
		}
		if idx < 0 || idx > maxMergeIndex {
			return fmt.Errorf("%w: choice index %d out of range", ErrParse, idx)
		}
		for len(r.Choices) <= idx {
			r.Choices = append(r.Choices, ChatChoice{Index: len(r.Choices)})
		}
		for len(a.choices) <= idx {
			a.choices = append(a.choices, &choiceAcc{})
		}
		if err := r.accumulateChoice(&r.Choices[idx], a.choices[idx], ch, idx); err != nil {
			return err
		}
	}
	return nil
}

func (r *ChatResponse) accumulateChoice(cc *ChatChoice, ca *choiceAcc, ch ChunkChoice, idx int) error {
	tree := r.acc.tree
	choiceTree := subtree(tree, "choices", idx)
	if ch.FinishReason != "" {
		cc.FinishReason = ch.FinishReason
	}
	if !isNull(ch.Logprobs) {
		cc.Logprobs = encodeTree(subtree(choiceTree, "logprobs"), false)
	}
	if err := extraFromTree(&cc.Extra, ch.Extra, choiceTree); err != nil {
		return err
	}
	d := ch.Delta
	msg := &cc.Message
	msgTree := subtree(choiceTree, "message")
	if d.Role != "" {
		msg.Role = d.Role
	}
	if d.Content != "" {
		ca.content.WriteString(d.Content)
		msg.Content = ca.content.String()
	}
	if d.Refusal != "" {
		ca.refusal.WriteString(d.Refusal)
		msg.Refusal = ca.refusal.String()
	}
	if d.Name != "" {
		msg.Name += d.Name
	}
	if d.ToolCallID != "" {
		msg.ToolCallID = d.ToolCallID
	}
	if d.FunctionCall != nil {
		if msg.FunctionCall == nil {
			msg.FunctionCall = &FunctionCall{}
		}
		ca.fnName.WriteString(d.FunctionCall.Name)
		ca.fnArgs.WriteString(d.FunctionCall.Arguments)
		msg.FunctionCall.Name, msg.FunctionCall.Arguments = ca.fnName.String(), ca.fnArgs.String()
	}
	for j, tc := range d.ToolCalls {
		ti := j
		if tc.Index != nil {
			ti = *tc.Index
		}
		if ti < 0 || ti > maxMergeIndex {
			return fmt.Errorf("%w: tool call index %d out of range", ErrParse, ti)
		}
		for len(msg.ToolCalls) <= ti {
			msg.ToolCalls = append(msg.ToolCalls, ToolCall{})
		}
		for len(ca.tools) <= ti {
			ca.tools = append(ca.tools, &toolAcc{})
		}
		t, ta := &msg.ToolCalls[ti], ca.tools[ti]
		if tc.ID != "" {
			t.ID = tc.ID
		}
		if tc.Type != "" {
			t.Type = tc.Type
		}
		ta.name.WriteString(tc.Function.Name)
		ta.args.WriteString(tc.Function.Arguments)
		t.Function.Name, t.Function.Arguments = ta.name.String(), ta.args.String()
		if err := extraFromTree(&t.Extra, tc.Extra, subtree(msgTree, "tool_calls", ti)); err != nil {
			return err
		}
	}
	// custom_content and custom_fields follow DIAL's full merge rule (stages and attachments
	// by index), so they are read back from the merged tree rather than merged twice.
	if d.CustomContent != nil {
		msg.CustomContent = &CustomContent{}
		if err := decodeSubtree(msgTree, msg.CustomContent, "custom_content"); err != nil {
			return err
		}
	}
	if d.CustomFields != nil {
		msg.CustomFields = &CustomFields{}
		if err := decodeSubtree(msgTree, msg.CustomFields, "custom_fields"); err != nil {
			return err
		}
	}
	return extraFromTree(&msg.Extra, d.Extra, msgTree)
}

// JSON returns the response as the server sent it: Raw for a response decoded from a body,
// the merge of every chunk (all members kept, array elements without their stream "index"
// except the choices) for an accumulated one, and the encoding of the typed fields otherwise.
func (r *ChatResponse) JSON() (json.RawMessage, error) {
	if r.acc != nil {
		return encodeTree(r.acc.tree, true), nil
	}
	if r.Raw != nil {
		return r.Raw, nil
	}
	return json.Marshal(r)
}

// mergeChatJSON merges the JSON of one chunk into the tree of a chat response: by the fast
// path when it can, else decoded and merged by mergeChatChunk.
func (m *merger) mergeChatJSON(tree map[string]any, raw []byte) error {
	if m.fastMergeChat(tree, raw) {
		return nil
	}
	v, err := decodeTree(raw)
	if err != nil {
		return fmt.Errorf("%w: chunk: %w", ErrParse, err)
	}
	chunk, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: chunk is not a JSON object", ErrParse)
	}
	return m.mergeChatChunk(tree, chunk)
}

// mergeChatChunk merges one chunk into the tree of a chat response: top-level strings are
// replaced, each choice's "delta" merges into its "message", and "object" becomes
// "chat.completion".
func (m *merger) mergeChatChunk(tree, chunk map[string]any) error {
	m.overwrite, m.path = chatOverwrite, m.path[:0]
	if choices, ok := chunk["choices"].([]any); ok {
		for i, c := range choices {
			obj, ok := c.(map[string]any)
			if !ok {
				return fmt.Errorf("%w: choice %d is not an object", ErrParse, i)
			}
			if _, has := obj["index"]; !has {
				obj["index"] = json.Number(fmt.Sprint(i))
			}
			if d, has := obj["delta"]; has {
				delete(obj, "delta")
				obj["message"] = d
			}
		}
	}
	var buf [8]string
	for _, k := range appendSortedKeys(buf[:0], chunk) {
		v := chunk[k]
		if s, ok := v.(string); ok && (k == "object" || replaceString(tree, k, s)) {
			continue // "object" is set below
		}
		m.enterKey(k)
		nv, err := m.merge(tree[k], v)
		if err != nil {
			return err
		}
		m.leave()
		tree[k] = nv
	}
	replaceString(tree, "object", "chat.completion")
	return nil
}

// decodeSubtree decodes the member key of tree, with stream indices removed, into out.
func decodeSubtree(tree any, out any, key string) error {
	v := subtree(tree, key)
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(encodeTree(v, false), out); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrParse, key, err)
	}
	return nil
}

// extraFromTree refreshes in *dst the members named in delta from their merged values in
// tree.
func extraFromTree(dst *map[string]json.RawMessage, delta map[string]json.RawMessage, tree any) error {
	if len(delta) == 0 {
		return nil
	}
	if *dst == nil {
		*dst = map[string]json.RawMessage{}
	}
	for k := range delta {
		v := subtree(tree, k)
		(*dst)[k] = encodeTree(v, false)
	}
	return nil
}
