package runtime

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// resultPrefix is how every result line starts, as the writer writes it.
const resultPrefix = `{"key":`

// parsedResult is what a result line says.
type parsedResult struct {
	key    string   // canonical (see canonicalKey)
	failed bool     // an "error" line
	checks checkSet // the record's checks; nil when the line has none
}

// parseResult reads one output line. A result is a JSON object whose members are "key" (a
// string or a number), exactly one of "output" (any JSON value) or "error" (an object), and
// optionally "checks" (an object whose members are booleans or {"ok": boolean, "detail":
// string}), and no other.
func parseResult(line []byte) (parsedResult, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return parsedResult{}, errors.New("not a JSON object")
		}
		return parsedResult{}, fmt.Errorf("not JSON: %w", err)
	}
	if m == nil {
		return parsedResult{}, errors.New("not a JSON object")
	}
	raw, ok := m["key"]
	_, hasOutput := m["output"]
	errv, failed := m["error"]
	switch {
	case !ok:
		return parsedResult{}, errors.New(`no "key" member`)
	case hasOutput && failed:
		return parsedResult{}, errors.New(`both "output" and "error"`)
	case !hasOutput && !failed:
		return parsedResult{}, errors.New(`neither "output" nor "error"`)
	case failed && !bytes.HasPrefix(bytes.TrimSpace(errv), []byte("{")):
		return parsedResult{}, errors.New(`"error" is not an object`)
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		switch name {
		case "key", "output", "error", "checks":
		default:
			return parsedResult{}, fmt.Errorf("a member %q", name)
		}
	}
	r := parsedResult{failed: failed}
	if c, ok := m["checks"]; ok {
		if err := json.Unmarshal(c, &r.checks); err != nil {
			return parsedResult{}, err
		}
	}
	var err error
	if r.key, err = canonicalKey(raw); err != nil {
		return parsedResult{}, fmt.Errorf("key: %w", err)
	}
	return r, nil
}

// tornLine reports whether line, the last of the output and without a newline, is what a write
// of a result cut short leaves: the start of a result line, not complete JSON unless a result.
func tornLine(line []byte) bool {
	if !bytes.HasPrefix(line, []byte(resultPrefix)) && !bytes.HasPrefix([]byte(resultPrefix), line) {
		return false
	}
	if !json.Valid(line) {
		return true
	}
	_, err := parseResult(line)
	return err == nil
}

// errForeignOutput is the end of the error of an output file that has other lines than results.
const errForeignOutput = "it is left as it is: the output must be a new file or one an " +
	"earlier batch wrote"

// readOutput reads the results already in the output file at path into keys (last line per
// key wins). Every line must be a result (see [parseResult]) ending with a newline, but the
// last one may be torn (see [tornLine]): the trace of a run killed in the middle of a write or
// of a system crash, which is cut off the file and reported to warn. Any other line is an
// error that names it, and the file is left untouched: it is not this runner's output. A
// missing file has no results.
func readOutput(path string, keys keyTable, warn func(string)) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var off int64
	for n := 1; ; n++ {
		line, rerr := r.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return fmt.Errorf("output: %w", rerr)
		}
		if len(line) == 0 {
			return nil
		}
		if rerr == io.EOF {
			if !tornLine(line) {
				return fmt.Errorf("output %s:%d: the last line is not a whole result "+
					"(it has no newline and is not the start of one); %s", path, n,
					errForeignOutput)
			}
			if err := cutOutput(path, off); err != nil {
				return err
			}
			if warn != nil {
				warn(fmt.Sprintf("output %s:%d: cut off a torn last line of %d bytes, "+
					"left by a run that stopped while writing it",
					path, n, len(line)))
			}
			return nil
		}
		res, perr := parseResult(line)
		if perr != nil {
			return fmt.Errorf("output %s:%d: not a batch result (%w); %s", path, n, perr,
				errForeignOutput)
		}
		off += int64(len(line))
		keys.mark(res.key, res.failed)
	}
}

// cutOutput truncates the output file at path to size bytes and fsyncs it.
func cutOutput(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		err = f.Truncate(size)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("output: cutting off a torn last line: %w", err)
	}
	return nil
}

// resultSink is where a [batchWriter]'s lines go: the output file or parts.
type resultSink interface {
	// write takes one whole result line; an error ends the run.
	write(line []byte) error
	// close makes durable what was written and releases the sink.
	close() error
}

