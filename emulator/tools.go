package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Tool-calling modes of [Deployment.ToolCalling].
const (
	// ToolsAuto calls the offered tools when the last message is the user's, and answers with
	// text built from the tool results once they come back.
	ToolsAuto = "auto"
	// ToolsAlways calls the offered tools on every request that offers them: a model that never
	// stops calling tools, for testing a client's step limit.
	ToolsAlways = "always"
)

// toolCalls decides the deterministic tool calls of a request to a tool-calling deployment:
// one call per offered function (or only the one tool_choice names; none for "none"), each
// with arguments derived from the last user message (see [toolArguments]). It returns nil
// when the deployment should answer with text instead.
func toolCalls(mode string, req map[string]any, n int) []map[string]any {
	tools, _ := req["tools"].([]any)
	msgs, _ := req["messages"].([]any)
	if mode == "" || len(tools) == 0 || len(msgs) == 0 || req["tool_choice"] == "none" {
		return nil
	}
	last, _ := msgs[len(msgs)-1].(map[string]any)
	if mode == ToolsAuto && last["role"] != "user" {
		return nil
	}
	only := ""
	if choice, ok := req["tool_choice"].(map[string]any); ok {
		fn, _ := choice["function"].(map[string]any)
		only, _ = fn["name"].(string)
	}
	text := lastUserText(msgs)
	var calls []map[string]any
	for _, t := range tools {
		t, _ := t.(map[string]any)
		fn, _ := t["function"].(map[string]any)
		name, _ := fn["name"].(string)
		if name == "" || (only != "" && name != only) {
			continue
		}
		args, _ := json.Marshal(toolArguments(fn["parameters"], text))
		calls = append(calls, map[string]any{
			"index": len(calls), "id": fmt.Sprintf("call_%d_%d", n, len(calls)), "type": "function",
			"function": map[string]any{"name": name, "arguments": string(args)},
		})
	}
	return calls
}

var (
	numberRE = regexp.MustCompile(`-?\d+(\.\d+)?`)
	// properNounRE finds capitalised words that are not the first word of the text.
	properNounRE = regexp.MustCompile(`\s(\p{Lu}[\p{L}\p{N}-]*)`)
)

// toolArguments fills a function's JSON Schema parameters from a user message: a string
// property gets the message's last capitalised word after the first ("What is the weather in
// Paris?" gives "Paris") or else its last word; numbers get the first number in the message
// (or the word count); booleans true; an enum its first value; other types null.
func toolArguments(schema any, text string) map[string]any {
	s, _ := schema.(map[string]any)
	props, _ := s["properties"].(map[string]any)
	args := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(props)) {
		p, _ := props[name].(map[string]any)
		if enum, ok := p["enum"].([]any); ok && len(enum) > 0 {
			args[name] = enum[0]
			continue
		}
		switch p["type"] {
		case "string":
			args[name] = keyword(text)
		case "number", "integer":
			if m := numberRE.FindString(text); m != "" {
				args[name] = json.Number(m)
			} else {
				args[name] = len(strings.Fields(text))
			}
		case "boolean":
			args[name] = true
		default:
			args[name] = nil
		}
	}
	return args
}

// keyword is the word of text a string argument takes.
func keyword(text string) string {
	trim := func(w string) string {
		return strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	if m := properNounRE.FindAllStringSubmatch(text, -1); len(m) > 0 {
		return trim(m[len(m)-1][1])
	}
	words := strings.Fields(text)
	if len(words) == 0 {
		return ""
	}
	return trim(words[len(words)-1])
}

// toolResultsText answers the tool results that end msgs: one line per result, "<tool>
// returned <content>", the tool named from the assistant message that called it.
func toolResultsText(msgs []any) string {
	names := map[string]string{}
	var lines []string
	for _, m := range msgs {
		m, _ := m.(map[string]any)
		switch m["role"] {
		case "assistant":
			calls, _ := m["tool_calls"].([]any)
			for _, c := range calls {
				c, _ := c.(map[string]any)
				fn, _ := c["function"].(map[string]any)
				id, _ := c["id"].(string)
				names[id], _ = fn["name"].(string)
			}
			lines = nil
		case "tool":
			id, _ := m["tool_call_id"].(string)
			name := names[id]
			if name == "" {
				name = "tool " + id
			}
			lines = append(lines, name+" returned "+contentText(m["content"]))
		}
	}
	return strings.Join(lines, "\n")
}
