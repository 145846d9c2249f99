package dial

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dialua/dialua/internal/jsonscan"
)

// DIAL's merge rule (DIAL Core's MergeChunks, a port of aidial-sdk's merge_chunks) builds one
// JSON value from the chunks of a stream:
//
//   - objects merge member by member;
//   - strings concatenate; numbers and booleans take the later value;
//   - null on either side yields the other side;
//   - arrays whose elements are all objects with an "index" merge element by element, by
//     index, with missing slots filled by {"index": i}; an array without indices may appear
//     only once (or be empty), and an array mixing both kinds is an error;
//   - values of different kinds (a string and a number, say) are an error;
//   - in the result, "index" is removed from objects that are array elements.
//
// The merge works on a tree of Go values: nil, bool, json.Number, *mergedString (strings,
// so that concatenation is amortised O(1)), map[string]any and []any.

// maxMergeIndex bounds the "index" of an array element, so a hostile chunk cannot make the
// merge allocate an enormous array.
const maxMergeIndex = 1 << 16

// MergeChunks merges chunks by DIAL's merge rule and returns the result with the "index"
// members of array elements removed. It returns an error matching [ErrParse] when a chunk is
// not JSON or the chunks cannot be merged (a string followed by a number at the same path,
// two non-indexed arrays, an array mixing indexed and non-indexed elements). No chunk gives
// JSON null.
func MergeChunks(chunks ...json.RawMessage) (json.RawMessage, error) {
	var tree any
	var m merger
	for i, ch := range chunks {
		v, err := decodeTree(ch)
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d: %w", ErrParse, i, err)
		}
		if tree, err = m.merge(tree, v); err != nil {
			return nil, err
		}
	}
	return encodeTree(tree, false), nil
}

// merger applies the merge rule; overwrite names members whose strings replace instead of
// concatenating (identifiers and enumerations that OpenAI-compatible servers repeat in every
// chunk). path is where the merge is, from the root "$": it is spelled out only for an
// error.
type merger struct {
	overwrite func(key string) bool
	path      []pathStep
	ops       []fastOp // the fast path's plan (see fastMergeChat)
	scratch   []byte   // the strings of the plan
}

// pathStep is a member name, or an array index when index >= 0.
type pathStep struct {
	key   string
	index int
}

func (m *merger) enterKey(key string) { m.path = append(m.path, pathStep{key: key, index: -1}) }
func (m *merger) enterIndex(i int)    { m.path = append(m.path, pathStep{index: i}) }
func (m *merger) leave()              { m.path = m.path[:len(m.path)-1] }

// mergeError reports chunks that cannot be merged at the current path, as "$.a.b[2]".
func (m *merger) mergeError(format string, args ...any) error {
	var b strings.Builder
	b.WriteString("$")
	for _, s := range m.path {
		if s.index >= 0 {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		} else {
			b.WriteString("." + s.key)
		}
	}
	return fmt.Errorf("%w: cannot merge chunks at %s: %s", ErrParse, b.String(), fmt.Sprintf(format, args...))
}

