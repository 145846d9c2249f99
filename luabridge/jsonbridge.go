package luabridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// This file is the one Lua⇄JSON bridge: the json module and the dial module both convert
// through it, so every DIAL payload follows the same rules for null, shapes and numbers.

// Registry keys of the per-state sentinel and marker metatables.
const (
	regNull   = "dialua.json.null"
	regArray  = "dialua.json.array"
	regObject = "dialua.json.object"
)

// ShapeField is the metatable field that fixes how a table is encoded: the string "array" or
// "object". [MarkArray], [MarkObject], json.array and json.object set it through shared
// marker metatables; a class metatable may set it itself.
const ShapeField = "__jsontype"

// maxDepth bounds the nesting of tables the encoder follows, so a pathological structure
// fails with an error instead of exhausting the Go stack.
const maxDepth = 1000

// maxSafeInt is 2^53: integers up to this magnitude are exact in a Lua number.
const maxSafeInt = 1 << 53

type shape int

const (
	shapeAuto shape = iota
	shapeArray
	shapeObject
)

// jsonNull is the Value of the null sentinel userdata; only the sentinel has this type.
type jsonNull struct{}

// Null returns L's JSON null sentinel (json.null in Lua), creating it on first use. Each
// LState has exactly one, so scripts compare with `v == json.null`. It must be called on the
// goroutine that owns L.
func Null(L *lua.LState) *lua.LUserData {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if ud, ok := reg.RawGetString(regNull).(*lua.LUserData); ok {
		return ud
	}
	ud := L.NewUserData()
	ud.Value = jsonNull{}
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("null"))
		return 1
	}))
	mt.RawSetString("__metatable", lua.LString("json.null"))
	ud.Metatable = mt
	reg.RawSetString(regNull, ud)
	return ud
}

// IsNull reports whether v is a JSON null sentinel.
func IsNull(v lua.LValue) bool {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return false
	}
	_, ok = ud.Value.(jsonNull)
	return ok
}

// MarkArray gives t the array marker metatable, replacing any metatable it had, so that t
// encodes as a JSON array even when empty. It returns t. It must be called on the goroutine
// that owns L.
func MarkArray(L *lua.LState, t *lua.LTable) *lua.LTable {
	t.Metatable = markerMetatable(L, shapeArray)
	return t
}

// MarkObject gives t the object marker metatable, replacing any metatable it had, so that t
// encodes as a JSON object even when empty or keyed by numbers. It returns t. It must be called
// on the goroutine that owns L.
func MarkObject(L *lua.LState, t *lua.LTable) *lua.LTable {
	t.Metatable = markerMetatable(L, shapeObject)
	return t
}

func markerMetatable(L *lua.LState, s shape) *lua.LTable {
	key, name := regObject, "object"
	if s == shapeArray {
		key, name = regArray, "array"
	}
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if mt, ok := reg.RawGetString(key).(*lua.LTable); ok {
		return mt
	}
	mt := L.CreateTable(0, 1)
	mt.RawSetString(ShapeField, lua.LString(name))
	reg.RawSetString(key, mt)
	return mt
}

func shapeOf(t *lua.LTable) shape {
	mt, ok := t.Metatable.(*lua.LTable)
	if !ok {
		return shapeAuto
	}
	switch mt.RawGetString(ShapeField) {
	case lua.LString("array"):
		return shapeArray
	case lua.LString("object"):
		return shapeObject
	}
	return shapeAuto
}

// pathError is a conversion error together with where in the value it happened.
type pathError struct {
	msg  string
	path []string // innermost segment first
}

func (e *pathError) Error() string {
	if len(e.path) == 0 {
		return "json: " + e.msg
	}
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		b.WriteString(e.path[i])
	}
	return "json: " + e.msg + " (at " + strings.TrimPrefix(b.String(), ".") + ")"
}

func errorf(format string, args ...any) error {
	return &pathError{msg: fmt.Sprintf(format, args...)}
}

