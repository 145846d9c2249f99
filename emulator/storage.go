package emulator

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// maxResourceSize bounds the JSON body of a conversation or prompt (Core's resources.maxSize).
const maxResourceSize = 64 << 20

// storage is the per-bucket resource store behind /v1/files, /v1/conversations, /v1/prompts,
// /v1/metadata and /v1/ops/resource. It keeps an index of every stored item in memory; the
// content is in memory too, or in a data directory ([Config.DataDir]) together with a metadata
// sidecar per item, so that a new storage over the same directory finds everything again.
//
// Folders are not stored: a folder exists while some item's path is under it.
//
// Every change is applied under one mutex after the new content has been received in full, so
// a conditional request's check and its write are atomic, and a reader always sees a complete
// version. Content is never rewritten in place: each version has its own blob.
type storage struct {
	maxUpload     int64
	legacyIfMatch bool
	buckets       map[string]bool // buckets that exist: every identity's and "public"
	disk          *diskStore      // nil in memory

	mu      sync.Mutex
	entries map[string]*itemVersion // current version of every item, by resource key

	// onChange, when set, is told of every change, under mu: it must not block.
	onChange func(url, action, etag string)
}

// changed reports a change of the item res to onChange.
func (s *storage) changed(res resource, action, etag string) {
	if s.onChange != nil {
		s.onChange(res.url(), action, etag)
	}
}

// createOrUpdate is the event action of a write over old.
func createOrUpdate(old *itemVersion) string {
	if old == nil {
		return "CREATE"
	}
	return "UPDATE"
}

// itemVersion is one stored version of an item. It is never changed once stored: a write
// stores a new one, so a pointer read under the mutex may be used after unlocking.
type itemVersion struct {
	contentType string
	length      int64
	etag        string // lowercase hex MD5 of the content
	createdAt   int64  // ms since the epoch
	updatedAt   int64
	author      string
	data        blob
}

// newStorage opens the storage of cfg: in memory, or in cfg.DataDir when set.
func newStorage(cfg Config) (*storage, error) {
	s := &storage{
		maxUpload:     cfg.MaxUploadSize,
		legacyIfMatch: cfg.LegacyIfMatch,
		buckets:       map[string]bool{"public": true},
		entries:       map[string]*itemVersion{},
	}
	if s.maxUpload <= 0 {
		s.maxUpload = defaultUploadSize
	}
	for _, id := range append(append([]Identity{}, cfg.Keys...), cfg.Tokens...) {
		s.buckets[newCaller(id).bucket] = true
	}
	if cfg.DataDir != "" {
		disk, entries, err := openDisk(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		s.disk, s.entries = disk, entries
	}
	return s, nil
}

// close releases the storage and its data directory. Stored data stays in the directory.
func (s *storage) close() error {
	if s.disk == nil {
		return nil
	}
	return s.disk.close()
}

// storeError is a request Core refuses, with the status and plain-text message it answers. A
// 304 carries the current etag for its ETag header.
type storeError struct {
	status int
	msg    string
	etag   string
}

func (e *storeError) Error() string { return e.msg }

// errNotFound is returned when the item does not exist; handlers choose the body.
const errNotFound constError = "not found"

// conditions are a request's If-Match and If-None-Match headers, parsed as Core parses them:
// values split on ',', surrounding spaces and quotes stripped, '*' meaning any; weak W/ tags
// are not understood.
type conditions struct {
	method         string
	ifMatch        map[string]bool // nil when the header is absent or '*'
	ifMatchAny     bool
	ifNoneMatch    map[string]bool
	ifNoneMatchAny bool
}

func parseConditions(r *http.Request) conditions {
	c := conditions{method: r.Method}
	if v := strings.TrimSpace(r.Header.Get("If-Match")); v == "*" {
		c.ifMatchAny = true
	} else if v != "" {
		c.ifMatch = parseTags(v)
	}
	if v := strings.TrimSpace(r.Header.Get("If-None-Match")); v == "*" {
		c.ifNoneMatchAny = true
	} else if v != "" {
		c.ifNoneMatch = parseTags(v)
	}
	return c
}

func parseTags(v string) map[string]bool {
	tags := map[string]bool{}
	for _, t := range strings.Split(v, ",") {
		tags[strings.Trim(strings.TrimSpace(t), `"`)] = true
	}
	return tags
}

// check evaluates the conditions against the current version, nil when the item does not
// exist, and returns nil when the request may proceed. If-Match on a missing item fails unless
// legacy is set (Core before RFC 9110 compliance ignored it). A matching If-None-Match answers
// 304 to GET and 412 to other methods.
func (c conditions) check(cur *itemVersion, legacy bool) *storeError {
	if cur == nil {
		if (c.ifMatchAny || c.ifMatch != nil) && !legacy {
			return &storeError{status: http.StatusPreconditionFailed, msg: "Resource must exist"}
		}
		return nil
	}
	if c.ifMatch != nil && !c.ifMatch[cur.etag] {
		return &storeError{status: http.StatusPreconditionFailed,
			msg: "If-match condition is failed for etag: " + cur.etag}
	}
	var msg string
	switch {
	case c.ifNoneMatchAny:
		msg = "Resource already exists"
	case c.ifNoneMatch[cur.etag]:
		msg = "if-none-match condition is failed for etag: " + cur.etag
	default:
		return nil
	}
	if c.method == http.MethodGet || c.method == http.MethodHead {
		return &storeError{status: http.StatusNotModified, etag: cur.etag}
	}
	return &storeError{status: http.StatusPreconditionFailed, msg: msg}
}

// precheck evaluates cond against the current version without writing, so an upload that is
// bound to fail is refused before its body is read. The write checks again.
func (s *storage) precheck(res resource, cond conditions) *storeError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cond.check(s.entries[res.key()], s.legacyIfMatch)
}

