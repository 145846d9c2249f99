package dial

import (
	"net/url"
	"strings"
)

// Resource types of DIAL storage: the first segment of a storage URL.
const (
	ResourceFiles         = "files"
	ResourceConversations = "conversations"
	ResourcePrompts       = "prompts"
	ResourceApplications  = "applications"
	ResourceToolsets      = "toolsets"
)

// StorageURL is a validated DIAL storage URL: a resource type, a bucket and a path of
// segments, which is a folder when it ends in '/'. Its text form is relative to DIAL's /v1
// API, "files/<bucket>/<path>", with every segment percent-encoded exactly once.
//
// The zero value is not a valid URL; obtain one from [ParseStorageURL],
// [Client.ParseStorageURL] or [StorageURL.Join]. StorageURL is a small immutable value.
type StorageURL struct {
	typ    string
	bucket string
	segs   []string // decoded path segments below the bucket
	folder bool
}

// ParseStorageURL parses a storage URL relative to DIAL's /v1 API, such as
// "files/<bucket>/reports/q3%20summary.txt" or "files/<bucket>/reports/". Each segment is
// percent-decoded where it holds valid escapes and encoded again on output, so encoded and
// plain input name the same resource ("a b" and "a%20b") and nothing is encoded twice.
//
// It returns a [URLError] matching [ErrInvalidURL] for: an empty URL, a leading '/', a "v1/"
// or "v2/" prefix, an absolute URL (use [Client.ParseStorageURL]), an unknown resource type,
// a missing bucket or path, empty, "." or ".." segments, an encoded '/' and control
// characters. "files/<bucket>/" (the bucket root folder) is valid; "files/<bucket>" is not.
func ParseStorageURL(s string) (StorageURL, error) {
	switch {
	case s == "":
		return StorageURL{}, invalidURL(s, "empty URL")
	case strings.Contains(s, "://"):
		return StorageURL{}, invalidURL(s, "absolute URL: resolve it with Client.ParseStorageURL")
	case strings.HasPrefix(s, "/"):
		return StorageURL{}, invalidURL(s, "root-relative URL is not allowed")
	case strings.HasPrefix(s, "v1/") || strings.HasPrefix(s, "v2/"):
		return StorageURL{}, invalidURL(s, "API prefix as relative part is not allowed")
	}
	return parseRelative(s, s)
}

// parseRelative parses "type/bucket/path" (already stripped of any API prefix); input is what
// the caller passed, for error messages.
func parseRelative(rel, input string) (StorageURL, error) {
	folder := strings.HasSuffix(rel, "/")
	parts := strings.Split(strings.TrimSuffix(rel, "/"), "/")
	decoded := make([]string, len(parts))
	for i, p := range parts {
		d, err := checkSegment(p)
		if err != nil {
			return StorageURL{}, invalidURL(input, "%s", err.Error())
		}
		decoded[i] = d
	}
	u := StorageURL{typ: decoded[0], folder: folder}
	switch u.typ {
	case ResourceFiles, ResourceConversations, ResourcePrompts, ResourceApplications, ResourceToolsets:
	default:
		return StorageURL{}, invalidURL(input, "invalid resource type %q", u.typ)
	}
	if len(decoded) < 2 {
		return StorageURL{}, invalidURL(input, "missing bucket")
	}
	u.bucket = decoded[1]
	if len(decoded) == 2 && !folder {
		return StorageURL{}, invalidURL(input, "missing path after the bucket (the bucket root is %s/%s/)", u.typ, u.bucket)
	}
	u.segs = decoded[2:]
	return u, nil
}

// segmentError is the reason a path segment is refused.
type segmentError string

// Error returns the reason.
func (e segmentError) Error() string { return string(e) }

// checkSegment decodes one raw segment and validates it.
func checkSegment(raw string) (string, error) {
	if raw == "" {
		return "", segmentError("empty path segment")
	}
	d := unescapeLenient(raw)
	switch {
	case d == "." || d == "..":
		return "", segmentError(`"." and ".." segments are not allowed`)
	case strings.Contains(d, "/"):
		return "", segmentError("an encoded path separator is not allowed")
	case d == "":
		return "", segmentError("empty path segment")
	}
	for i := 0; i < len(d); i++ {
		if d[i] < 0x20 || d[i] == 0x7f {
			return "", segmentError("control characters are not allowed")
		}
	}
	return d, nil
}