// within adds the segment of key to err's path.
func within(err error, key lua.LValue) error {
	var pe *pathError
	if !errors.As(err, &pe) {
		return err
	}
	switch k := key.(type) {
	case lua.LNumber:
		pe.path = append(pe.path, "["+formatKeyNumber(k)+"]")
	case lua.LString:
		if isIdentifier(string(k)) {
			pe.path = append(pe.path, "."+string(k))
		} else {
			pe.path = append(pe.path, "["+strconv.Quote(string(k))+"]")
		}
	default:
		pe.path = append(pe.path, "["+key.String()+"]")
	}
	return err
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func formatKeyNumber(n lua.LNumber) string {
	f := float64(n)
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// member is one field of a table encoded as an object.
type member struct {
	key string
	val lua.LValue
}

// layout is how a table converts: an array of n elements or an object with sorted members.
type layout struct {
	array   bool
	n       int
	members []member
}

// maxArrayIndex bounds the indices that count as array positions.
const maxArrayIndex = 1 << 30

func arrayIndex(k lua.LValue) (int, bool) {
	n, ok := k.(lua.LNumber)
	if !ok {
		return 0, false
	}
	f := float64(n)
	if f < 1 || f > maxArrayIndex || f != math.Trunc(f) {
		return 0, false
	}
	return int(f), true
}

// tableLayout decides how t converts. An unmarked table is an array when its keys are exactly
// 1..n (n ≥ 1), an object when all keys are strings (or when empty), and an error otherwise. A
// table marked as an array may have holes (they become null) but only positive integer keys; a
// table marked as an object may have string and number keys. With omit, t is taken as
// unmarked and without the string keys omit reports.
func tableLayout(t *lua.LTable, omit func(key string) bool) (layout, error) {
	sh := shapeAuto
	if omit == nil {
		sh = shapeOf(t)
	}
	omitted := func(k lua.LValue) bool {
		s, ok := k.(lua.LString)
		return ok && omit != nil && omit(string(s))
	}
	count, maxIdx := 0, 0
	var firstOther, firstNonString lua.LValue
	eachPair(t, func(k, _ lua.LValue) {
		if omitted(k) {
			return
		}
		count++
		if i, ok := arrayIndex(k); ok {
			maxIdx = max(maxIdx, i)
		} else if firstOther == nil {
			firstOther = k
		}
		if _, ok := k.(lua.LString); !ok && firstNonString == nil {
			firstNonString = k
		}
	})
	switch {
	case sh == shapeArray:
		if firstOther != nil {
			return layout{}, errorf("table marked as array has key %s", describeKey(firstOther))
		}
		if maxIdx > 2*count && maxIdx > 10 {
			return layout{}, errorf("sparse array: index %d with only %d values", maxIdx, count)
		}
		return layout{array: true, n: maxIdx}, nil
	case sh == shapeAuto && count > 0 && firstOther == nil:
		if maxIdx != count {
			return layout{}, errorf("sparse array: index %d with only %d values "+
				"(use json.null for holes)", maxIdx, count)
		}
		return layout{array: true, n: count}, nil
	case sh == shapeAuto && firstNonString != nil:
		if _, ok := arrayIndex(firstNonString); ok {
			return layout{}, errorf("table mixes array and object keys " +
				"(use json.object to encode number keys as strings)")
		}
		return layout{}, errorf("cannot encode key %s (object keys must be strings)",
			describeKey(firstNonString))
	}
	lay := layout{members: make([]member, 0, count)}
	var keyErr error
	eachPair(t, func(k, v lua.LValue) {
		if omitted(k) {
			return
		}
		switch k := k.(type) {
		case lua.LString:
			lay.members = append(lay.members, member{string(k), v})
		case lua.LNumber:
			f := float64(k)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				keyErr = errorf("cannot encode key %s", describeKey(k))
				return
			}
			lay.members = append(lay.members, member{string(appendFloat(nil, f)), v})
		default:
			if keyErr == nil {
				keyErr = errorf("cannot encode key %s (object keys must be strings or numbers)",
					describeKey(k))
			}
		}
	})
	if keyErr != nil {
		return layout{}, keyErr
	}
	slices.SortFunc(lay.members, func(a, b member) int { return strings.Compare(a.key, b.key) })
	for i := 1; i < len(lay.members); i++ {
		if lay.members[i].key == lay.members[i-1].key {
			return layout{}, errorf("duplicate object key %q", lay.members[i].key)
		}
	}
	return lay, nil
}

// eachPair calls fn with each key and value of t, as t.ForEach does but in the table's own
// order and with the table's own string keys, where ForEach makes each one anew.
func eachPair(t *lua.LTable, fn func(k, v lua.LValue)) {
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		fn(k, v)
	}
}

