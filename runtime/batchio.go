package runtime

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
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
	// path and name describe a file of a folder: its absolute path and its name.
	path, name string
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

// mark records a result line for key and reports whether the key had one already.
func (t keyTable) mark(key string, failed bool) (dup bool) {
	id := idOf(key)
	st := t[id]
	dup = st&keyDone != 0
	st |= keyDone
	if failed {
		st |= keyFailed
	} else {
		st &^= keyFailed
	}
	t[id] = st
	return dup
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
// a JSONL file, or each regular file (not starting with '.') of a folder, sorted by name. check
// validates each line as JSON; without it an invalid line may pass unnoticed (a later scan of
// an input already checked skips the cost). It stops at the first error of fn or of the input.
func scanInput(path string, check bool, fn func(batchRecord) error) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	if st.IsDir() {
		return scanFolder(path, fn)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	for pos := 1; ; pos++ {
		line, err := r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("input: %w", err)
		}
		if data := bytes.TrimSpace(line); len(data) > 0 {
			rec, kerr := jsonlRecord(pos, data, check)
			if kerr != nil {
				return fmt.Errorf("input %s:%d: %w", path, pos, kerr)
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
// are skipped, and so are folders.
func scanFolder(dir string, fn func(batchRecord) error) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	pos := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(abs, e.Name())
		st, err := os.Stat(p) // follows symbolic links
		if err != nil || !st.Mode().IsRegular() {
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

// resultLine is one line of the output as read back.
type resultLine struct {
	Key    json.RawMessage `json:"key"`
	Output json.RawMessage `json:"output"`
	Error  json.RawMessage `json:"error"`
}

// parseResultLine reads one output line and returns its canonical key and whether it records
// a failure.
func parseResultLine(line []byte) (key string, failed bool, err error) {
	var r resultLine
	if err := json.Unmarshal(line, &r); err != nil {
		return "", false, err
	}
	if r.Key == nil || (r.Output == nil) == (r.Error == nil) {
		return "", false, errors.New(`not a result: it needs "key" and one of "output" or "error"`)
	}
	key, err = canonicalKey(r.Key)
	return key, r.Error != nil, err
}

// readOutput reads the results already in the output file at path into keys (last line per
// key wins) and returns the number of lines and of lines whose key appeared before. A torn
// last line (no newline at the end, or not a result) is cut off the file, since results are
// written whole: it is the trace of a run killed in the middle of a write or of a system crash.
// Any other line that is not a result is an error: the file is not this runner's output. A
// missing file has no results.
func readOutput(path string, keys keyTable) (lines, dups int, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("output: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var off int64
	for n := 1; ; n++ {
		line, rerr := r.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return 0, 0, fmt.Errorf("output: %w", rerr)
		}
		if len(line) == 0 {
			return lines, dups, nil
		}
		key, failed, perr := parseResultLine(line)
		if rerr == io.EOF || perr != nil {
			if _, err := r.Peek(1); perr != nil && err == nil {
				return 0, 0, fmt.Errorf("output %s:%d: %w", path, n, perr)
			}
			if err := f.Truncate(off); err != nil {
				return 0, 0, fmt.Errorf("output: cutting off a torn last line: %w", err)
			}
			return lines, dups, f.Sync()
		}
		off += int64(len(line))
		lines++
		if keys.mark(key, failed) {
			dups++
		}
	}
}

// batchWriter appends result lines to the output file, each with one write, in completion order
// or, when ordered, in the order of their sequence numbers. It fsyncs at most every syncEvery
// (after every line when syncEvery is negative) and when closed. It is safe for concurrent use.
type batchWriter struct {
	mu        sync.Mutex
	f         *os.File
	syncEvery time.Duration
	lastSync  time.Time
	keys      keyTable
	dups      int   // lines whose key already had a line in the file
	err       error // the first write error; every later write fails with it

	ordered bool
	next    int            // the sequence number to write next, when ordered
	pending map[int]result // results waiting for their turn, when ordered
	window  chan struct{}  // one token per dispatched record not yet written, when ordered

	// after is called under the lock after each result is written.
	after func(failed bool)
}

// result is the line of one record, ready to write.
type result struct {
	key    string
	line   []byte
	failed bool
}

// openWriter opens the output file at path for appending, creating it when missing.
func openWriter(path string, keys keyTable, dups int, syncEvery time.Duration,
	ordered bool, window int) (*batchWriter, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		syncDir(filepath.Dir(path))
	}
	w := &batchWriter{f: f, syncEvery: syncEvery, lastSync: time.Now(), keys: keys, dups: dups,
		ordered: ordered}
	if ordered {
		w.pending = make(map[int]result)
		w.window = make(chan struct{}, window)
	}
	return w, nil
}

// put writes r now, or when ordered, once the results of every earlier sequence number are
// written.
func (w *batchWriter) put(seq int, r result) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if !w.ordered {
		return w.write(r)
	}
	w.pending[seq] = r
	for {
		r, ok := w.pending[w.next]
		if !ok {
			return nil
		}
		delete(w.pending, w.next)
		w.next++
		<-w.window
		if err := w.write(r); err != nil {
			return err
		}
	}
}

// write appends one line; the caller holds the lock.
func (w *batchWriter) write(r result) error {
	if _, err := w.f.Write(r.line); err != nil {
		w.err = fmt.Errorf("output: %w", err)
		return w.err
	}
	if w.syncEvery < 0 || time.Since(w.lastSync) >= w.syncEvery {
		if err := w.f.Sync(); err != nil {
			w.err = fmt.Errorf("output: %w", err)
			return w.err
		}
		w.lastSync = time.Now()
	}
	if w.keys.mark(r.key, r.failed) {
		w.dups++
	}
	if w.after != nil {
		w.after(r.failed)
	}
	return nil
}

// duplicates returns how many lines of the file repeat an earlier key.
func (w *batchWriter) duplicates() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dups
}

// close fsyncs and closes the file. Results still waiting for their turn are dropped.
func (w *batchWriter) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil && w.err == nil {
		return fmt.Errorf("output: %w", err)
	}
	return w.err
}

// compactOutput rewrites the output file at path so that each key has one line, its last,
// in the order the input lists the keys (inShard selects the input's records of this run);
// lines of keys the input does not have follow in file order. The new file is written beside
// the old one, fsynced and renamed over it, so a crash leaves either file whole. Only the
// position of each key's last line is held in memory.
func compactOutput(path, input string, inShard func(batchRecord) bool) error {
	src, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	defer src.Close()
	type span struct{ off, n int64 }
	last := make(map[keyID]span)
	r := bufio.NewReaderSize(src, 64<<10)
	for off := int64(0); ; {
		line, err := r.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil {
			return fmt.Errorf("output: compacting: %w", err)
		}
		key, _, err := parseResultLine(line)
		if err != nil {
			return fmt.Errorf("output: compacting: %w", err)
		}
		last[idOf(key)] = span{off, int64(len(line))}
		off += int64(len(line))
	}
	tmp := path + ".compact"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	defer os.Remove(tmp) // fails harmlessly once renamed
	bw := bufio.NewWriterSize(f, 256<<10)
	copyLine := func(s span) error {
		_, err := io.Copy(bw, io.NewSectionReader(src, s.off, s.n))
		return err
	}
	err = scanInput(input, false, func(rec batchRecord) error {
		if !inShard(rec) {
			return nil
		}
		if s, ok := last[idOf(rec.key)]; ok {
			delete(last, idOf(rec.key))
			return copyLine(s)
		}
		return nil
	})
	if err == nil {
		rest := make([]span, 0, len(last))
		for _, s := range last {
			rest = append(rest, s)
		}
		slices.SortFunc(rest, func(a, b span) int { return cmp.Compare(a.off, b.off) })
		for _, s := range rest {
			if err = copyLine(s); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("output: compacting: %w", err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir fsyncs a directory so that a file created or renamed in it survives a system crash.
// Failures are ignored: some systems cannot sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
