package emulator

import (
	"strings"
	"unicode/utf8"
)

// maxPathSize is Core's limit on a resource's blob path in UTF-8 bytes.
const maxPathSize = 900

// resource is a parsed, validated resource address such as files/<bucket>/folder/name.txt.
// Segments are percent-decoded; a folder address ends with '/' and the bucket root is the folder
// with no segments.
type resource struct {
	typ      string   // URL word: "files", "conversations" or "prompts"
	bucket   string   // letters and digits
	segments []string // decoded path elements, each non-empty
	folder   bool
}

// pathBadRequest is a path Core rejects with 400 and msg.
func pathBadRequest(msg string) *storeError { return &storeError{status: 400, msg: msg} }

// parseResourcePath parses the escaped relative path of a resource in bucket the way Core's
// ResourceDescriptorFactory does. An empty path is the bucket root. The path is split on '/';
// like Java's String.split, trailing empty elements are dropped, so "a//" is the folder "a/".
// Every element must pass a java.net.URI syntax check, is then percent-decoded ('+' stays a
// plus) and must be a valid name (see validName). The blob path, "<bucket>/<decoded path>",
// must fit in maxPathSize bytes. Errors carry Core's messages.
func parseResourcePath(typ, bucket, rel string) (resource, error) {
	if strings.TrimSpace(rel) == "" {
		rel = "/"
	}
	invalid := pathBadRequest("Invalid path provided " + rel)
	elems := strings.Split(rel, "/")
	for len(elems) > 0 && elems[len(elems)-1] == "" {
		elems = elems[:len(elems)-1]
	}
	res := resource{typ: typ, bucket: bucket, folder: strings.HasSuffix(rel, "/")}
	size := len(bucket) + 1
	for _, e := range elems {
		if !uriSegmentOK(e) {
			return resource{}, invalid
		}
		name := percentDecode(e)
		if !validName(name) {
			return resource{}, invalid
		}
		res.segments = append(res.segments, name)
		size += len(name) + 1
	}
	if !res.folder {
		size-- // no separator after the item name
	}
	if size > maxPathSize {
		return resource{}, pathBadRequest("Resource path exceeds max allowed size: 900")
	}
	return res, nil
}

// parseResourceURL parses a resource URL from a request body ("files/<bucket>/a/b.txt") with
// Core's messages for malformed ones. It checks the shape and the path, not the bucket's owner.
func parseResourceURL(url string) (resource, error) {
	parts := strings.Split(url, "/")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	switch {
	case len(parts) < 2:
		return resource{}, pathBadRequest("Url has less than two segments: " + url)
	case strings.HasPrefix(url, "/"):
		return resource{}, pathBadRequest("Url must not start with /, but: " + url)
	case len(parts) == 2 && !strings.HasSuffix(url, "/"):
		return resource{}, pathBadRequest("Url must start with resource/bucket/, but: " + url)
	}
	typ := percentDecode(parts[0])
	if _, ok := resourceTypes[typ]; !ok {
		return resource{}, pathBadRequest("Unsupported resource type: " + typ)
	}
	bucket := percentDecode(parts[1])
	if !isBucketName(bucket) {
		return resource{}, pathBadRequest("Url has invalid bucket: " + url)
	}
	return parseResourcePath(typ, bucket, url[len(parts[0])+len(parts[1])+2:])
}

// validName reports whether a decoded path element is acceptable to Core: non-empty, not "." or
// "..", and free of control characters (≤ 0x1F), '/', '{', '}' and '"'.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if c <= 0x1F || c == '/' || c == '{' || c == '}' || c == '"' {
			return false
		}
	}
	return true
}

// uriSegmentOK reports whether an escaped element passes the java.net.URI parse Core runs
// before decoding: only URI characters (unreserved, sub-delims, ':', '@', non-ASCII) and
// well-formed %XX escapes, and when the element has a ':' the text before it must be a valid
// URI scheme with something after it. Core answers 500 for such elements; the emulator
// rejects them as invalid paths.
func uriSegmentOK(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		case c >= 0x80, isUnreserved(c), strings.IndexByte("!$&'()*+,;=:@", c) >= 0:
		default:
			return false
		}
	}
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return true
	}
	if colon == 0 || colon == len(s)-1 || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < colon; i++ {
		if c := s[i]; !isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// percentDecode decodes %XX escapes ('+' is kept) and replaces invalid UTF-8 with U+FFFD, as
// Core does when it turns the decoded bytes into a Java string. Malformed escapes are kept.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// escapeSegment encodes one decoded path element like Guava's urlPathSegmentEscaper, which
// Core uses for the URLs it sends: unreserved characters and !$&'()*+,;=:@ are kept, every other
// byte of the UTF-8 encoding becomes %XX with upper-case hex (a space is %20).
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || strings.IndexByte("!$&'()*+,;=:@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return isAlpha(c) || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// isRoot reports whether r is the bucket's root folder.
func (r resource) isRoot() bool { return len(r.segments) == 0 }

// name is the last element, or "" for the root.
func (r resource) name() string {
	if r.isRoot() {
		return ""
	}
	return r.segments[len(r.segments)-1]
}

// parentPath is the decoded parent folder path ("a/b"), or "" at the bucket root.
func (r resource) parentPath() string {
	if len(r.segments) < 2 {
		return ""
	}
	return strings.Join(r.segments[:len(r.segments)-1], "/")
}

// path is the decoded bucket-relative path, with a trailing '/' for folders ("" for the root).
func (r resource) path() string {
	p := strings.Join(r.segments, "/")
	if r.folder && p != "" {
		p += "/"
	}
	return p
}

// key identifies the resource in the store: "<typ>/<bucket>/<decoded path>". Keys of items
// under a folder share the folder's key as a prefix, and sort in full-path order.
func (r resource) key() string { return r.typ + "/" + r.bucket + "/" + r.path() }

// url is the resource URL as Core sends it: "<typ>/<bucket>/" and the escaped path.
func (r resource) url() string {
	var b strings.Builder
	b.WriteString(r.typ)
	b.WriteByte('/')
	b.WriteString(escapeSegment(r.bucket))
	b.WriteByte('/')
	for i, s := range r.segments {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(escapeSegment(s))
	}
	if r.folder && !r.isRoot() {
		b.WriteByte('/')
	}
	return b.String()
}

// dotted reports whether the name or a parent folder ends with '.', which Core refuses to store.
func (r resource) dotted() bool {
	for _, s := range r.segments {
		if strings.HasSuffix(s, ".") {
			return true
		}
	}
	return false
}

// resourceFromKey rebuilds a resource from a store key made by [resource.key].
func resourceFromKey(key string) resource {
	typ, rest, _ := strings.Cut(key, "/")
	bucket, p, _ := strings.Cut(rest, "/")
	r := resource{typ: typ, bucket: bucket, folder: p == "" || strings.HasSuffix(p, "/")}
	if p = strings.TrimSuffix(p, "/"); p != "" {
		r.segments = strings.Split(p, "/")
	}
	return r
}