func describeKey(k lua.LValue) string {
	switch k := k.(type) {
	case lua.LString:
		return strconv.Quote(string(k))
	case lua.LNumber:
		return formatKeyNumber(k)
	}
	return "of type " + k.Type().String()
}

// walker holds what a recursive conversion of a Lua value needs: the tables on the current
// path (a table met again on its own path is a cycle; one met on another path is shared and
// fine).
type walker struct {
	onPath []*lua.LTable // the tables entered and not left, outermost first
}

func (w *walker) enter(t *lua.LTable) error {
	if slices.Contains(w.onPath, t) {
		return errorf("cycle: a table contains itself")
	}
	if len(w.onPath) >= maxDepth {
		return errorf("tables nested deeper than %d levels", maxDepth)
	}
	w.onPath = append(w.onPath, t)
	return nil
}

// leave leaves t, the table entered last.
func (w *walker) leave(*lua.LTable) { w.onPath = w.onPath[:len(w.onPath)-1] }

// encoder writes a Lua value as JSON text.
type encoder struct {
	walker
	buf    []byte
	indent string
	omit   func(key string) bool // the keys the first table encoded leaves out, as tableLayout's
}

// ToJSON encodes v as compact JSON with object keys sorted. See [ToJSONIndent] for the rules.
func ToJSON(L *lua.LState, v lua.LValue) ([]byte, error) {
	return ToJSONIndent(L, v, "")
}

