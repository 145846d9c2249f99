// Package jsonscan decodes JSON in one pass straight into the values of a caller's tree (Lua
// tables, Go maps), without the intermediate values of encoding/json. It accepts only
// well-formed JSON in forms whose meaning is plain; anything else (a syntax error, a lone
// UTF-16 surrogate, a number the builder refuses, very deep nesting) makes it give up, and
// the caller decodes that input with encoding/json, which also gives the error. It does not
// check UTF-8: callers check or fall back first.
package jsonscan

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting Scan builds; deeper input is left to encoding/json, which
// has its own limit and error.
const MaxDepth = 10000

// A Builder makes the values of one kind of tree. Object receives an object's members in
// document order (a repeated key appears twice; the later one is meant to win) and Array an
// array's elements; both slices are the scanner's scratch space, valid during the call only,
// and their lengths are the exact sizes to allocate. Number receives the literal and may
// refuse it.
type Builder[V any] interface {
	Null() V
	Bool(b bool) V
	String(s string) V
	Number(literal []byte) (V, bool)
	Object(keys []string, vals []V) V
	Array(vals []V) V
}

// Scan decodes the JSON value data holds (with surrounding white space) and reports whether
// it could.
func Scan[V any, B Builder[V]](data []byte, b B) (V, bool) {
	s := scanner[V, B]{b: b, data: data, keys: make([]string, 0, 16), vals: make([]V, 0, 16)}
	v, ok := s.value()
	if !ok {
		return v, false
	}
	s.space()
	return v, s.i == len(data)
}

type scanner[V any, B Builder[V]] struct {
	b     B
	data  []byte
	i     int
	depth int
	buf   []byte // scratch for strings with escapes
	// skipStrings makes string and key check literals without making strings of them.
	skipStrings bool
	keys        []string // members of the open objects
	vals        []V      // members and elements of the open containers
}

func (s *scanner[V, B]) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner[V, B]) value() (V, bool) {
	var zero V
	s.space()
	if s.i >= len(s.data) {
		return zero, false
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		str, ok := s.string()
		return s.b.String(str), ok
	case c == 't':
		return s.b.Bool(true), s.literal("true")
	case c == 'f':
		return s.b.Bool(false), s.literal("false")
	case c == 'n':
		return s.b.Null(), s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		lit, ok := s.number()
		if !ok {
			return zero, false
		}
		return s.b.Number(lit)
	}
	return zero, false
}

func (s *scanner[V, B]) literal(word string) bool {
	if len(s.data)-s.i < len(word) || string(s.data[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

func (s *scanner[V, B]) object() (V, bool) {
	var zero V
	mark, kmark := len(s.vals), len(s.keys)
	more, ok := s.open('}')
	for ok && more {
		if ok = s.member(); ok {
			more, ok = s.next('}')
		}
	}
	if !ok {
		return zero, false
	}
	v := s.b.Object(s.keys[kmark:], s.vals[mark:])
	clear(s.vals[mark:])
	s.keys, s.vals = s.keys[:kmark], s.vals[:mark]
	return v, true
}

// member reads one member of an object and keeps its name and value.
func (s *scanner[V, B]) member() bool {
	s.space()
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return false
	}
	key, ok := s.key()
	if !ok {
		return false
	}
	s.space()
	if s.i >= len(s.data) || s.data[s.i] != ':' {
		return false
	}
	s.i++
	v, ok := s.value()
	if ok && !s.skipStrings {
		s.keys = append(s.keys, key)
		s.vals = append(s.vals, v)
	}
	return ok
}

func (s *scanner[V, B]) array() (V, bool) {
	var zero V
	mark := len(s.vals)
	more, ok := s.open(']')
	for ok && more {
		var v V
		if v, ok = s.value(); ok {
			if !s.skipStrings {
				s.vals = append(s.vals, v)
			}
			more, ok = s.next(']')
		}
	}
	if !ok {
		return zero, false
	}
	v := s.b.Array(s.vals[mark:])
	clear(s.vals[mark:])
	s.vals = s.vals[:mark]
	return v, true
}

// open enters the object or array whose opening bracket is at s.i and reports whether an
// element comes before its closing bracket; ok is false when the nesting is too deep.
func (s *scanner[V, B]) open(closing byte) (more, ok bool) {
	if s.depth++; s.depth > MaxDepth {
		return false, false
	}
	s.i++
	s.space()
	if s.i < len(s.data) && s.data[s.i] == closing {
		s.i++
		s.depth--
		return false, true
	}
	return true, true
}

// next reads what follows an element: a comma, and more elements, or the closing bracket.
func (s *scanner[V, B]) next(closing byte) (more, ok bool) {
	s.space()
	if s.i >= len(s.data) {
		return false, false
	}
	switch s.data[s.i] {
	case ',':
		s.i++
		return true, true
	case closing:
		s.i++
		s.depth--
		return false, true
	}
	return false, false
}

// string reads a string literal at s.i (the opening quote).
func (s *scanner[V, B]) string() (string, bool) {
	b, end, ok := appendString(s.buf[:0], s.data, s.i)
	if !ok {
		return "", false
	}
	if s.skipStrings {
		s.i = end
		return "", true
	}
	if b == nil {
		str := string(s.data[s.i+1 : end-1])
		s.i = end
		return str, true
	}
	s.buf, s.i = b, end
	return string(b), true
}

// key reads a member name at s.i (the opening quote), without a new string for the names
// that chat completions and their chunks repeat.
func (s *scanner[V, B]) key() (string, bool) {
	if s.skipStrings {
		return s.string()
	}
	if end := bytes.IndexByte(s.data[s.i+1:], '"'); end >= 0 {
		if k, ok := commonKeys[string(s.data[s.i+1:s.i+1+end])]; ok {
			s.i += end + 2
			return k, true
		}
	}
	return s.string()
}

// commonKeys are the member names of chat completions and their chunks.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"id", "object", "created", "model", "system_fingerprint", "choices",
		"index", "delta", "message", "role", "content", "refusal", "name", "finish_reason",
		"logprobs", "tool_calls", "tool_call_id", "type", "function", "arguments", "usage",
		"prompt_tokens", "completion_tokens", "total_tokens", "statistics", "custom_content",
		"attachments", "stages", "state", "title", "url", "status"} {
		m[k] = k
	}
	return m
}()