// batchWriter passes result lines to its sink in completion order or, when ordered, in the
// order of their sequence numbers. It is safe for concurrent use.
type batchWriter struct {
	mu   sync.Mutex
	sink resultSink
	keys keyTable
	err  error // the first write error; every later write fails with it

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

// newWriter returns a writer to sink that marks the keys it writes in keys.
func newWriter(sink resultSink, keys keyTable, ordered bool, window int) *batchWriter {
	w := &batchWriter{sink: sink, keys: keys, ordered: ordered}
	if ordered {
		w.pending = make(map[int]result)
		w.window = make(chan struct{}, window)
	}
	return w
}

// fileSink appends each line to the output file with one write, and fsyncs it at most every
// syncEvery (after every line when syncEvery is negative) and when closed.
type fileSink struct {
	f         *os.File
	syncEvery time.Duration
	lastSync  time.Time
}

// openFileSink opens the output file at path for appending, creating it when missing.
func openFileSink(path string, syncEvery time.Duration) (*fileSink, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		syncDir(filepath.Dir(path))
	}
	return &fileSink{f: f, syncEvery: syncEvery, lastSync: time.Now()}, nil
}

func (s *fileSink) write(line []byte) error {
	if _, err := s.f.Write(line); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if s.syncEvery < 0 || time.Since(s.lastSync) >= s.syncEvery {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("output: %w", err)
		}
		s.lastSync = time.Now()
	}
	return nil
}

func (s *fileSink) close() error {
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
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

// write passes one line to the sink; the caller holds the lock.
func (w *batchWriter) write(r result) error {
	if err := w.sink.write(r.line); err != nil {
		w.err = err
		return err
	}
	w.keys.mark(r.key, r.failed)
	if w.after != nil {
		w.after(r.failed)
	}
	return nil
}

// close closes the sink. Results still waiting for their turn are dropped.
func (w *batchWriter) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.sink.close(); err != nil && w.err == nil {
		return err
	}
	return w.err
}

// span is where a line is in the output file.
type span struct{ off, n int64 }

// finishOutput leaves the output file at path with one line per key, its last, in the order
// scan gives the input's records (inShard selects those of this run); lines of keys
// the input does not have follow in file order. A file already so is left untouched. Otherwise
// the new file is written beside the old one under a hidden temporary name (".NAME.finish-*",
// which a folder input skips), fsynced and renamed over it, so a crash leaves either file
// whole. Only the position of each key's last line is held in memory.
func finishOutput(path string, scan func(func(batchRecord) error) error,
	inShard func(batchRecord) bool) error {
	src, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // an empty shard of an empty run
	}
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	defer src.Close()
	last := make(map[keyID]span)
	r := bufio.NewReaderSize(src, 64<<10)
	var size int64
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil {
			return fmt.Errorf("output: finishing: %w", err)
		}
		res, err := parseResult(line)
		if err != nil {
			return fmt.Errorf("output: finishing: %w", err)
		}
		last[idOf(res.key)] = span{size, int64(len(line))}
		size += int64(len(line))
	}
	order := make([]span, 0, len(last))
	err = scan(func(rec batchRecord) error {
		if !inShard(rec) {
			return nil
		}
		if s, ok := last[idOf(rec.key)]; ok {
			delete(last, idOf(rec.key))
			order = append(order, s)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("output: finishing: %w", err)
	}
	rest := slices.SortedFunc(maps.Values(last), func(a, b span) int { return cmp.Compare(a.off, b.off) })
	order = append(order, rest...)
	if inPlace(order, size) {
		return nil
	}
	if err := rewriteOutput(path, src, order); err != nil {
		return fmt.Errorf("output: finishing: %w", err)
	}
	return nil
}

// inPlace reports whether lines, one after the other, are the whole file of size bytes.
func inPlace(lines []span, size int64) bool {
	var off int64
	for _, s := range lines {
		if s.off != off {
			return false
		}
		off += s.n
	}
	return off == size
}

// rewriteOutput replaces the file at path, open as src, with its lines in the order given,
// keeping its permissions.
func rewriteOutput(path string, src *os.File, lines []span) error {
	st, err := src.Stat()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".finish-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	bw := bufio.NewWriterSize(f, 256<<10)
	for _, s := range lines {
		if _, err = io.Copy(bw, io.NewSectionReader(src, s.off, s.n)); err != nil {
			break
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(st.Mode().Perm())
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err == nil {
		syncDir(filepath.Dir(path))
	}
	return err
}

// syncDir fsyncs a directory so that a file created or renamed in it survives a system crash.
// Failures are ignored: some systems cannot sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