// ToJSONIndent encodes v as JSON, indenting nested values by indent per level when indent is
// not empty. The rules: nil and json.null are null; numbers with an integral value are written
// without a fraction (3, not 3.0), and NaN and infinities are errors; strings must be valid
// UTF-8; a table is an array when its keys are exactly 1..n, an object when its keys are strings
// or when it is empty, and follows its marker when [MarkArray]/[MarkObject] (json.array,
// json.object) set one; a table referenced twice is written twice, a table that contains itself
// is an error; object keys are sorted bytewise. Functions, threads and other userdata are
// errors. Errors name the path of the offending value, such as "messages[2].content". It must
// be called on the goroutine that owns L; it calls no Lua code.
func ToJSONIndent(L *lua.LState, v lua.LValue, indent string) ([]byte, error) {
	e := encoder{indent: indent, buf: make([]byte, 0, 128)}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// ToJSONWithout encodes t as [ToJSON] encodes a copy of it that has no marker and lacks the
// string keys omit reports, without making the copy.
func ToJSONWithout(L *lua.LState, t *lua.LTable, omit func(key string) bool) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 128), omit: omit}
	if err := e.value(t, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

func (e *encoder) value(v lua.LValue, depth int) error {
	switch v := v.(type) {
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case lua.LBool:
		e.buf = strconv.AppendBool(e.buf, bool(v))
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return errorf("cannot encode %s", formatKeyNumber(v))
		}
		e.buf = appendFloat(e.buf, f)
	case lua.LString:
		var err error
		if e.buf, err = appendString(e.buf, string(v)); err != nil {
			return err
		}
	case *lua.LTable:
		return e.table(v, depth)
	case *lua.LUserData:
		if IsNull(v) {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return errorf("cannot encode a userdata value")
	default:
		return errorf("cannot encode a %s value", v.Type())
	}
	return nil
}

func (e *encoder) table(t *lua.LTable, depth int) error {
	if err := e.enter(t); err != nil {
		return err
	}
	defer e.leave(t)
	omit := e.omit
	e.omit = nil
	lay, err := tableLayout(t, omit)
	if err != nil {
		return err
	}
	if lay.array {
		e.buf = append(e.buf, '[')
		for i := 1; i <= lay.n; i++ {
			if i > 1 {
				e.buf = append(e.buf, ',')
			}
			e.newline(depth + 1)
			if err := e.value(t.RawGetInt(i), depth+1); err != nil {
				return within(err, lua.LNumber(i))
			}
		}
		if lay.n > 0 {
			e.newline(depth)
		}
		e.buf = append(e.buf, ']')
		return nil
	}
	e.buf = append(e.buf, '{')
	for i, m := range lay.members {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.newline(depth + 1)
		if e.buf, err = appendString(e.buf, m.key); err != nil {
			return within(err, lua.LString(m.key))
		}
		e.buf = append(e.buf, ':')
		if e.indent != "" {
			e.buf = append(e.buf, ' ')
		}
		if err := e.value(m.val, depth+1); err != nil {
			return within(err, lua.LString(m.key))
		}
	}
	if len(lay.members) > 0 {
		e.newline(depth)
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *encoder) newline(depth int) {
	if e.indent == "" {
		return
	}
	e.buf = append(e.buf, '\n')
	for range depth {
		e.buf = append(e.buf, e.indent...)
	}
}

// appendFloat formats f the way encoding/json does, except that integral values below 1e21
// are written with all their digits (2^60 as 1152921504606846976, not 1152921504606847000).
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	if abs < 1e21 && f == math.Trunc(f) {
		return strconv.AppendFloat(b, f, 'f', 0, 64)
	}
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Shorten e-09 to e-9.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. It escapes only what JSON requires (quote,
// backslash, control characters) and rejects invalid UTF-8.
func appendString(b []byte, s string) ([]byte, error) {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return b, errorf("string is not valid UTF-8 (byte %d of %d)", i+1, len(s))
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"'), nil
}

// ToGo converts v to the Go values encoding/json produces and consumes: nil (for nil and
// json.null), bool, string, int64 (numbers with an integral value below 2^63 in magnitude),
// float64, []any and map[string]any. It follows the rules of [ToJSONIndent] and fails where it
// would. It must be called on the goroutine that owns L; it calls no Lua code.
func ToGo(L *lua.LState, v lua.LValue) (any, error) {
	var w walker
	return w.toGo(v)
}

func (w *walker) toGo(v lua.LValue) (any, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errorf("cannot encode %s", formatKeyNumber(v))
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f), nil
		}
		return f, nil
	case lua.LString:
		if !utf8.ValidString(string(v)) {
			_, err := appendString(nil, string(v))
			return nil, err
		}
		return string(v), nil
	case *lua.LTable:
		return w.tableToGo(v)
	case *lua.LUserData:
		if IsNull(v) {
			return nil, nil
		}
		return nil, errorf("cannot encode a userdata value")
	}
	return nil, errorf("cannot encode a %s value", v.Type())
}

func (w *walker) tableToGo(t *lua.LTable) (any, error) {
	if err := w.enter(t); err != nil {
		return nil, err
	}
	defer w.leave(t)
	lay, err := tableLayout(t, nil)
	if err != nil {
		return nil, err
	}
	if lay.array {
		out := make([]any, lay.n)
		for i := range out {
			if out[i], err = w.toGo(t.RawGetInt(i + 1)); err != nil {
				return nil, within(err, lua.LNumber(i+1))
			}
		}
		return out, nil
	}
	out := make(map[string]any, len(lay.members))
	for _, m := range lay.members {
		if !utf8.ValidString(m.key) {
			_, err := appendString(nil, m.key)
			return nil, within(err, lua.LString(m.key))
		}
		if out[m.key], err = w.toGo(m.val); err != nil {
			return nil, within(err, lua.LString(m.key))
		}
	}
	return out, nil
}

// decoder builds Lua values from decoded JSON.
type decoder struct {
	L        *lua.LState
	null     lua.LValue
	arrayMT  *lua.LTable
	objectMT *lua.LTable
}

func newDecoder(L *lua.LState) *decoder {
	return &decoder{
		L:        L,
		null:     Null(L),
		arrayMT:  markerMetatable(L, shapeArray),
		objectMT: markerMetatable(L, shapeObject),
	}
}