// write stores a new version of the item res. fill streams the content into its writer and
// returns the content type. Only after fill succeeds are the conditions checked and the
// version installed, atomically. createdAt and author carry over from the version replaced.
// Errors are fill's, a *storeError, or an I/O error of the data directory.
func (s *storage) write(res resource, cond conditions,
	fill func(io.Writer) (string, error)) (*itemVersion, error) {
	var (
		mem  *chunkWriter
		file *os.File
		dst  io.Writer
	)
	if s.disk == nil {
		mem = &chunkWriter{}
		dst = mem
	} else {
		f, err := s.disk.tempFile()
		if err != nil {
			return nil, err
		}
		file, dst = f, f
	}
	sum := md5.New()
	counter := &countWriter{}
	contentType, err := fill(io.MultiWriter(dst, sum, counter))
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		defer os.Remove(file.Name()) // no-op once installed
	}
	if err != nil {
		return nil, err
	}
	key := res.key()
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.entries[key]
	if serr := cond.check(old, s.legacyIfMatch); serr != nil {
		return nil, serr
	}
	now := time.Now().UnixMilli()
	e := &itemVersion{
		contentType: contentType,
		length:      counter.n,
		etag:        hex.EncodeToString(sum.Sum(nil)),
		createdAt:   now,
		updatedAt:   now,
	}
	if old != nil {
		e.createdAt, e.author = old.createdAt, old.author
	}
	if file == nil {
		e.data = mem.blob()
	} else {
		fb, err := s.disk.install(key, file.Name())
		if err != nil {
			return nil, err
		}
		e.data = fb
		if err := s.disk.save(key, e); err != nil {
			fb.release()
			return nil, err
		}
	}
	s.entries[key] = e
	if old != nil {
		old.data.release()
	}
	s.changed(res, createOrUpdate(old), e.etag)
	return e, nil
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// open returns the current version of res and a reader over its content, after checking cond.
// The reader stays valid if the item is overwritten or deleted meanwhile.
func (s *storage) open(res resource, cond conditions) (*itemVersion, io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[res.key()]
	if serr := cond.check(e, s.legacyIfMatch); serr != nil {
		return nil, nil, serr
	}
	if e == nil {
		return nil, nil, errNotFound
	}
	rc, err := e.data.open()
	if err != nil {
		return nil, nil, err
	}
	return e, rc, nil
}

