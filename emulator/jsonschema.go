package emulator

import (
	"encoding/json"
	"strings"
)

// invalidJSONReply is what a deployment with InvalidJSONFirst answers to its first requests
// with a json_schema response format: prose around a JSON document, as models produce.
const invalidJSONReply = "Sure! Here is the JSON you asked for: {\"answer\": "

// maxSchemaDepth bounds the nesting [schemaDocument] follows, so a recursive schema ends.
const maxSchemaDepth = 16

// schemaAnswer is the text a chat request gets when its response_format is json_schema, and
// whether it is one: invalidJSONReply for request number n up to the deployment's
// InvalidJSONFirst, else the document [schemaDocument] builds from the schema.
func (d *deployment) schemaAnswer(req map[string]any, n int) (string, bool) {
	format, _ := req["response_format"].(map[string]any)
	if format["type"] != "json_schema" {
		return "", false
	}
	if n <= d.InvalidJSONFirst {
		return invalidJSONReply, true
	}
	spec, _ := format["json_schema"].(map[string]any)
	root, _ := spec["schema"].(map[string]any)
	doc, _ := json.Marshal(schemaDocument(root, root, 0)) // values decoded from JSON encode again
	return string(doc), true
}

// schemaDocument builds the deterministic document that fits schema s (root is the whole
// schema, for "#/…" references). The rule, as README.md documents it:
//   - "$ref" to "#/…" is followed; "const" gives its value; "enum" its first value;
//     "anyOf"/"oneOf" their first alternative, "allOf" its first member;
//   - the type is "type" (the first that is not "null" of a list), else object when there are
//     "properties", array when there are "items", else string;
//   - object: every listed property, and every required one (a string when unlisted);
//   - string: "example", padded with "x" to minLength;
//   - number and integer: minimum, else exclusiveMinimum + 1, else 1 (maximum when below 1);
//   - boolean: true; null: null;
//   - array: max(minItems, 1) items built from "items".
func schemaDocument(s, root map[string]any, depth int) any {
	if depth > maxSchemaDepth {
		return nil
	}
	if ref, ok := s["$ref"].(string); ok {
		return schemaDocument(resolveRef(root, ref), root, depth+1)
	}
	if v, ok := s["const"]; ok {
		return v
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	for _, key := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := s[key].([]any); ok && len(alts) > 0 {
			alt, _ := alts[0].(map[string]any)
			return schemaDocument(alt, root, depth+1)
		}
	}
	switch schemaType(s) {
	case "object":
		obj := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			ps, _ := p.(map[string]any)
			obj[name] = schemaDocument(ps, root, depth+1)
		}
		required, _ := s["required"].([]any)
		for _, r := range required {
			if name, ok := r.(string); ok {
				if _, listed := props[name]; !listed {
					obj[name] = "example"
				}
			}
		}
		return obj
	case "array":
		items, _ := s["items"].(map[string]any)
		n := max(1, intOf(s["minItems"], 1))
		arr := make([]any, n)
		for i := range arr {
			arr[i] = schemaDocument(items, root, depth+1)
		}
		return arr
	case "number", "integer":
		return numberFor(s)
	case "boolean":
		return true
	case "null":
		return nil
	}
	word := "example"
	if n := intOf(s["minLength"], 0); n > len(word) {
		word += strings.Repeat("x", n-len(word))
	}
	return word
}

// schemaType is the type schemaDocument builds for s.
func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if name, ok := v.(string); ok && name != "null" {
				return name
			}
		}
		return "null"
	}
	if _, ok := s["properties"]; ok {
		return "object"
	}
	if _, ok := s["items"]; ok {
		return "array"
	}
	return "string"
}

// numberFor is the number schemaDocument builds for a number or integer schema.
func numberFor(s map[string]any) json.Number {
	if v, ok := s["minimum"].(json.Number); ok {
		return v
	}
	if v, ok := s["exclusiveMinimum"].(json.Number); ok {
		if f, err := v.Float64(); err == nil {
			return json.Number(jsonNumber(f + 1))
		}
	}
	if v, ok := s["maximum"].(json.Number); ok {
		if f, err := v.Float64(); err == nil && f < 1 {
			return v
		}
	}
	return "1"
}

// jsonNumber writes f as JSON.
func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// intOf reads a non-negative integer keyword, or def when it is absent or not one.
func intOf(v any, def int) int {
	n, ok := v.(json.Number)
	if !ok {
		return def
	}
	i, err := n.Int64()
	if err != nil || i < 0 || i > 1000 {
		return def
	}
	return int(i)
}

// resolveRef follows a local reference "#/a/b" (JSON pointer, RFC 6901) within root; any
// other reference, or one that leads nowhere, gives the empty schema.
func resolveRef(root map[string]any, ref string) map[string]any {
	if !strings.HasPrefix(ref, "#") {
		return nil
	}
	cur := any(root)
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#"), "/")[1:] {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, _ := cur.(map[string]any)
		cur = m[tok]
	}
	s, _ := cur.(map[string]any)
	return s
}
