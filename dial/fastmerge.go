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
	ok := m.planObject(tree, data, planTop)
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

// planObject plans the merge of the object data into dst.
func (m *merger) planObject(dst map[string]any, data []byte, level planLevel) bool {
	var seen [16][]byte
	n := 0
	ok := true
	err := members(data, func(key, val []byte) error {
		if !ok || n == len(seen) || bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
			ok = false
			return nil
		}
		for _, k := range seen[:n] {
			if bytes.Equal(k, key) {
				ok = false
				return nil
			}
		}
		seen[n] = key
		n++
		target := key
		switch level {
		case planTop:
			if string(key) == "object" && len(val) > 0 && val[0] == '"' {
				ok = m.checkString(val)
				return nil
			}
		case planChoice:
			switch string(key) {
			case "message":
				ok = false
				return nil
			case "delta":
				target = []byte("message")
			}
		}
		ok = m.planMember(dst, target, val, level, string(key) == "choices" && level == planTop)
		return nil
	})
	return ok && err == nil
}

// planMember plans the merge of the member key: val into dst.
func (m *merger) planMember(dst map[string]any, key, val []byte, level planLevel, choices bool) bool {
	cur, has := dst[string(key)]
	switch val[0] {
	case '"':
		start := len(m.scratch)
		if !m.decodeString(val) {
			return false
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
			return false
		}
		m.ops = append(m.ops, op)
		return true
	case '{':
		obj, isObj := cur.(map[string]any)
		if !isObj {
			return false
		}
		return m.planObject(obj, val, planNested)
	case '[':
		arr, isArr := cur.([]any)
		if !isArr {
			return false
		}
		return m.planArray(arr, val, choices)
	case 'n':
		if string(val) != "null" {
			return false
		}
		if !has {
			m.ops = append(m.ops, fastOp{kind: opNull, obj: dst, key: string(key)})
		}
		return true
	case 't', 'f':
		if string(val) != "true" && string(val) != "false" {
			return false
		}
		switch c := cur.(type) {
		case nil:
		case bool:
			if c == (val[0] == 't') {
				return true
			}
		default:
			return false
		}
		m.ops = append(m.ops, fastOp{kind: opBool, obj: dst, key: string(key), lit: val})
		return true
	}
	if !jsonscan.IsNumber(val) {
		return false
	}
	switch c := cur.(type) {
	case nil:
	case json.Number:
		if string(c) == string(val) {
			return true
		}
	default:
		return false
	}
	m.ops = append(m.ops, fastOp{kind: opNumber, obj: dst, key: string(key), lit: val})
	return true
}

// planArray plans the merge of the array data into dst: only indexed elements whose slots
// dst has already.
func (m *merger) planArray(dst []any, data []byte, choices bool) bool {
	for _, e := range dst {
		obj, isObj := e.(map[string]any)
		if !isObj {
			return false
		}
		if _, has := obj["index"]; !has {
			return false
		}
	}
	ok := true
	err := elements(data, func(elem []byte) error {
		if !ok {
			return nil
		}
		idx, found := -1, false
		_ = members(elem, func(key, val []byte) error {
			if string(key) == "index" {
				found = plainInteger(val) && len(val) <= 6
				if found {
					idx = atoiPlain(val)
				}
			}
			return nil
		})
		if !found || idx < 0 || idx >= len(dst) {
			ok = false
			return nil
		}
		level := planNested
		if choices {
			level = planChoice
		}
		ok = m.planObject(dst[idx].(map[string]any), elem, level)
		return nil
	})
	return ok && err == nil
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

// checkString reports whether val is a string literal the fast path takes.
func (m *merger) checkString(val []byte) bool {
	start := len(m.scratch)
	ok := m.decodeString(val)
	m.scratch = m.scratch[:start]
	return ok
}

// decodeString appends the string literal val holds to the scratch buffer.
func (m *merger) decodeString(val []byte) bool {
	start := len(m.scratch)
	b, ok := jsonscan.AppendString(m.scratch, val)
	if !ok || !utf8.Valid(b[start:]) {
		return false
	}
	m.scratch = b
	return true
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
