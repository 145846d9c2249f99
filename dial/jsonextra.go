package dial

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/dialua/dialua/internal/jsonscan"
)

// The wire types of this package keep the members they do not declare in an Extra map, so a
// value decoded from the server and encoded again loses nothing. The helpers below implement
// that for any struct: decode the declared fields with encoding/json, then walk the object's
// top-level members once and copy the undeclared ones. wire_gen.go, written by gen_wire.go,
// hooks the plain types into them; types with more to encode write their methods by hand.

//go:generate go run gen_wire.go -o wire_gen.go

// fieldSet is the set of JSON member names a struct type declares.
type fieldSet map[string]struct{}

// jsonFields returns the member names encoding/json uses for the exported fields of struct
// type T, including fields promoted from embedded structs. It runs once per type, at package
// initialisation.
func jsonFields[T any]() fieldSet {
	set := fieldSet{}
	collectFields(reflect.TypeFor[T](), set)
	return set
}

func collectFields(t reflect.Type, set fieldSet) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, set)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		set[name] = struct{}{}
	}
}

// unmarshalExtra decodes the JSON object data into v (a pointer to a method-less alias of the
// real type) and stores in *extra a copy of every member whose name known does not contain.
// *extra is set to nil when there are none. JSON null leaves v and *extra untouched. It
// reads data in one pass (see [decodeObject]); input that pass refuses is decoded again by
// [unmarshalExtraSlow], so that the error is encoding/json's.
func unmarshalExtra(data []byte, v any, extra *map[string]json.RawMessage, known fieldSet) error {
	if referenceDecode.Load() {
		return unmarshalExtraSlow(data, v, extra, known)
	}
	found, err := decodeObject(data, reflect.ValueOf(v).Elem())
	if err != nil {
		return unmarshalExtraSlow(data, v, extra, known)
	}
	if isNull(data) {
		return nil
	}
	if found != nil || *extra != nil {
		*extra = found
	}
	return nil
}

// unmarshalExtraSlow is unmarshalExtra with encoding/json and a second walk for the
// undeclared members: the reference behaviour, and the errors.
func unmarshalExtraSlow(data []byte, v any, extra *map[string]json.RawMessage, known fieldSet) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	var found map[string]json.RawMessage
	err := eachMember(data, func(key, val []byte) {
		if _, ok := known[string(key)]; ok {
			return
		}
		if found == nil {
			found = map[string]json.RawMessage{}
		}
		found[string(key)] = bytes.Clone(val)
	})
	if err != nil {
		return err
	}
	if found != nil || *extra != nil {
		*extra = found
	}
	return nil
}

// marshalExtra encodes v (a method-less alias value) and adds the members of extra. A member
// of extra whose name is also a declared field replaces that field's value, so callers can
// override anything. Extra members are written in sorted order.
func marshalExtra(v any, extra map[string]json.RawMessage, known fieldSet) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(extra))
	override := false
	for k, raw := range extra {
		if !json.Valid(raw) {
			return nil, fmt.Errorf("dial: extra field %q is not valid JSON", k)
		}
		if _, ok := known[k]; ok {
			override = true
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if override {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		for k, raw := range extra {
			m[k] = raw
		}
		return json.Marshal(m)
	}
	out := make([]byte, 0, len(b)+64*len(keys))
	out = append(out, b[:len(b)-1]...)
	for _, k := range keys {
		if out[len(out)-1] != '{' {
			out = append(out, ',')
		}
		kb, _ := json.Marshal(k)
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, extra[k]...)
	}
	return append(out, '}'), nil
}

// eachMember calls fn with the name and the raw value of each top-level member of the JSON
// object data, in order. data must be valid JSON (callers have decoded it already); a value
// that is not an object has no members. key and val alias data (or a scratch buffer for an
// escaped name) and are valid during the call only.
func eachMember(data []byte, fn func(key, val []byte)) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil
	}
	i++
	for {
		i = skipSpace(data, i)
		if i >= len(data) {
			return errMalformedObject
		}
		if data[i] == '}' {
			return nil
		}
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		end := skipString(data, i)
		if end < 0 {
			return errMalformedObject
		}
		rawKey := data[i:end]
		key := rawKey[1 : len(rawKey)-1]
		if bytes.IndexByte(rawKey, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(rawKey, &s); err != nil {
				return err
			}
			key = []byte(s)
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return errMalformedObject
		}
		i = skipSpace(data, i+1)
		vend := skipValue(data, i)
		if vend < 0 {
			return errMalformedObject
		}
		fn(key, data[i:vend])
		i = vend
	}
}

var errMalformedObject = fmt.Errorf("dial: malformed JSON object")

// mayName reports whether the JSON text data may have a member called name (written plainly
// or with \u escapes): a quick look that spares a walk of data when it cannot.
func mayName(data []byte, name string) bool {
	return bytes.Contains(data, []byte(name)) || bytes.Contains(data, []byte(`\u`))
}

// validJSON is json.Valid, mostly by the faster scanner (which refuses some valid JSON that
// encoding/json then accepts).
func validJSON(data []byte) bool {
	return jsonscan.Valid(data) || json.Valid(data)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the JSON string starting at b[i], or -1.
func skipString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index just past the JSON value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end := skipString(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	default:
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
		}
		return i
	}
}

// isNull reports whether raw is absent or the JSON literal null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}
