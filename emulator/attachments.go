package emulator

import "strings"

// attachmentLine is what an echo answer adds for the attachments of the last user message:
// "\n[attachments: title <url> (type), …]", or "" when it has none, so echoes of messages
// without attachments are unchanged.
func attachmentLine(msgs []any) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		m, _ := msgs[i].(map[string]any)
		if m["role"] != "user" {
			continue
		}
		cc, _ := m["custom_content"].(map[string]any)
		atts, _ := cc["attachments"].([]any)
		if len(atts) == 0 {
			return ""
		}
		items := make([]string, 0, len(atts))
		for _, a := range atts {
			a, _ := a.(map[string]any)
			title, _ := a["title"].(string)
			url, _ := a["url"].(string)
			typ, _ := a["type"].(string)
			items = append(items, title+" <"+url+"> ("+typ+")")
		}
		return "\n[attachments: " + strings.Join(items, ", ") + "]"
	}
	return ""
}
