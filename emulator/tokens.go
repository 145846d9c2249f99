package emulator

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The emulator's tokenizer counts one token per whitespace-separated word: of a string input,
// or of the text content of a chat request's messages (at least one for a request, as chat
// usage reports it). The same count is a chat's prompt_tokens, enforces max_prompt_tokens and
// drives truncate_prompt.

// serveTokens answers POST /v1/deployments/{id}/tokenize and …/truncate_prompt (feature is
// "tokenize" or "truncate_prompt"). A deployment without the feature answers 403, as Core does
// when no feature endpoint is configured.
func (e *Emulator) serveTokens(w http.ResponseWriter, r *http.Request, c *caller, escaped, feature string) {
	d := e.lookup(w, c, escaped, "")
	if d == nil {
		return
	}
	if on, _ := d.listing["features"].(map[string]bool)[feature]; !on {
		plain(w, http.StatusForbidden, "Forbidden deployment")
		return
	}
	req := readRequest(w, r)
	if req == nil {
		return
	}
	inputs, ok := req["inputs"].([]any)
	if !ok {
		jsonError(w, http.StatusBadRequest, errorBody{Message: "'inputs' must be an array",
			Type: "invalid_request_error", Param: "inputs"})
		return
	}
	outputs := make([]map[string]any, len(inputs))
	for i, in := range inputs {
		if feature == "tokenize" {
			outputs[i] = tokenizeOutput(in)
		} else {
			outputs[i] = d.truncateOutput(in)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"outputs": outputs})
}

// tokenizeOutput counts the tokens of one tokenize input.
func tokenizeOutput(in any) map[string]any {
	m, _ := in.(map[string]any)
	switch m["type"] {
	case "string":
		if s, ok := m["value"].(string); ok {
			return map[string]any{"status": "success", "token_count": len(strings.Fields(s))}
		}
	case "request":
		if req, ok := m["value"].(map[string]any); ok {
			if msgs, ok := req["messages"].([]any); ok {
				return map[string]any{"status": "success", "token_count": max(1, countWords(msgs))}
			}
		}
	}
	return map[string]any{"status": "error",
		"error": `an input must be {"type":"string","value":"…"} or {"type":"request","value":{"messages":[…]}}`}
}

// truncateOutput lists the messages d would discard from one chat request to fit its
// max_prompt_tokens (the request's, else the deployment's): the oldest first, never a system
// message nor the last message.
func (d *deployment) truncateOutput(in any) map[string]any {
	req, _ := in.(map[string]any)
	msgs, ok := req["messages"].([]any)
	if !ok {
		return map[string]any{"status": "error", "error": "a request must have 'messages'"}
	}
	limit := 0
	if d.limits != nil {
		limit = d.limits.MaxPromptTokens
	}
	if v, ok := req["max_prompt_tokens"]; ok {
		n, err := strconv.Atoi(fmt.Sprint(v))
		if err != nil || n < 1 {
			return map[string]any{"status": "error", "error": "max_prompt_tokens must be a positive integer"}
		}
		limit = n
	}
	discarded := []int{}
	n := countWords(msgs)
	for i := 0; limit > 0 && n > limit && i < len(msgs)-1; i++ {
		m, _ := msgs[i].(map[string]any)
		if m["role"] == "system" {
			continue
		}
		discarded = append(discarded, i)
		n -= len(strings.Fields(contentText(m["content"])))
	}
	if limit > 0 && n > limit {
		return map[string]any{"status": "error", "error": promptTooLong(limit, n)}
	}
	return map[string]any{"status": "success", "discarded_messages": discarded}
}

// promptTooLong is the error of a prompt of n tokens that cannot fit into limit.
func promptTooLong(limit, n int) string {
	return fmt.Sprintf("The requested maximum prompt tokens is %d. However, the system messages and the "+
		"last user message resulted in %d tokens. Please reduce the length of the messages or increase "+
		"the maximum prompt tokens.", limit, n)
}
