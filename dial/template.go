package dial

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// TemplateError reports a template that cannot be filled: placeholders without a value, or
// a syntax error.
type TemplateError struct {
	// Missing lists, in order of first use, the names that have neither a value nor a
	// default. It is empty for a syntax error.
	Missing []string
	// Offset is the byte offset of a syntax error, and Reason describes it.
	Offset int
	Reason string
}

// Error returns `dial: template: no value for "a", "b"` or "dial: template: byte N: reason".
func (e *TemplateError) Error() string {
	if len(e.Missing) == 0 {
		return fmt.Sprintf("dial: template: byte %d: %s", e.Offset, e.Reason)
	}
	q := make([]string, len(e.Missing))
	for i, n := range e.Missing {
		q[i] = strconv.Quote(n)
	}
	return "dial: template: no value for " + strings.Join(q, ", ")
}

// Template fills the {{name}} placeholders of text with vars, in the syntax of DIAL Chat's
// prompt templates. Space around the name is ignored ("{{ name }}"), and {{name|default}}
// uses default (trimmed) when vars has no name. A backslash before "{{" makes it literal:
// `\{{name}}` gives "{{name}}", and `\\{{name}}` gives a backslash followed by the value.
//
// Values are written as text: a string as it is, a number in decimal without a trailing
// ".0" (50, 0.25), a bool as true or false, a [json.RawMessage] holding a string as that
// string, a [fmt.Stringer] by its String method, and anything else (nil, maps, slices) as
// its JSON. Every name without a value or default is reported at once, in a [*TemplateError]
// listing them; "{{" without "}}", an empty name and a name containing '{' or '}' are
// syntax errors.
func Template(text string, vars map[string]any) (string, error) {
	var out strings.Builder
	out.Grow(len(text))
	var missing []string
	literal := func(lit string) { out.WriteString(lit) }
	err := scanTemplate(text, literal, func(name, def string, hasDef bool) error {
		v, ok := vars[name]
		if !ok {
			if hasDef {
				out.WriteString(def)
				return nil
			}
			if !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
			return nil
		}
		s, err := templateValue(v)
		if err != nil {
			return fmt.Errorf("dial: template: value of %q: %w", name, err)
		}
		out.WriteString(s)
		return nil
	})
	if err != nil {
		return "", err
	}
	if len(missing) > 0 {
		return "", &TemplateError{Missing: missing}
	}
	return out.String(), nil
}

// TemplateVars returns the distinct placeholder names of text in order of first use, those
// with a default included. It fails on the syntax errors [Template] reports.
func TemplateVars(text string) ([]string, error) {
	var names []string
	err := scanTemplate(text, func(string) {}, func(name, _ string, _ bool) error {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// scanTemplate walks text, passing literal runs to lit and placeholders to ph.
func scanTemplate(text string, lit func(string), ph func(name, def string, hasDef bool) error) error {
	i := 0
	for i < len(text) {
		j := strings.Index(text[i:], "{{")
		if j < 0 {
			lit(text[i:])
			return nil
		}
		j += i
		// A run of backslashes just before "{{": each pair is one backslash; an odd one left
		// over makes the braces literal.
		k := j
		for k > i && text[k-1] == '\\' {
			k--
		}
		lit(text[i:k])
		n := j - k
		lit(strings.Repeat(`\`, n/2))
		if n%2 == 1 {
			lit("{{")
			i = j + 2
			continue
		}
		end := strings.Index(text[j+2:], "}}")
		if end < 0 {
			return &TemplateError{Offset: j, Reason: `"{{" without "}}"`}
		}
		body := text[j+2 : j+2+end]
		name, def, hasDef := strings.Cut(body, "|")
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return &TemplateError{Offset: j, Reason: "empty placeholder name"}
		case strings.ContainsAny(name, "{}"):
			reason := fmt.Sprintf("invalid placeholder name %q", name)
			return &TemplateError{Offset: j, Reason: reason}
		}
		if err := ph(name, strings.TrimSpace(def), hasDef); err != nil {
			return err
		}
		i = j + 2 + end + 2
	}
	return nil
}

// templateValue writes a value as template text.
func templateValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return formatFloat(x), nil
	case float32:
		return formatFloat(float64(x)), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case json.Number:
		return x.String(), nil
	case json.RawMessage:
		raw := bytes.TrimSpace(x)
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", err
			}
			return s, nil
		}
		if !json.Valid(raw) {
			return "", errors.New("invalid JSON")
		}
		return string(raw), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// formatFloat writes f without exponent or trailing zeros below 1e21, as JavaScript does.
func formatFloat(f float64) string {
	if math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