// ParseStorageURL parses a storage URL relative to DIAL's /v1 API (see the package function
// [ParseStorageURL]) or absolute on this client's server, "<base>/v1/files/<bucket>/<path>"
// (query and fragment are dropped). An absolute URL on another host returns a [URLError]
// matching [ErrNotDialURL]; one outside <base>/v1/ matches [ErrInvalidURL].
func (c *Client) ParseStorageURL(s string) (StorageURL, error) {
	if !strings.Contains(s, "://") {
		return ParseStorageURL(s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return StorageURL{}, invalidURL(s, "cannot parse URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return StorageURL{}, invalidURL(s, "not an http or https URL")
	}
	if !strings.EqualFold(u.Host, c.base.Host) {
		return StorageURL{}, &URLError{URL: displayURL(s), Reason: "host differs from " + c.base.Host, Err: ErrNotDialURL}
	}
	api := c.base.Path + "v1/"
	p := u.EscapedPath()
	if !strings.HasPrefix(p, api) {
		return StorageURL{}, invalidURL(s, "path does not start with DIAL API path %s", api)
	}
	return parseRelative(p[len(api):], s)
}

// String returns the URL relative to DIAL's /v1 API, such as "files/b/reports/q3%20x.txt", with
// a trailing '/' for a folder, spelled as DIAL Core spells the URLs it returns (see the README's
// "URL spelling"), so it equals the url of the same item in metadata and listings. The zero
// value returns "".
func (u StorageURL) String() string { return u.format(escapeSegment) }

// requestForm is the text form sent to Core in request paths and bodies: [StorageURL.String]
// with ':' encoded (see [escapeRequestSegment]).
func (u StorageURL) requestForm() string { return u.format(escapeRequestSegment) }

// format joins the segments of u, each encoded with escape.
func (u StorageURL) format(escape func(string) string) string {
	if u.typ == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(escape(u.typ))
	b.WriteByte('/')
	b.WriteString(escape(u.bucket))
	for _, s := range u.segs {
		b.WriteByte('/')
		b.WriteString(escape(s))
	}
	if u.folder {
		b.WriteByte('/')
	}
	return b.String()
}

// IsZero reports whether u is the zero value.
func (u StorageURL) IsZero() bool { return u.typ == "" }

// Type returns the resource type: "files", "conversations", "prompts", "applications" or
// "toolsets".
func (u StorageURL) Type() string { return u.typ }

// Bucket returns the bucket, decoded.
func (u StorageURL) Bucket() string { return u.bucket }

// Path returns the decoded path below the bucket, segments joined with '/', ending in '/' for
// a folder; "" for the bucket root.
func (u StorageURL) Path() string {
	p := strings.Join(u.segs, "/")
	if u.folder && p != "" {
		p += "/"
	}
	return p
}

// Name returns the decoded last segment (a file or folder name), or "" for the bucket root.
func (u StorageURL) Name() string {
	if len(u.segs) == 0 {
		return ""
	}
	return u.segs[len(u.segs)-1]
}

// IsFolder reports whether u names a folder (its text ends in '/').
func (u StorageURL) IsFolder() bool { return u.folder }

// AsFolder returns u as a folder URL (with a trailing '/').
func (u StorageURL) AsFolder() StorageURL {
	u.folder = true
	return u
}

// Parent returns the folder containing u; the parent of the bucket root is the root itself.
func (u StorageURL) Parent() StorageURL {
	if len(u.segs) > 0 {
		u.segs = u.segs[: len(u.segs)-1 : len(u.segs)-1]
	}
	u.folder = true
	return u
}

// Join returns u extended by elems, which are plain names (not percent-encoded: "q3 summary"
// and "50%" are taken literally). An element may contain '/' to add several segments; a
// trailing '/' on the last element makes the result a folder, otherwise it is an item. It
// returns a [URLError] matching [ErrInvalidURL] for empty, "." or ".." segments and control
// characters.
func (u StorageURL) Join(elems ...string) (StorageURL, error) {
	if u.typ == "" {
		return StorageURL{}, invalidURL("", "join onto a zero StorageURL")
	}
	if len(elems) == 0 {
		return u, nil
	}
	segs := append([]string(nil), u.segs...)
	folder := false
	for _, e := range elems {
		if strings.HasPrefix(e, "/") {
			return StorageURL{}, invalidURL(u.String()+e, "joined element %q starts with '/'", e)
		}
		folder = strings.HasSuffix(e, "/")
		e = strings.TrimSuffix(e, "/")
		if e == "" {
			return StorageURL{}, invalidURL(u.String(), "empty path segment in joined element")
		}
		for _, s := range strings.Split(e, "/") {
			if s == "" || s == "." || s == ".." {
				return StorageURL{}, invalidURL(u.String()+e, `empty, "." and ".." segments are not allowed`)
			}
			for j := 0; j < len(s); j++ {
				if s[j] < 0x20 || s[j] == 0x7f {
					return StorageURL{}, invalidURL(u.String(), "control characters are not allowed")
				}
			}
			segs = append(segs, s)
		}
	}
	return StorageURL{typ: u.typ, bucket: u.bucket, segs: segs, folder: folder}, nil
}

// apiPath returns the request path "v1/<url>" relative to the base URL.
func (u StorageURL) apiPath() string { return "v1/" + u.requestForm() }

// metadataPath returns "v1/metadata/<url>".
func (u StorageURL) metadataPath() string { return "v1/metadata/" + u.requestForm() }

// AbsoluteURL returns u as an absolute URL on the client's server, "<base>/v1/<url>", with
// the spelling of [StorageURL.String].
func (c *Client) AbsoluteURL(u StorageURL) string { return c.baseStr + "v1/" + u.String() }

// SameStorageURL reports whether a and b name the same storage resource, whatever their
// spelling: relative or absolute on this client's server, with or without percent-encoding
// ("files/B/my+chat" and "http://host/v1/files/B/my%2Bchat" are the same). A URL that does
// not parse is the same as nothing.
func (c *Client) SameStorageURL(a, b string) bool {
	ua, err := c.ParseStorageURL(a)
	if err != nil {
		return false
	}
	ub, err := c.ParseStorageURL(b)
	return err == nil && ua.String() == ub.String()
}

// escapeSegment percent-encodes one decoded path segment the way DIAL Core spells the URLs it
// returns (Guava's URL path segment escaper): the unreserved characters of RFC 3986 (letters,
// digits, '-', '.', '_', '~'), the sub-delimiters !$&'()*+,;= and ':' and '@' stay literal;
// every other byte of the UTF-8 encoding becomes %XX with upper-case hex.
func escapeSegment(s string) string { return escapeBytes(s, coreLiteral) }

// escapeRequestSegment is [escapeSegment] with ':' encoded too. Core checks each segment of a
// request path as a URI before decoding it and refuses one whose ':' does not follow a valid
// scheme name ("1:2.txt"), so requests spell ':' as %3A, which Core decodes to the same name.
func escapeRequestSegment(s string) string { return escapeBytes(s, requestLiteral) }

// escapeBytes encodes every byte of s for which literal is false as %XX.
func escapeBytes(s string, literal func(byte) bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !literal(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if literal(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// coreLiteral reports the bytes Core leaves unencoded in a path segment.
func coreLiteral(c byte) bool {
	return unreserved(c) || strings.IndexByte("!$&'()*+,;=:@", c) >= 0
}

// requestLiteral reports the bytes left unencoded in a request path segment.
func requestLiteral(c byte) bool { return c != ':' && coreLiteral(c) }

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// unescapeLenient decodes valid %XX escapes and keeps everything else as it is, like Python's
// urllib.parse.unquote: "50% off" stays "50% off", "a%20b" becomes "a b". '+' is a plus.
func unescapeLenient(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// escapeID encodes a deployment or application id for a URL path: each '/'-separated segment
// is decoded leniently and encoded once, the separators are kept (custom application ids are
// storage paths). kind names the id in errors.
func escapeID(kind, id string) (string, error) {
	if id == "" {
		return "", invalidURL(id, "empty %s id", kind)
	}
	parts := strings.Split(id, "/")
	for i, p := range parts {
		d, err := checkSegment(p)
		if err != nil {
			return "", invalidURL(id, "%s id: %s", kind, err.Error())
		}
		parts[i] = escapeRequestSegment(d)
	}
	return strings.Join(parts, "/"), nil
}