// item returns the current version of res, or nil.
func (s *storage) item(res resource) *itemVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries[res.key()]
}

// delete removes the item res after checking cond.
func (s *storage) delete(res resource, cond conditions) error {
	key := res.key()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	if serr := cond.check(e, s.legacyIfMatch); serr != nil {
		return serr
	}
	if e == nil {
		return errNotFound
	}
	if s.disk != nil {
		if err := s.disk.remove(key); err != nil {
			return err
		}
	}
	delete(s.entries, key)
	e.data.release()
	s.changed(res, "DELETE", "")
	return nil
}

// transfer copies the item src to dst, removing src too when move is set. The destination is
// replaced only with overwrite. Errors carry Core's 400 messages.
func (s *storage) transfer(src, dst resource, overwrite, move bool) error {
	verb := "copy"
	if move {
		verb = "move"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	se := s.entries[src.key()]
	if se == nil {
		if move {
			return &storeError{status: http.StatusBadRequest,
				msg: "Source resource " + src.url() + " does not exist"}
		}
		return &storeError{status: http.StatusBadRequest,
			msg: "Source resource does not exist: " + src.url()}
	}
	de := s.entries[dst.key()]
	if de != nil && !overwrite {
		return &storeError{status: http.StatusBadRequest, msg: "Can't " + verb + " resource " +
			src.url() + " to " + dst.url() + ", because destination resource already exists"}
	}
	now := time.Now().UnixMilli()
	ne := &itemVersion{contentType: se.contentType, length: se.length, etag: se.etag,
		createdAt: now, updatedAt: now, author: se.author, data: se.data}
	if de != nil {
		ne.createdAt = de.createdAt
	}
	if s.disk != nil {
		fb, err := s.disk.clone(dst.key(), se.data.(*fileBlob))
		if err != nil {
			return err
		}
		ne.data = fb
		if err := s.disk.save(dst.key(), ne); err != nil {
			fb.release()
			return err
		}
	}
	s.entries[dst.key()] = ne
	if de != nil {
		de.data.release()
	}
	s.changed(dst, createOrUpdate(de), ne.etag)
	if move {
		if s.disk != nil {
			if err := s.disk.remove(src.key()); err != nil {
				return err
			}
		}
		delete(s.entries, src.key())
		se.data.release()
		s.changed(src, "DELETE", "")
	}
	return nil
}

// listNode is one entry of a folder listing: an item with its version, or a child folder.
type listNode struct {
	key  string       // store key; a folder's ends with '/'
	item *itemVersion // nil for a folder
}

// list returns the page of folder's children (or, recursively, of all items under it) that
// follows the node with key after ("" from the start), at most limit nodes, in key order, and
// whether more follow. exists is false when a folder other than the root has no items.
func (s *storage) list(folder resource, recursive bool, after string,
	limit int) (page []listNode, more, exists bool) {
	prefix := folder.key()
	var all []listNode
	s.mu.Lock()
	for k, e := range s.entries {
		if strings.HasPrefix(k, prefix) {
			all = append(all, listNode{key: k, item: e})
		}
	}
	s.mu.Unlock()
	exists = len(all) > 0 || folder.isRoot()
	if !recursive {
		folders := map[string]bool{}
		children := all[:0]
		for _, n := range all {
			rel := n.key[len(prefix):]
			if i := strings.IndexByte(rel, '/'); i >= 0 {
				fk := prefix + rel[:i+1]
				if !folders[fk] {
					folders[fk] = true
					children = append(children, listNode{key: fk})
				}
				continue
			}
			children = append(children, n)
		}
		all = children
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	start := sort.Search(len(all), func(i int) bool { return all[i].key > after })
	end := min(start+limit, len(all))
	return all[start:end], end < len(all) && limit > 0, exists
}
