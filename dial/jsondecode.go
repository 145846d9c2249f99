package dial

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// The decoding half of the keep-unknown-members mechanism (see [unmarshalExtra]) reads an
// object in one pass: each member goes straight to its field, nested wire types decode
// their own members the same way, and only the members no field declares are copied. Plain
// scalars (strings without escapes, integers, booleans, null) are set directly; any other
// value goes through encoding/json, which also gives the errors. Every byte is checked once,
// by whichever part reads it, so the input need not have been validated before.

// structDecoder maps the JSON member names of a struct type to its fields.
type structDecoder struct {
	fields map[string]fieldDecoder
}

// fieldDecoder is one field: the index path from the struct (through embedded structs) and
// its type. last, for the string members that servers repeat in every chunk (see
// [chatOverwrite]), holds the latest value, which the next decode reuses when it is the
// same.
type fieldDecoder struct {
	index []int
	typ   reflect.Type
	last  *atomic.Pointer[string]
}

var structDecoders sync.Map // reflect.Type → *structDecoder

// referenceDecode makes unmarshalExtra take its encoding/json path always, for tests that
// compare the two.
var referenceDecode atomic.Bool

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
)

// decoderFor returns the decoder of struct type t, built on first use.
func decoderFor(t reflect.Type) *structDecoder {
	if d, ok := structDecoders.Load(t); ok {
		return d.(*structDecoder)
	}
	d := &structDecoder{fields: map[string]fieldDecoder{}}
	collectDecoders(t, nil, d.fields)
	actual, _ := structDecoders.LoadOrStore(t, d)
	return actual.(*structDecoder)
}

// collectDecoders adds the fields of t under index path prefix, as encoding/json names them;
// a field of the outer struct wins over one promoted from an embedded struct.
func collectDecoders(t reflect.Type, prefix []int, fields map[string]fieldDecoder) {
	var embedded []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := jsonName(f)
		if !ok {
			continue
		}
		if name == "" {
			embedded = append(embedded, f)
			continue
		}
		fd := fieldDecoder{index: append(append([]int(nil), prefix...), i), typ: f.Type}
		if f.Type.Kind() == reflect.String && chatOverwrite(name) {
			fd.last = new(atomic.Pointer[string])
		}
		fields[name] = fd
	}
	for _, f := range embedded {
		inner := map[string]fieldDecoder{}
		collectDecoders(f.Type, append(append([]int(nil), prefix...), f.Index...), inner)
		for name, fd := range inner {
			if _, taken := fields[name]; !taken {
				fields[name] = fd
			}
		}
	}
}

// jsonName returns the member name encoding/json gives field f, "" for an embedded struct
// whose fields are promoted, and false for a field it skips.
func jsonName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	name, _, _ := strings.Cut(tag, ",")
	if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
		return "", true
	}
	if !f.IsExported() {
		return "", false
	}
	if name == "" {
		name = f.Name
	}
	return name, true
}

// field finds the field of member key: by its exact name, else (as encoding/json does) by a
// case-insensitive match; exact reports which.
func (d *structDecoder) field(key []byte) (fd fieldDecoder, exact, ok bool) {
	if fd, ok := d.fields[string(key)]; ok {
		return fd, true, true
	}
	for name, fd := range d.fields {
		if strings.EqualFold(name, string(key)) {
			return fd, false, true
		}
	}
	return fieldDecoder{}, false, false
}

// repeated returns the string val holds when it is the field's latest value.
func (fd fieldDecoder) repeated(val []byte) (string, bool) {
	if fd.last == nil || len(val) < 2 || val[0] != '"' {
		return "", false
	}
	if p := fd.last.Load(); p != nil && len(*p) == len(val)-2 && *p == string(val[1:len(val)-1]) {
		return *p, true
	}
	s, ok := plainString(val)
	if ok {
		fd.last.Store(&s)
	}
	return s, ok
}

// decodeObject decodes the JSON object data into the struct rv and returns the members that
// no field declares by exact name (nil when none), copied. JSON null leaves rv as it is.
func decodeObject(data []byte, rv reflect.Value) (map[string]json.RawMessage, error) {
	if isNull(data) && len(bytes.TrimSpace(data)) > 0 {
		return nil, nil
	}
	d := decoderFor(rv.Type())
	var extra map[string]json.RawMessage
	err := members(data, func(key, val []byte) error {
		fd, exact, ok := d.field(key)
		if ok {
			if s, ok := fd.repeated(val); ok {
				rv.FieldByIndex(fd.index).SetString(s)
			} else if err := decodeValue(val, rv.FieldByIndex(fd.index)); err != nil {
				return err
			}
		} else if !json.Valid(val) {
			return errMalformedObject
		}
		if !exact {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[string(key)] = bytes.Clone(val)
		}
		return nil
	})
	return extra, err
}

var unmarshalers sync.Map // reflect.Type → bool: whether *T implements json.Unmarshaler

// pointerUnmarshals reports whether a pointer to t implements json.Unmarshaler, looked up
// once per type.
func pointerUnmarshals(t reflect.Type) bool {
	if ok, found := unmarshalers.Load(t); found {
		return ok.(bool)
	}
	ok := reflect.PointerTo(t).Implements(unmarshalerType)
	unmarshalers.Store(t, ok)
	return ok
}