// ReadString appends the string the JSON string literal starting at data[i] holds to dst and
// returns the index just past the literal; ok is false when no literal in a form Scan
// decodes starts there (and b is dst). It does not check UTF-8.
func ReadString(dst, data []byte, i int) (b []byte, end int, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return dst, 0, false
	}
	b, end, ok = appendString(dst, data, i)
	switch {
	case !ok:
		return dst, 0, false
	case b == nil:
		return append(dst, data[i+1:end-1]...), end, true
	}
	return b, end, true
}

// appendString reads the string literal at data[i] (the opening quote) and returns the index
// just past it. A literal without escapes is not copied: b is nil. Otherwise its decoded
// bytes are appended to buf and returned in b.
func appendString(buf, data []byte, i int) (b []byte, end int, ok bool) {
	start := i + 1
	j := start
	for ; ; j++ {
		if j >= len(data) {
			return nil, 0, false
		}
		c := data[j]
		if c == '"' {
			return nil, j + 1, true
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return nil, 0, false
		}
	}
	b = append(buf, data[start:j]...)
	for j < len(data) {
		c := data[j]
		switch {
		case c == '"':
			return b, j + 1, true
		case c < 0x20:
			return nil, 0, false
		case c != '\\':
			b = append(b, c)
			j++
			continue
		}
		if j+1 >= len(data) {
			return nil, 0, false
		}
		switch e := data[j+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(data, j+2)
			if !ok {
				return nil, 0, false
			}
			j += 6
			if utf16.IsSurrogate(r) {
				// Only a high surrogate followed by a low one is plain; encoding/json decides
				// the rest.
				if j+1 >= len(data) || data[j] != '\\' || data[j+1] != 'u' {
					return nil, 0, false
				}
				low, ok := hex4(data, j+2)
				if !ok {
					return nil, 0, false
				}
				if r = utf16.DecodeRune(r, low); r == utf8.RuneError {
					return nil, 0, false
				}
				j += 6
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return nil, 0, false
		}
		j += 2
	}
	return nil, 0, false
}

// hex4 reads the four hex digits of a \u escape at data[j:].
func hex4(data []byte, j int) (rune, bool) {
	if j+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[j : j+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// Valid reports whether data is JSON in a form Scan decodes, without building anything. Valid
// JSON in other forms (a lone UTF-16 surrogate, very deep nesting) gives false too.
func Valid(data []byte) bool {
	s := scanner[struct{}, noValues]{data: data, skipStrings: true}
	if _, ok := s.value(); !ok {
		return false
	}
	s.space()
	return s.i == len(data)
}

// IsNumber reports whether lit is a JSON number literal.
func IsNumber(lit []byte) bool {
	if len(lit) == 0 {
		return false
	}
	s := scanner[struct{}, noValues]{data: lit}
	_, ok := s.number()
	return ok && s.i == len(lit)
}

// noValues builds nothing, for scanning without values.
type noValues struct{}

func (noValues) Null() struct{}                                 { return struct{}{} }
func (noValues) Bool(bool) struct{}                             { return struct{}{} }
func (noValues) String(string) struct{}                         { return struct{}{} }
func (noValues) Number([]byte) (struct{}, bool)                 { return struct{}{}, true }
func (noValues) Object(keys []string, vals []struct{}) struct{} { return struct{}{} }
func (noValues) Array(vals []struct{}) struct{}                 { return struct{}{} }

// number reads a number literal by JSON's grammar and returns it.
func (s *scanner[V, B]) number() ([]byte, bool) {
	start := s.i
	digits := func() int {
		n := 0
		for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.data[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.data) && s.data[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return nil, false
	}
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return s.data[start:s.i], true
}
