package dial

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/dialua/dialua/internal/jsonscan"
)

// The fast path of the chat merge takes the usual chunk, which only updates what the merged
// tree already has (contents and tool call arguments grow, ids and finish_reason are set
// again), straight from its bytes, without a tree of its own. It plans every change first,
// checking the chunk as strictly as encoding/json would, and changes nothing when the chunk
// needs anything else (a new member or array element, values of other kinds, duplicate
// names, escapes it does not decode, invalid UTF-8): the general merge then takes the
// chunk and gives the same result, or the error.

// fastOp is one planned change of the tree.
type fastOp struct {
	kind  fastOpKind
	obj   map[string]any
	key   string // the member a new value takes
	b     *mergedString
	start int // the decoded string, in the merger's scratch, or the literal, in the chunk
	end   int
	lit   []byte
}

type fastOpKind uint8

const (
	opAppend    fastOpKind = iota // b grows by the string
	opReplace                     // b becomes the string
	opNewString                   // obj[key] becomes a mergedString holding the string
	opNumber                      // obj[key] becomes the number lit
	opBool                        // obj[key] becomes the boolean lit
	opNull                        // obj[key] appears, as null
)

// fastMergeChat merges the chat chunk data into tree as mergeChatChunk would, and reports
// whether it could (see above); when it could not, tree is as it was.
func (m *merger) fastMergeChat(tree map[string]any, data []byte) bool {
	if len(tree) == 0 {
		return false
	}
	m.ops, m.scratch = m.ops[:0], m.scratch[:0]
	end := m.planObject(tree, data, skipSpace(data, 0), planTop)
	ok := end >= 0 && skipSpace(data, end) == len(data)
	if ok {
		m.apply()
	}
	clear(m.ops) // the ops refer to the tree and the chunk
	return ok
}

// planLevel says which of mergeChatChunk's rules apply to an object's members.
type planLevel uint8

const (
	planNested planLevel = iota // the general rule
	planTop                     // the chunk: strings replace, "object" is set afterwards
	planChoice                  // a choice: "delta" merges into "message"
)

// messageKey is where a choice's "delta" merges.
var messageKey = []byte("message")

// The planners read the value starting at data[i] (no space before it) in one pass and
// return the index just past it, or -1 when the fast path does not take it.

// planObject plans the merge of the object at data[i] into dst.
func (m *merger) planObject(dst map[string]any, data []byte, i int, level planLevel) int {
	i, more := openPlain(data, i, '{', '}')
	if !more {
		return i
	}
	var seen [16][]byte
	for n := 0; ; n++ {
		key, end := plainKey(data, i)
		if end < 0 || n == len(seen) {
			return -1
		}
		for _, k := range seen[:n] {
			if bytes.Equal(k, key) {
				return -1
			}
		}
		seen[n] = key
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return -1
		}
		if i = skipSpace(data, i+1); i >= len(data) {
			return -1
		}
		switch {
		case level == planTop && string(key) == "object" && data[i] == '"':
			i = m.checkString(data, i)
		case level == planChoice && string(key) == "message":
			return -1
		case level == planChoice && string(key) == "delta":
			i = m.planMember(dst, messageKey, data, i, level, false)
		default:
			i = m.planMember(dst, key, data, i, level, level == planTop && string(key) == "choices")
		}
		if i, more = nextPlain(data, i, '}'); !more {
			return i
		}
	}
}