// merge merges src into dst and returns the new dst. src must be owned by the merge (freshly
// decoded): it is adopted into the tree.
func (m *merger) merge(dst, src any) (any, error) {
	if src == nil {
		return dst, nil
	}
	if dst == nil {
		// Objects and arrays are built by merging into empty ones, so that indexed elements
		// land at their index and inconsistent arrays are refused from the first chunk on.
		switch src.(type) {
		case map[string]any:
			dst = map[string]any{}
		case []any:
			dst = []any{}
		default:
			return adopt(src), nil
		}
	}
	switch s := src.(type) {
	case map[string]any:
		d, ok := dst.(map[string]any)
		if !ok {
			return nil, m.mergeError("an object into %s", kindOf(dst))
		}
		var buf [8]string
		for _, k := range appendSortedKeys(buf[:0], s) {
			if sv, ok := s[k].(string); ok && m.overwrite != nil && m.overwrite(k) && replaceString(d, k, sv) {
				continue
			}
			m.enterKey(k)
			nv, err := m.merge(d[k], s[k])
			if err != nil {
				return nil, err
			}
			m.leave()
			d[k] = nv
		}
		return d, nil
	case string:
		d, ok := dst.(*mergedString)
		if !ok {
			return nil, m.mergeError("a string into %s", kindOf(dst))
		}
		d.WriteString(s)
		return d, nil
	case json.Number:
		if _, ok := dst.(json.Number); !ok {
			return nil, m.mergeError("a number into %s", kindOf(dst))
		}
		return s, nil
	case bool:
		if _, ok := dst.(bool); !ok {
			return nil, m.mergeError("a boolean into %s", kindOf(dst))
		}
		return s, nil
	case []any:
		d, ok := dst.([]any)
		if !ok {
			return nil, m.mergeError("an array into %s", kindOf(dst))
		}
		return m.mergeArrays(d, s)
	}
	return nil, m.mergeError("unexpected value %T", src)
}

func (m *merger) mergeArrays(dst, src []any) (any, error) {
	if len(src) == 0 {
		return dst, nil
	}
	srcIndexed, err := m.indexedArray(src)
	if err != nil {
		return nil, err
	}
	// A non-indexed array is a value that arrives whole: it may fill an empty slot once.
	if !srcIndexed {
		if len(dst) == 0 {
			return adopt(src), nil
		}
		return nil, m.mergeError("two non-indexed non-empty arrays")
	}
	if len(dst) > 0 {
		dstIndexed, err := m.indexedArray(dst)
		if err != nil {
			return nil, err
		}
		if !dstIndexed {
			return nil, m.mergeError("an indexed array into a non-indexed array")
		}
	}
	// Indexed elements merge into the slot their index names; gaps are filled with
	// placeholders that later chunks may complete (DIAL Core's "forward gap" case).
	for _, e := range src {
		obj := e.(map[string]any)
		idx, err := m.elementIndex(obj)
		if err != nil {
			return nil, err
		}
		for len(dst) <= idx {
			dst = append(dst, map[string]any{"index": json.Number(strconv.Itoa(len(dst)))})
		}
		m.enterIndex(idx)
		nv, err := m.merge(dst[idx], obj)
		if err != nil {
			return nil, err
		}
		m.leave()
		dst[idx] = nv
	}
	return dst, nil
}

// indexedArray reports whether every element of a is an object with an "index", false when
// none is, and an error when some are.
func (m *merger) indexedArray(a []any) (bool, error) {
	n := 0
	for _, e := range a {
		if obj, ok := e.(map[string]any); ok {
			if _, has := obj["index"]; has {
				n++
			}
		}
	}
	if n != 0 && n != len(a) {
		return false, m.mergeError("all elements of an array must be either indexed or not indexed")
	}
	return n > 0, nil
}

func (m *merger) elementIndex(obj map[string]any) (int, error) {
	num, ok := obj["index"].(json.Number)
	if !ok {
		return 0, m.mergeError("index is not a number")
	}
	idx, err := strconv.Atoi(string(num))
	if err != nil || idx < 0 || idx > maxMergeIndex {
		return 0, m.mergeError("index %s is not an integer in 0..%d", num, maxMergeIndex)
	}
	return idx, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case *mergedString, string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	}
	return "null"
}

// mergedString is a string of the tree, growing as chunks arrive. A short string grows as a
// strings.Builder does. Past spillAt bytes, until it is first read, its text goes to
// textBlocks, which never copy it while it grows and hold it outside the Go heap where they
// can; String joins the blocks into one string of the exact length, giving each block back
// as soon as it is copied, so that a long answer costs about once its length at any time.
// Once joined, the string grows in its one buffer, as a strings.Builder does, so that
// reading it again and again while it grows (a stream's response so far) costs no more.
type mergedString struct {
	cur    strings.Builder // a short string, or a long one once joined
	spill  *textBlocks     // a long string's text before it is joined (see spilled)
	joined bool            // String has joined a long string: it grows in cur from then on
}

