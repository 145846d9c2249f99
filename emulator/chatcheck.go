package emulator

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// maxChoices is the largest n OpenAI accepts.
const maxChoices = 128

// checkChat refuses a chat request the way the model behind Core would, and returns the error
// to answer with (status 400), or nil. It checks that n is between 1 and maxChoices, that
// every tool call in the history has a type OpenAI knows ("function" or "custom"), and that the prompt fits the
// deployment's max_prompt_tokens (see [Limits]).
func (d *deployment) checkChat(req map[string]any, msgs []any) *errorBody {
	if _, err := choiceCount(req); err != nil {
		return err
	}
	for i, m := range msgs {
		m, _ := m.(map[string]any)
		calls, _ := m["tool_calls"].([]any)
		for j, c := range calls {
			c, _ := c.(map[string]any)
			param := fmt.Sprintf("messages[%d].tool_calls[%d].type", i, j)
			switch typ, ok := c["type"]; {
			case !ok:
				return &errorBody{Message: "Missing required parameter: '" + param + "'.",
					Type: "invalid_request_error", Param: param, Code: "missing_required_parameter"}
			case typ != "function" && typ != "custom":
				return &errorBody{Message: fmt.Sprintf("Invalid value: '%v'. Supported values are: 'function' and 'custom'.", typ),
					Type: "invalid_request_error", Param: param, Code: "invalid_value"}
			}
		}
	}
	if d.limits == nil || d.limits.MaxPromptTokens == 0 {
		return nil
	}
	if n := countWords(msgs); n > d.limits.MaxPromptTokens {
		msg := promptTooLong(d.limits.MaxPromptTokens, n)
		return &errorBody{Message: msg, Type: "invalid_request_error", Param: "max_prompt_tokens",
			Code: "truncate_prompt_error", DisplayMessage: msg}
	}
	return nil
}

// choiceCount is the request's n: absent or null means 1.
func choiceCount(req map[string]any) (int, *errorBody) {
	v, ok := req["n"]
	if !ok || v == nil {
		return 1, nil
	}
	num, _ := v.(json.Number)
	n, err := strconv.Atoi(string(num))
	if err != nil || n < 1 || n > maxChoices {
		return 0, &errorBody{Message: fmt.Sprintf("Invalid 'n': expected an integer from 1 to %d, got %v.", maxChoices, v),
			Type: "invalid_request_error", Param: "n", Code: "invalid_value"}
	}
	return n, nil
}
