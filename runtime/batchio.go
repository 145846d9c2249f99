package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// batchRecord is one input record: a JSONL line or a file of a folder.
type batchRecord struct {
	// pos is the record's 1-based line number (JSONL) or position in the folder.
	pos int
	// key is the canonical JSON text of the record's key.
	key string
	// data is the JSON text of a JSONL record; nil for a file of a folder.
	data []byte
	// path and name describe a file of a folder: its absolute path and its name; url
	// replaces path for a file of a remote folder.
	path, name, url string
}

// recordKeyState is what a run knows about one key of its shard.
type recordKeyState uint8

const (
	keyInInput recordKeyState = 1 << iota // seen in the input (a second time is a duplicate)
	keyDone                               // the output has a line for it
	keyFailed                             // the last line of the output for it is an error
)

// keyID identifies a key in memory: the FNV-1a 128-bit hash of its canonical JSON text. Runs
// keep one per record of their shard, so it is kept small; two keys of one input sharing a hash
// is as likely as a random collision of 128 bits (below 10^-20 for a billion records).
type keyID [16]byte

// keyTable is what a run knows about the keys of its shard.
type keyTable map[keyID]recordKeyState

// idOf returns the keyID of key.
func idOf(key string) keyID {
	h := fnv.New128a()
	_, _ = io.WriteString(h, key)
	var id keyID
	h.Sum(id[:0])
	return id
}

// mark records a result line for key.
func (t keyTable) mark(key string, failed bool) {
	id := idOf(key)
	st := t[id] | keyDone
	if failed {
		st |= keyFailed
	} else {
		st &^= keyFailed
	}
	t[id] = st
}

// shardOf returns the shard of key among n: the FNV-1a 64-bit hash of the key's JSON text
// modulo n.
func shardOf(key string, n int) int {
	h := fnv.New64a()
	_, _ = io.WriteString(h, key)
	return int(h.Sum64() % uint64(n))
}

// canonicalKey returns the JSON text a key is compared and written as: a string re-encoded
// (so "\u0041" and "A" are one key), a number as written. Other JSON values are not keys.
func canonicalKey(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", errors.New("empty key")
	}
	switch c := raw[0]; {
	case c == '"' && plainString(raw):
		return string(raw), nil
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return jsonString(s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", err
		}
		return string(raw), nil
	}
	return "", fmt.Errorf("a key must be a string or a number, not %s", raw)
}

// plainString reports whether the JSON string quoted is written the way jsonString would write
// it: no escapes, no control characters, valid UTF-8 without U+2028 and U+2029.
func plainString(quoted []byte) bool {
	if len(quoted) < 2 || quoted[len(quoted)-1] != '"' {
		return false
	}
	body := quoted[1 : len(quoted)-1]
	for _, c := range body {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.Valid(body) && !bytes.Contains(body, []byte("\u2028")) &&
		!bytes.Contains(body, []byte("\u2029"))
}

// jsonString encodes s as a JSON string without escaping HTML characters.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a Go string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// scanInput calls fn with every record of the input at path, in order: each non-blank line of
// a JSONL file, or each regular file (not starting with '.') of a folder, sorted by name, but
// the file at skip (the output, by path or as the same file). check
// validates each line as JSON; without it an invalid line may pass unnoticed (a later scan of
// an input already checked skips the cost). It stops at the first error of fn or of the input.
func scanInput(path, skip string, check bool, fn func(batchRecord) error) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	if st.IsDir() {
		return scanFolder(path, skip, fn)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	defer f.Close()
	return scanJSONL(f, path, check, fn)
}

// scanJSONL calls fn with every record of the JSONL stream r, named name in errors, as
// [scanInput] does.
func scanJSONL(r io.Reader, name string, check bool, fn func(batchRecord) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for pos := 1; ; pos++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("input: %w", err)
		}
		if data := bytes.TrimSpace(line); len(data) > 0 {
			rec, kerr := jsonlRecord(pos, data, check)
			if kerr != nil {
				return fmt.Errorf("input %s:%d: %w", name, pos, kerr)
			}
			if ferr := fn(rec); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// jsonlRecord builds the record of one JSONL line: its key is its "id" member when it is an
// object with a non-null id, else its line number.
func jsonlRecord(pos int, data []byte, check bool) (batchRecord, error) {
	rec := batchRecord{pos: pos, data: data, key: strconv.Itoa(pos)}
	if check && !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return rec, fmt.Errorf("invalid JSON: %w", err)
	}
	id, ok, err := memberOf(data, "id")
	if err != nil {
		return rec, fmt.Errorf("invalid JSON: %w", err)
	}
	if !ok || string(id) == "null" {
		return rec, nil
	}
	key, err := canonicalKey(id)
	if err != nil {
		return rec, fmt.Errorf("id: %w", err)
	}
	rec.key = key
	return rec, nil
}

// memberOf returns the raw JSON of the last top-level member called name of the JSON object in
// data (the one encoding/json would keep), and false when data is not an object or has no
// such member. It walks the object without decoding the other members' values, which makes
// reading keys cheap. data must be valid JSON.
func memberOf(data []byte, name string) (raw []byte, ok bool, err error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false, nil
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil, false, nil
	}
	for i < len(data) {
		end, err := skipValue(data, i) // the member's name, a string
		if err != nil {
			return nil, false, err
		}
		key := data[i:end]
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return nil, false, errors.New("malformed object")
		}
		start := skipSpace(data, i+1)
		end, err = skipValue(data, start)
		if err != nil {
			return nil, false, err
		}
		if memberNamed(key, name) {
			raw, ok = data[start:end], true
		}
		i = skipSpace(data, end)
		if i < len(data) && data[i] == '}' {
			return raw, ok, nil
		}
		if i >= len(data) || data[i] != ',' {
			return nil, false, errors.New("malformed object")
		}
		i = skipSpace(data, i+1)
	}
	return nil, false, errors.New("malformed object")
}

// memberNamed reports whether the JSON string quoted is name.
func memberNamed(quoted []byte, name string) bool {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return len(quoted) == len(name)+2 && string(quoted[1:len(quoted)-1]) == name
	}
	var s string
	return json.Unmarshal(quoted, &s) == nil && s == name
}

// skipSpace returns the index of the first byte at or after i that is not JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at i.
func skipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, errors.New("unexpected end")
	}
	switch data[i] {
	case '"':
		for j := i + 1; j < len(data); j++ {
			switch data[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, errors.New("unterminated string")
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, err := skipValue(data, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated object or array")
	}
	j := i // a number, true, false or null
	for j < len(data) && !strings.ContainsRune(" \t\r\n,]}", rune(data[j])) {
		j++
	}
	if j == i {
		return 0, errors.New("value expected")
	}
	return j, nil
}

// scanFolder calls fn with each regular file of dir, sorted by name; names starting with '.'
// are skipped, and so are folders and the file at skip, an absolute path.
func scanFolder(dir, skip string, fn func(batchRecord) error) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	skipSt, _ := os.Stat(skip) // nil while the output does not exist
	pos := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(abs, e.Name())
		st, err := os.Stat(p) // follows symbolic links
		if err != nil || !st.Mode().IsRegular() || p == skip ||
			(skipSt != nil && os.SameFile(st, skipSt)) {
			continue
		}
		pos++
		if err := fn(batchRecord{pos: pos, key: jsonString(e.Name()), path: p,
			name: e.Name()}); err != nil {
			return err
		}
	}
	return nil
}