// spillAt is the length past which a string not read yet goes to blocks.
const spillAt = 64 << 10

func newMergedString(s string) *mergedString {
	b := &mergedString{}
	b.WriteString(s)
	return b
}

// spilled reports whether the text is in b.spill.
func (b *mergedString) spilled() bool { return b.spill != nil && b.spill.n > 0 }

// WriteString appends s.
func (b *mergedString) WriteString(s string) {
	if b.short(len(s)) {
		b.cur.WriteString(s)
		return
	}
	writeLong(b, s)
}

// Write appends p.
func (b *mergedString) Write(p []byte) {
	if b.short(len(p)) {
		b.cur.Write(p)
		return
	}
	writeLong(b, p)
}

// short reports whether n more bytes go to cur.
func (b *mergedString) short(n int) bool {
	return !b.spilled() && (b.joined || b.cur.Len()+n <= spillAt)
}

// writeLong appends p to the blocks, moving the text there first when it is not yet.
func writeLong[T string | []byte](b *mergedString, p T) {
	if !b.spilled() {
		if b.spill == nil {
			// The blocks of a string dropped before it is read are given back when it is
			// collected.
			b.spill = &textBlocks{}
			runtime.AddCleanup(b, (*textBlocks).release, b.spill)
		}
		writeBlocks(b.spill, b.cur.String())
		b.cur = strings.Builder{}
	}
	writeBlocks(b.spill, p)
}

// Len returns the length of the string.
func (b *mergedString) Len() int {
	if b.spilled() {
		return b.spill.n
	}
	return b.cur.Len()
}

// Reset empties the string.
func (b *mergedString) Reset() {
	if b.spill != nil {
		b.spill.release()
	}
	b.cur.Reset()
	b.joined = false
}

// String returns the string, which shares b's memory: the blocks of a long string are
// joined, once, into a single buffer that further writes extend.
func (b *mergedString) String() string {
	if b.spilled() {
		b.joined = true
		b.spill.joinInto(&b.cur)
	}
	return b.cur.String()
}

// adopt converts a freshly decoded value into tree form, in place: strings become
// mergedStrings.
func adopt(v any) any {
	switch t := v.(type) {
	case string:
		return newMergedString(t)
	case map[string]any:
		for k, e := range t {
			t[k] = adopt(e)
		}
	case []any:
		for i, e := range t {
			t[i] = adopt(e)
		}
	}
	return v
}

// replaceString sets obj[key] to the string s, unless obj[key] holds a value of another
// kind; it reports whether it did. A mergedString holding s already is kept as it is.
func replaceString(obj map[string]any, key, s string) bool {
	switch b := obj[key].(type) {
	case nil:
		obj[key] = newMergedString(s)
	case *mergedString:
		if b.String() != s {
			b.Reset()
			b.WriteString(s)
		}
	default:
		return false
	}
	return true
}