// decodeValue decodes the JSON value val into v by encoding/json's rules.
func decodeValue(val []byte, v reflect.Value) error {
	t := v.Type()
	null := string(val) == "null"
	if t == rawMessageType && (null || plainLiteral(val)) {
		v.SetBytes(bytes.Clone(val))
		return nil
	}
	if t.Kind() != reflect.Pointer && pointerUnmarshals(t) {
		if t.Kind() == reflect.Struct {
			return v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(val)
		}
		return json.Unmarshal(val, v.Addr().Interface())
	}
	switch t.Kind() {
	case reflect.String:
		if null {
			return nil
		}
		if s, ok := plainString(val); ok {
			v.SetString(s)
			return nil
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if null {
			return nil
		}
		if !plainInteger(val) {
			break
		}
		if n, err := strconv.ParseInt(string(val), 10, 64); err == nil && !v.OverflowInt(n) {
			v.SetInt(n)
			return nil
		}
	case reflect.Bool:
		switch string(val) {
		case "null":
			return nil
		case "true", "false":
			v.SetBool(val[0] == 't')
			return nil
		}
	case reflect.Pointer:
		if null {
			v.SetZero()
			return nil
		}
		if t.Elem().Kind() == reflect.Struct && pointerUnmarshals(t.Elem()) {
			if v.IsNil() {
				v.Set(reflect.New(t.Elem()))
			}
			return v.Interface().(json.Unmarshaler).UnmarshalJSON(val)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct && pointerUnmarshals(t.Elem()) {
			return decodeSlice(val, v)
		}
	}
	return json.Unmarshal(val, v.Addr().Interface())
}

// decodeSlice decodes a JSON array (or null) into a slice of a wire type.
func decodeSlice(val []byte, v reflect.Value) error {
	if string(val) == "null" {
		v.SetZero()
		return nil
	}
	n := 0
	if err := elements(val, func([]byte) error { n++; return nil }); err != nil {
		return err
	}
	s := reflect.MakeSlice(v.Type(), n, n)
	i := 0
	err := elements(val, func(elem []byte) error {
		i++
		return decodeValue(elem, s.Index(i-1))
	})
	if err != nil {
		return err
	}
	v.Set(s)
	return nil
}

// plainString returns the string a JSON string literal without escapes or control
// characters, in valid UTF-8, holds; ok is false for any other literal (encoding/json
// decodes those).
func plainString(val []byte) (string, bool) {
	if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return "", false
	}
	body := val[1 : len(val)-1]
	ascii := true
	for _, c := range body {
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}

// unmarshalWire is json.Unmarshal for a wire type, without encoding/json's separate
// validation pass: v's UnmarshalJSON reads data in one pass and checks it as it goes.
func unmarshalWire(data []byte, v json.Unmarshaler) error {
	return v.UnmarshalJSON(bytes.Trim(data, " \t\r\n"))
}

// plainInteger reports whether val is a JSON integer literal: -?(0|[1-9][0-9]*).
func plainInteger(val []byte) bool {
	if len(val) > 0 && val[0] == '-' {
		val = val[1:]
	}
	if len(val) == 0 || len(val) > 1 && val[0] == '0' {
		return false
	}
	for _, c := range val {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// plainLiteral reports whether val is a JSON value plainString or plainInteger accepts.
func plainLiteral(val []byte) bool {
	_, ok := plainString(val)
	return ok || plainInteger(val)
}

// members calls fn with the name and the raw value of each member of the JSON object data,
// in order, and stops at fn's first error. It checks the object's punctuation; the values
// are fn's to check. key aliases data (or a scratch copy for an escaped name) and val aliases
// data: both are valid during the call only.
func members(data []byte, fn func(key, val []byte) error) error {
	i, done, err := openContainer(data, '{', '}')
	if err != nil || done {
		return err
	}
	for {
		end := skipString(data, i)
		if end < 0 {
			return errMalformedObject
		}
		key := data[i+1 : end-1]
		escaped := false
		for _, c := range key {
			if c < 0x20 {
				return errMalformedObject
			}
			escaped = escaped || c == '\\'
		}
		if escaped {
			var s string
			if err := json.Unmarshal(data[i:end], &s); err != nil {
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
		if vend <= i {
			return errMalformedObject
		}
		if err := fn(key, data[i:vend]); err != nil {
			return err
		}
		next, done, err := afterValue(data, vend, '}')
		if err != nil || done {
			return err
		}
		i = next
	}
}

// openContainer reads the start of the object or array data, opened by open and closed by
// close: the index of its first member or element, or done when it is empty (with nothing
// after it but space).
func openContainer(data []byte, open, close byte) (first int, done bool, err error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != open {
		return 0, false, errMalformedObject
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == close {
		return 0, true, trailing(data, i+1)
	}
	return i, false, nil
}

// afterValue reads what follows a member or element that ends at end: a ',' and the index of
// the next one, or close, which ends the object or array (done), with nothing after it but
// space.
func afterValue(data []byte, end int, close byte) (next int, done bool, err error) {
	i := skipSpace(data, end)
	switch {
	case i >= len(data):
		return 0, false, errMalformedObject
	case data[i] == ',':
		return skipSpace(data, i+1), false, nil
	case data[i] == close:
		return 0, true, trailing(data, i+1)
	}
	return 0, false, errMalformedObject
}

// elements calls fn with each element of the JSON array data, in order, as members does for
// an object's members.
func elements(data []byte, fn func(elem []byte) error) error {
	i, done, err := openContainer(data, '[', ']')
	if err != nil || done {
		return err
	}
	for {
		vend := skipValue(data, i)
		if vend <= i {
			return errMalformedObject
		}
		if err := fn(data[i:vend]); err != nil {
			return err
		}
		next, done, err := afterValue(data, vend, ']')
		if err != nil || done {
			return err
		}
		i = next
	}
}

// trailing checks that only white space follows data[i:].
func trailing(data []byte, i int) error {
	if skipSpace(data, i) != len(data) {
		return errMalformedObject
	}
	return nil
}
