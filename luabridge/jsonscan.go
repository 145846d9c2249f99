package luabridge

import (
	"unicode/utf16"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// maxScanDepth is the deepest nesting the scanner builds; deeper input goes to encoding/json,
// which has its own limit and error.
const maxScanDepth = 10000

// scanner decodes JSON straight into Lua values, without the intermediate Go values of
// encoding/json: it is the fast path of [FromJSON] for the responses and stream chunks a
// script receives. It accepts only well-formed JSON in forms whose meaning is plain; anything
// else (a syntax error, a lone UTF-16 surrogate, a number out of range, very deep nesting)
// makes it give up, and FromJSON decodes that input with encoding/json, which also gives
// the error. Both paths build the same values by the same rules.
type scanner struct {
	d     *decoder
	data  []byte
	i     int
	depth int
	buf   []byte // scratch for strings with escapes
}

// scan decodes data, which must be valid UTF-8, and reports whether it could.
func (d *decoder) scan(data []byte) (lua.LValue, bool) {
	s := scanner{d: d, data: data}
	v, ok := s.value()
	if !ok {
		return nil, false
	}
	s.space()
	return v, s.i == len(data)
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value() (lua.LValue, bool) {
	s.space()
	if s.i >= len(s.data) {
		return nil, false
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		str, ok := s.string()
		return lua.LString(str), ok
	case c == 't':
		return lua.LTrue, s.literal("true")
	case c == 'f':
		return lua.LFalse, s.literal("false")
	case c == 'n':
		return s.d.null, s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return nil, false
}

func (s *scanner) literal(word string) bool {
	if len(s.data)-s.i < len(word) || string(s.data[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

func (s *scanner) object() (lua.LValue, bool) {
	t := s.d.L.CreateTable(0, 4)
	t.Metatable = s.d.objectMT
	ok := s.elements('}', func(int) bool {
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return false
		}
		key, ok := s.string()
		if !ok {
			return false
		}
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return false
		}
		s.i++
		v, ok := s.value()
		if ok {
			t.RawSetString(key, v)
		}
		return ok
	})
	return t, ok
}

func (s *scanner) array() (lua.LValue, bool) {
	t := s.d.L.CreateTable(4, 0)
	t.Metatable = s.d.arrayMT
	ok := s.elements(']', func(n int) bool {
		v, ok := s.value()
		if ok {
			t.RawSetInt(n, v)
		}
		return ok
	})
	return t, ok
}

// elements reads the comma-separated elements of an object or array, from its opening
// bracket at s.i to the closing one, calling elem with the 1-based position of each; it
// reports whether the container was well formed.
func (s *scanner) elements(closing byte, elem func(n int) bool) bool {
	if s.depth++; s.depth > maxScanDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++ // the opening bracket
	s.space()
	if s.i < len(s.data) && s.data[s.i] == closing {
		s.i++
		return true
	}
	for n := 1; ; n++ {
		if !elem(n) {
			return false
		}
		s.space()
		if s.i >= len(s.data) {
			return false
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case closing:
			s.i++
			return true
		default:
			return false
		}
	}
}

// string reads a string literal at s.i (the opening quote).
func (s *scanner) string() (string, bool) {
	start := s.i + 1
	for j := start; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '"':
			s.i = j + 1
			return string(s.data[start:j]), true
		case c == '\\':
			return s.escaped(start, j)
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// escaped finishes a string literal that has an escape at j, decoding into the scratch
// buffer.
func (s *scanner) escaped(start, j int) (string, bool) {
	b := append(s.buf[:0], s.data[start:j]...)
	for j < len(s.data) {
		c := s.data[j]
		switch {
		case c == '"':
			s.i = j + 1
			s.buf = b
			return string(b), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			j++
			continue
		}
		if j+1 >= len(s.data) {
			return "", false
		}
		switch e := s.data[j+1]; e {
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
			r, ok := s.hex4(j + 2)
			if !ok {
				return "", false
			}
			j += 6
			if utf16.IsSurrogate(r) {
				// Only a high surrogate followed by a low one is plain; encoding/json decides
				// the rest.
				if j+1 >= len(s.data) || s.data[j] != '\\' || s.data[j+1] != 'u' {
					return "", false
				}
				low, ok := s.hex4(j + 2)
				if !ok {
					return "", false
				}
				if r = utf16.DecodeRune(r, low); r == utf8.RuneError {
					return "", false
				}
				j += 6
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

// hex4 reads the four hex digits of a \u escape at j.
func (s *scanner) hex4(j int) (rune, bool) {
	if j+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[j : j+4] {
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

// number reads a number literal by JSON's grammar and converts it as [numberValue] does.
func (s *scanner) number() (lua.LValue, bool) {
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
	v, err := numberValue(string(s.data[start:s.i]))
	return v, err == nil
}