// appendSortedKeys appends the keys of m to keys, sorted.
func appendSortedKeys(keys []string, m map[string]any) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// decodeTree decodes JSON with numbers kept as json.Number: in one pass with
// [jsonscan.Scan] when it can, else (unusual forms, invalid UTF-8, errors) with
// encoding/json, which gives the same values and the error.
func decodeTree(b []byte) (any, error) {
	if utf8.Valid(b) {
		if v, ok := jsonscan.Scan[any](b, treeBuilder{}); ok {
			return v, nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

// encodeTree encodes a tree with object members in sorted order, removing "index" from
// objects that are array elements. With chat set, the elements of the top-level "choices"
// array keep their index, as a chat completion's choices do.
func encodeTree(v any, chat bool) json.RawMessage {
	var buf bytes.Buffer
	buf.Grow(treeSize(v))
	enc := treeEncoder{buf: &buf, chat: chat}
	enc.value(v, false, false, true)
	return buf.Bytes()
}

type treeEncoder struct {
	buf   *bytes.Buffer
	piece bytes.Buffer // one piece of a string, encoded
	chat  bool
	str   *json.Encoder
}

// value encodes v. dropIndex removes v's own "index" member (v is an array element);
// keepElemIndex keeps the "index" of v's elements (v is a chat response's choices).
func (e *treeEncoder) value(v any, dropIndex, keepElemIndex, top bool) {
	switch t := v.(type) {
	case nil:
		e.buf.WriteString("null")
	case bool:
		e.buf.WriteString(strconv.FormatBool(t))
	case json.Number:
		e.buf.WriteString(string(t))
	case *mergedString:
		e.string(t.String())
	case string:
		e.string(t)
	case []any:
		e.buf.WriteByte('[')
		for i, el := range t {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.value(el, !keepElemIndex, false, false)
		}
		e.buf.WriteByte(']')
	case map[string]any:
		e.buf.WriteByte('{')
		first := true
		var buf [8]string
		for _, k := range appendSortedKeys(buf[:0], t) {
			if dropIndex && k == "index" {
				continue
			}
			if !first {
				e.buf.WriteByte(',')
			}
			first = false
			e.string(k)
			e.buf.WriteByte(':')
			e.value(t[k], false, top && e.chat && k == "choices", false)
		}
		e.buf.WriteByte('}')
	}
}

// treeSize estimates the length of a tree's encoding (exactly, when no string needs an
// escape), so that a long answer is encoded without the buffer growing.
func treeSize(v any) int {
	switch t := v.(type) {
	case *mergedString:
		return t.Len() + 2
	case string:
		return len(t) + 2
	case json.Number:
		return len(t)
	case []any:
		n := 2
		for _, e := range t {
			n += treeSize(e) + 1
		}
		return n
	case map[string]any:
		n := 2
		for k, e := range t {
			n += len(k) + 4 + treeSize(e)
		}
		return n
	}
	return 5 // null, true, false
}

// stringPiece is the most of a string encoded at once: the encoder builds each piece's
// encoding in a buffer of its own before copying it.
const stringPiece = 64 << 10

func (e *treeEncoder) string(s string) {
	if e.str == nil {
		e.str = json.NewEncoder(&e.piece)
		e.str.SetEscapeHTML(false)
	}
	e.buf.WriteByte('"')
	for len(s) > 0 {
		// Pieces end where a character starts, so every character is encoded whole.
		n := min(len(s), stringPiece)
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		e.piece.Reset()
		_ = e.str.Encode(s[:n])
		p := e.piece.Bytes()
		e.buf.Write(p[1 : len(p)-2]) // without the quotes and Encode's newline
		s = s[n:]
	}
	e.buf.WriteByte('"')
}

// subtree returns the value at path in tree (object keys and array indices), or nil.
func subtree(tree any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := tree.(map[string]any)
			if !ok {
				return nil
			}
			tree = m[k]
		case int:
			a, ok := tree.([]any)
			if !ok || k < 0 || k >= len(a) {
				return nil
			}
			tree = a[k]
		}
	}
	return tree
}

// treeBuilder makes the values encoding/json decodes into an any with UseNumber.
type treeBuilder struct{}

func (treeBuilder) Null() any                     { return nil }
func (treeBuilder) Bool(b bool) any               { return b }
func (treeBuilder) String(s string) any           { return s }
func (treeBuilder) Number(lit []byte) (any, bool) { return json.Number(lit), true }
func (treeBuilder) Array(vals []any) any          { return slices.Clone(vals) }

// Object makes a map; a repeated key keeps its last value.
func (treeBuilder) Object(keys []string, vals []any) any {
	m := make(map[string]any, len(keys))
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m
}