// openPlain reads the opening of the object or array at data[i] and returns the index of
// its first member or element (more), or the index just past it when it is empty, or -1.
func openPlain(data []byte, i int, open, close byte) (int, bool) {
	if i >= len(data) || data[i] != open {
		return -1, false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == close {
		return i + 1, false
	}
	return i, true
}

// nextPlain reads what follows a member or element that ends at end (-1: none): a ',' and
// the index of the next one (more), or close and the index just past it, or -1.
func nextPlain(data []byte, end int, close byte) (int, bool) {
	if end < 0 {
		return -1, false
	}
	i := skipSpace(data, end)
	switch {
	case i >= len(data):
		return -1, false
	case data[i] == ',':
		return skipSpace(data, i+1), true
	case data[i] == close:
		return i + 1, false
	}
	return -1, false
}

// plainKey reads the member name at data[i]: the name and the index just past it, or -1 for
// a name the fast path does not take (escaped, with control characters, invalid UTF-8).
func plainKey(data []byte, i int) ([]byte, int) {
	if i >= len(data) || data[i] != '"' {
		return nil, -1
	}
	ascii := true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			key := data[i+1 : j]
			if !ascii && !utf8.Valid(key) {
				return nil, -1
			}
			return key, j + 1
		case c < 0x20 || c == '\\':
			return nil, -1
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, -1
}

// planMember plans the merge of the member key, whose value is at data[i], into dst.
func (m *merger) planMember(dst map[string]any, key, data []byte, i int, level planLevel, choices bool) int {
	cur, has := dst[string(key)]
	switch data[i] {
	case '"':
		start := len(m.scratch)
		end := m.decodeString(data, i)
		if end < 0 {
			return -1
		}
		op := fastOp{start: start, end: len(m.scratch)}
		switch b := cur.(type) {
		case nil:
			op.kind, op.obj, op.key = opNewString, dst, string(key)
		case *mergedString:
			op.b, op.kind = b, opAppend
			if level == planTop || chatOverwrite(string(key)) {
				op.kind = opReplace
			}
		default:
			return -1
		}
		m.ops = append(m.ops, op)
		return end
	case '{':
		obj, isObj := cur.(map[string]any)
		if !isObj {
			return -1
		}
		return m.planObject(obj, data, i, planNested)
	case '[':
		arr, isArr := cur.([]any)
		if !isArr {
			return -1
		}
		return m.planArray(arr, data, i, choices)
	}
	end := skipValue(data, i)
	if end <= i {
		return -1
	}
	val := data[i:end]
	switch val[0] {
	case 'n':
		if string(val) != "null" {
			return -1
		}
		if !has {
			m.ops = append(m.ops, fastOp{kind: opNull, obj: dst, key: string(key)})
		}
		return end
	case 't', 'f':
		if string(val) != "true" && string(val) != "false" {
			return -1
		}
		switch c := cur.(type) {
		case nil:
		case bool:
			if c == (val[0] == 't') {
				return end
			}
		default:
			return -1
		}
		m.ops = append(m.ops, fastOp{kind: opBool, obj: dst, key: string(key), lit: val})
		return end
	}
	if !jsonscan.IsNumber(val) {
		return -1
	}
	switch c := cur.(type) {
	case nil:
	case json.Number:
		if string(c) == string(val) {
			return end
		}
	default:
		return -1
	}
	m.ops = append(m.ops, fastOp{kind: opNumber, obj: dst, key: string(key), lit: val})
	return end
}

// planArray plans the merge of the array at data[i] into dst: only indexed elements whose
// slots dst has already.
func (m *merger) planArray(dst []any, data []byte, i int, choices bool) int {
	for _, e := range dst {
		obj, isObj := e.(map[string]any)
		if !isObj {
			return -1
		}
		if _, has := obj["index"]; !has {
			return -1
		}
	}
	level := planNested
	if choices {
		level = planChoice
	}
	i, more := openPlain(data, i, '[', ']')
	for more {
		idx := elementIndex(data, i)
		if idx < 0 || idx >= len(dst) {
			return -1
		}
		i, more = nextPlain(data, m.planObject(dst[idx].(map[string]any), data, i, level), ']')
	}
	return i
}

// elementIndex returns the "index" member of the object at data[i] when it is a plain
// integer of up to six digits, else -1. (A repeated or escaped name makes planObject refuse
// the element.)
func elementIndex(data []byte, i int) int {
	i, more := openPlain(data, i, '{', '}')
	for more {
		key, end := plainKey(data, i)
		if end < 0 {
			return -1
		}
		if i = skipSpace(data, end); i >= len(data) || data[i] != ':' {
			return -1
		}
		i = skipSpace(data, i+1)
		vend := skipValue(data, i)
		if vend <= i {
			return -1
		}
		if string(key) == "index" {
			if val := data[i:vend]; plainInteger(val) && len(val) <= 6 {
				return atoiPlain(val)
			}
			return -1
		}
		i, more = nextPlain(data, vend, '}')
	}
	return -1
}

// atoiPlain converts a short plain integer literal.
func atoiPlain(val []byte) int {
	n := 0
	for _, c := range val {
		if c == '-' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// checkString checks the string literal at data[i] as decodeString does, keeping nothing.
func (m *merger) checkString(data []byte, i int) int {
	start := len(m.scratch)
	end := m.decodeString(data, i)
	m.scratch = m.scratch[:start]
	return end
}

// decodeString appends the string the literal at data[i] holds to the scratch buffer, when it
// is valid UTF-8.
func (m *merger) decodeString(data []byte, i int) int {
	start := len(m.scratch)
	b, end, ok := jsonscan.ReadString(m.scratch, data, i)
	if !ok || !utf8.Valid(b[start:]) {
		return -1
	}
	m.scratch = b
	return end
}

// apply makes the planned changes.
func (m *merger) apply() {
	for _, op := range m.ops {
		s := m.scratch[op.start:op.end]
		switch op.kind {
		case opAppend:
			op.b.Write(s)
		case opReplace:
			if op.b.String() != string(s) {
				op.b.Reset()
				op.b.Write(s)
			}
		case opNewString:
			op.obj[op.key] = newMergedString(string(s))
		case opNumber:
			op.obj[op.key] = json.Number(op.lit)
		case opBool:
			op.obj[op.key] = op.lit[0] == 't'
		case opNull:
			op.obj[op.key] = nil
		}
	}
}
