package promptlog

import (
	"encoding/json"
	"strings"
)

// content is a message's content: a string, or a list of parts of which the text parts count.
type content string

func (c *content) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*c = content(s)
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(b, &parts) != nil {
		return nil // neither: no text
	}
	var texts []string
	for _, p := range parts {
		if p.Type == "text" {
			texts = append(texts, p.Text)
		}
	}
	*c = content(strings.Join(texts, "\n"))
	return nil
}

// promptText is the text of the messages of a chat request, one message a line, each after
// its role: "user: hello". A body that is not a chat request gives "".
func promptText(request json.RawMessage) string {
	var r struct {
		Messages []struct {
			Role    string  `json:"role"`
			Content content `json:"content"`
		} `json:"messages"`
	}
	if json.Unmarshal(request, &r) != nil {
		return ""
	}
	lines := make([]string, 0, len(r.Messages))
	for _, m := range r.Messages {
		lines = append(lines, m.Role+": "+string(m.Content))
	}
	return strings.Join(lines, "\n")
}

// chatResponse is what the log reads of a chat response.
type chatResponse struct {
	Choices []struct {
		Message struct {
			Content content `json:"content"`
		} `json:"message"`
	} `json:"choices"`
	Usage Usage `json:"usage"`
}

// decodeResponse decodes what the log reads of a response body; nil or not JSON gives the
// zero value.
func decodeResponse(response json.RawMessage) chatResponse {
	var r chatResponse
	if response != nil {
		_ = json.Unmarshal(response, &r)
	}
	return r
}

// answer is the text of the first choice, or "".
func (r chatResponse) answer() string {
	if len(r.Choices) == 0 {
		return ""
	}
	return string(r.Choices[0].Message.Content)
}