// FromJSON decodes one JSON value into plain Lua values: null becomes json.null (also inside
// arrays, which keep their length, and objects, which keep the key); every array and object
// becomes a table marked with its shape (see [MarkArray]), so an empty object re-encodes as {}
// and an empty array as []; integers whose magnitude exceeds 2^53 become strings holding their
// exact digits, other numbers Lua numbers. Invalid UTF-8, trailing data after the value and
// numbers out of float64 range are errors. It must be called on the goroutine that owns L.
func FromJSON(L *lua.LState, data []byte) (lua.LValue, error) {
	return newDecoder(L).decode(data)
}

func (d *decoder) decode(data []byte) (lua.LValue, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("json: input is not valid UTF-8 (byte %d of %d)",
			invalidUTF8Offset(data)+1, len(data))
	}
	if v, ok := d.scan(data); ok {
		return v, nil
	}
	return d.decodeSlow(data)
}

// decodeSlow decodes data with encoding/json: for input the scanner leaves to it, and for
// the error of invalid input.
func (d *decoder) decodeSlow(data []byte) (lua.LValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, decodeError(err)
	}
	rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")
	if len(rest) > 0 {
		return nil, fmt.Errorf("json: unexpected data after the value (byte %d)",
			len(data)-len(rest)+1)
	}
	return d.value(v)
}

func invalidUTF8Offset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("json: %s (byte %d)", syn.Error(), syn.Offset)
	case err == io.EOF:
		return errors.New("json: no value in input")
	case err == io.ErrUnexpectedEOF:
		return errors.New("json: unexpected end of input")
	}
	return fmt.Errorf("json: %w", err)
}

// FromGo converts a Go value into plain Lua values by the rules of [FromJSON]. It takes the
// values encoding/json decodes into an any (nil, bool, string, float64, json.Number, []any,
// map[string]any) plus Go integers and json.RawMessage directly; any other value goes through
// json.Marshal first, so structs convert by their JSON field names. A map's members are set in
// the order of their names, as FromJSON sets those of an object encoded with sorted names. It
// must be called on the goroutine that owns L.
func FromGo(L *lua.LState, v any) (lua.LValue, error) {
	return newDecoder(L).value(v)
}

func (d *decoder) value(v any) (lua.LValue, error) {
	switch v := v.(type) {
	case nil:
		return d.null, nil
	case bool:
		return lua.LBool(v), nil
	case string:
		return lua.LString(v), nil
	case json.Number:
		return numberValue(string(v))
	case float64:
		return lua.LNumber(v), nil
	case float32:
		return lua.LNumber(v), nil
	case int:
		return intValue(int64(v)), nil
	case int64:
		return intValue(v), nil
	case int32:
		return lua.LNumber(v), nil
	case uint64:
		if v > maxSafeInt {
			return lua.LString(strconv.FormatUint(v, 10)), nil
		}
		return lua.LNumber(v), nil
	case uint32:
		return lua.LNumber(v), nil
	case json.RawMessage:
		return d.decode(v)
	case []any:
		t := d.L.CreateTable(len(v), 0)
		for i, e := range v {
			lv, err := d.value(e)
			if err != nil {
				return nil, err
			}
			t.RawSetInt(i+1, lv)
		}
		t.Metatable = d.arrayMT
		return t, nil
	case map[string]any:
		t := d.L.CreateTable(0, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			lv, err := d.value(v[k])
			if err != nil {
				return nil, err
			}
			t.RawSetString(k, lv)
		}
		t.Metatable = d.objectMT
		return t, nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return d.null, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	return d.decode(data)
}

func intValue(n int64) lua.LValue {
	if n > maxSafeInt || n < -maxSafeInt {
		return lua.LString(strconv.FormatInt(n, 10))
	}
	return lua.LNumber(n)
}

// numberValue converts a JSON number literal: integer literals beyond 2^53 in magnitude keep
// their digits as a string, everything else becomes a Lua number.
func numberValue(s string) (lua.LValue, error) {
	if !strings.ContainsAny(s, ".eE") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > maxSafeInt || n < -maxSafeInt {
			return lua.LString(strings.TrimPrefix(s, "+")), nil
		}
		return lua.LNumber(n), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("json: number %s is out of range", s)
	}
	return lua.LNumber(f), nil
}
