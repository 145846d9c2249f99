package dial

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newOfflineClient returns a client for URL parsing tests; it never sends a request.
func newOfflineClient(t *testing.T, base string) *Client {
	t.Helper()
	c, err := NewClient(base, WithAPIKey("offline-key"))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// The valid and invalid examples of reference-client.md §3.1 and §3.3, with the newest
// semantics, and the rules this package adds (folders keep their '/').
func TestParseStorageURLValid(t *testing.T) {
	t.Parallel()
	c := newOfflineClient(t, "https://dial.core")
	tests := []struct {
		name, in                       string
		typ, bucket, path, fname, want string
		folder                         bool
	}{
		{name: "relative file", in: "files/my-bucket/my-folder/my-file.txt", typ: "files", bucket: "my-bucket",
			path: "my-folder/my-file.txt", fname: "my-file.txt", want: "files/my-bucket/my-folder/my-file.txt"},
		{name: "absolute conversation", in: "https://dial.core/v1/conversations/my-bucket/conv-123.json",
			typ: "conversations", bucket: "my-bucket", path: "conv-123.json", fname: "conv-123.json",
			want: "conversations/my-bucket/conv-123.json"},
		{name: "absolute drops query", in: "https://dial.core/v1/files/bucket/file.txt?param=value",
			typ: "files", bucket: "bucket", path: "file.txt", fname: "file.txt", want: "files/bucket/file.txt"},
		{name: "encoded CJK in Core's spelling", in: "files/bucket/%E6%88%91%E7%9A%84%E6%96%87%E4%BB%B6%20%281%29.pdf",
			typ: "files", bucket: "bucket", path: "我的文件 (1).pdf", fname: "我的文件 (1).pdf",
			want: "files/bucket/%E6%88%91%E7%9A%84%E6%96%87%E4%BB%B6%20(1).pdf"},
		{name: "space", in: "files/b/my file.txt", typ: "files", bucket: "b", path: "my file.txt",
			fname: "my file.txt", want: "files/b/my%20file.txt"},
		{name: "encoded once", in: "files/b/my%20file.txt", typ: "files", bucket: "b", path: "my file.txt",
			fname: "my file.txt", want: "files/b/my%20file.txt"},
		{name: "percent", in: "files/b/50% off.txt", typ: "files", bucket: "b", path: "50% off.txt",
			fname: "50% off.txt", want: "files/b/50%25%20off.txt"},
		{name: "hash", in: "files/b/a#b.txt", typ: "files", bucket: "b", path: "a#b.txt", fname: "a#b.txt",
			want: "files/b/a%23b.txt"},
		{name: "question mark", in: "files/b/a?b.txt", typ: "files", bucket: "b", path: "a?b.txt",
			fname: "a?b.txt", want: "files/b/a%3Fb.txt"},
		{name: "ampersand", in: "files/b/a&b.txt", typ: "files", bucket: "b", path: "a&b.txt",
			fname: "a&b.txt", want: "files/b/a&b.txt"},
		{name: "encoded plus", in: "files/b/my%2Bchat", typ: "files", bucket: "b", path: "my+chat",
			fname: "my+chat", want: "files/b/my+chat"},
		{name: "brackets", in: "files/b/tag[1].txt", typ: "files", bucket: "b", path: "tag[1].txt",
			fname: "tag[1].txt", want: "files/b/tag%5B1%5D.txt"},
		{name: "non-ASCII", in: "files/b/naïve.txt", typ: "files", bucket: "b", path: "naïve.txt",
			fname: "naïve.txt", want: "files/b/na%C3%AFve.txt"},
		{name: "folder keeps slash", in: "files/b/folder1/folder2/", typ: "files", bucket: "b",
			path: "folder1/folder2/", fname: "folder2", want: "files/b/folder1/folder2/", folder: true},
		{name: "bucket root", in: "files/b/", typ: "files", bucket: "b", path: "", fname: "",
			want: "files/b/", folder: true},
		{name: "absolute folder", in: "https://dial.core/v1/files/b/dir/", typ: "files", bucket: "b",
			path: "dir/", fname: "dir", want: "files/b/dir/", folder: true},
		{name: "prompts", in: "prompts/b/p", typ: "prompts", bucket: "b", path: "p", fname: "p",
			want: "prompts/b/p"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := c.ParseStorageURL(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.typ, u.Type())
			assert.Equal(t, tt.bucket, u.Bucket())
			assert.Equal(t, tt.path, u.Path())
			assert.Equal(t, tt.fname, u.Name())
			assert.Equal(t, tt.folder, u.IsFolder())
			assert.Equal(t, tt.want, u.String())
			assert.Equal(t, "https://dial.core/v1/"+tt.want, c.AbsoluteURL(u))
			// The text form parses back to the same URL.
			again, err := ParseStorageURL(u.String())
			require.NoError(t, err)
			assert.Equal(t, u.String(), again.String())
		})
	}
}

func TestParseStorageURLInvalid(t *testing.T) {
	t.Parallel()
	c := newOfflineClient(t, "https://dial.core")
	tests := []struct {
		name, in string
		want     error
	}{
		{"missing bucket path", "files/file.txt", ErrInvalidURL},
		{"v2 prefix", "v2/files/my-bucket/file.txt", ErrInvalidURL},
		{"root-relative", "/files/test-bucket/files.txt", ErrInvalidURL},
		{"v1 prefix", "v1/files/test-bucket/files.txt", ErrInvalidURL},
		{"root-relative v1", "/v1/files/test-bucket/files.txt", ErrInvalidURL},
		{"absolute outside v1", "https://dial.core/v2/files/bucket/file.txt", ErrInvalidURL},
		{"other host", "https://example.com/files/my-bucket/file.txt", ErrNotDialURL},
		{"other host v1", "https://example.com/v1/files/my-bucket/file.txt", ErrNotDialURL},
		{"other port", "https://dial.core:8443/v1/files/b/f", ErrNotDialURL},
		{"empty", "", ErrInvalidURL},
		{"dot dot", "files/b/../other/x.txt", ErrInvalidURL},
		{"encoded dot dot", "files/b/%2e%2e/x.txt", ErrInvalidURL},
		{"dot", "files/b/./x.txt", ErrInvalidURL},
		{"empty segment", "files/b//x.txt", ErrInvalidURL},
		{"double trailing slash", "files/b/dir//", ErrInvalidURL},
		{"encoded slash", "files/b/a%2Fb.txt", ErrInvalidURL},
		{"control character", "files/b/a\x01b", ErrInvalidURL},
		{"unknown type", "things/b/x", ErrInvalidURL},
		{"type only", "files", ErrInvalidURL},
		{"empty bucket", "files//x", ErrInvalidURL},
		{"absolute dot dot", "https://dial.core/v1/files/b/../c/x", ErrInvalidURL},
		{"not http", "ftp://dial.core/v1/files/b/x", ErrInvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.ParseStorageURL(tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
			var ue *URLError
			require.ErrorAs(t, err, &ue)
			assert.NotEmpty(t, ue.Reason)
			assert.Contains(t, err.Error(), "dial: ")
		})
	}
}

func TestParseStorageURLResourceType(t *testing.T) {
	t.Parallel()
	c := newOfflineClient(t, "https://dial.core")
	_, err := c.parseTyped("files/my-bucket/file.txt", ResourceConversations)
	require.ErrorIs(t, err, ErrInvalidURL)
	assert.Contains(t, err.Error(), "expected conversations, got files")
	_, err = c.parseItem("files/b/dir/", ResourceFiles)
	require.ErrorIs(t, err, ErrInvalidURL)
	assert.Contains(t, err.Error(), "folder")
	// The package function refuses absolute URLs: it has no server to check them against.
	_, err = ParseStorageURL("https://dial.core/v1/files/b/x")
	assert.ErrorIs(t, err, ErrInvalidURL)
}

func TestParseStorageURLBasePath(t *testing.T) {
	t.Parallel()
	c := newOfflineClient(t, "http://127.0.0.1:9/dial")
	u, err := c.ParseStorageURL("http://127.0.0.1:9/dial/v1/files/B/x%20y.txt")
	require.NoError(t, err)
	assert.Equal(t, "files/B/x%20y.txt", u.String())
	assert.Equal(t, "http://127.0.0.1:9/dial/v1/files/B/x%20y.txt", c.AbsoluteURL(u))
	_, err = c.ParseStorageURL("http://127.0.0.1:9/v1/files/B/x.txt")
	assert.ErrorIs(t, err, ErrInvalidURL)
}

func TestURLErrorHidesSecrets(t *testing.T) {
	t.Parallel()
	c := newOfflineClient(t, "https://dial.core")
	_, err := c.ParseStorageURL("https://user:hunter2secret@example.com/v1/files/b/x?sig=topsecretsig")
	require.ErrorIs(t, err, ErrNotDialURL)
	assert.NotContains(t, err.Error(), "hunter2secret")
	assert.NotContains(t, err.Error(), "topsecretsig")
}

func TestStorageURLJoin(t *testing.T) {
	t.Parallel()
	home, err := ParseStorageURL("files/B/")
	require.NoError(t, err)
	tests := []struct {
		name  string
		elems []string
		want  string
		err   bool
	}{
		{"file", []string{"reports", "q3 summary.txt"}, "files/B/reports/q3%20summary.txt", false},
		{"folder", []string{"reports/"}, "files/B/reports/", false},
		{"nested in one element", []string{"a/b/c.txt"}, "files/B/a/b/c.txt", false},
		{"literal percent", []string{"50%25.txt"}, "files/B/50%2525.txt", false},
		{"sub-delimiters", []string{"a+b&c=(1).txt"}, "files/B/a+b&c=(1).txt", false},
		{"colon and at", []string{"x:y@z.txt"}, "files/B/x:y@z.txt", false},
		{"no elements", nil, "files/B/", false},
		{"dot dot", []string{".."}, "", true},
		{"dot dot inside", []string{"a/../b"}, "", true},
		{"empty", []string{""}, "", true},
		{"leading slash", []string{"/etc"}, "", true},
		{"double slash", []string{"a//b"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := home.Join(tt.elems...)
			if tt.err {
				assert.ErrorIs(t, err, ErrInvalidURL)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.String())
		})
	}
	f, err := home.Join("dir", "x.txt")
	require.NoError(t, err)
	assert.Equal(t, "files/B/dir/", f.Parent().String())
	assert.Equal(t, "files/B/", f.Parent().Parent().String())
	assert.Equal(t, "files/B/dir/x.txt/", f.AsFolder().String())
	_, err = StorageURL{}.Join("x")
	assert.ErrorIs(t, err, ErrInvalidURL)
	assert.True(t, StorageURL{}.IsZero())
	assert.Equal(t, "", StorageURL{}.String())
}

// Deployment and application ids are escaped segment by segment (openai-go pathparam_test,
// go-github ErrPathForbidden): '/' separators stay, everything else is encoded once, '..'
// and empty segments are refused.
func TestEscapeID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      bool
	}{
		{"gpt-4o", "gpt-4o", false},
		{"applications/B/folder/my app", "applications/B/folder/my%20app", false},
		{"applications/B/folder/my%20app", "applications/B/folder/my%20app", false},
		{"a?b#c", "a%3Fb%23c", false},
		{"applications/B/my+app (1)", "applications/B/my+app%20(1)", false},
		{"anthropic.claude-v3:0", "anthropic.claude-v3%3A0", false},
		{"", "", true},
		{"a/../b", "", true},
		{"../admin", "", true},
		{"a//b", "", true},
		{"a/", "", true},
		{"/a", "", true},
		{"a%2Fb", "", true},
		{".", "", true},
	}
	for _, tt := range tests {
		got, err := escapeID("deployment", tt.in)
		if tt.err {
			assert.ErrorIs(t, err, ErrInvalidURL, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestUnescapeLenient(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain": "plain", "a%20b": "a b", "50% off": "50% off", "%": "%", "%4": "%4",
		"%zz": "%zz", "a+b": "a+b", "%E2%82%AC": "€", "end%": "end%",
	} {
		assert.Equal(t, want, unescapeLenient(in), in)
	}
	assert.True(t, errors.Is(invalidURL("x", "r"), ErrInvalidURL))
}

// coreSegmentLiterals are the ASCII characters DIAL Core leaves unencoded in the path segments
// of the URLs it returns (Guava's urlPathSegmentEscaper): RFC 3986 unreserved characters,
// sub-delimiters, ':' and '@'.
const coreSegmentLiterals = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@"

// Every byte is spelled as Core spells it: a literal character or %XX with upper-case hex.
func TestEscapeSegmentEveryASCIICharacter(t *testing.T) {
	t.Parallel()
	for c := 0; c < 128; c++ {
		in := string(rune(c))
		want := fmt.Sprintf("%%%02X", c)
		if strings.ContainsRune(coreSegmentLiterals, rune(c)) {
			want = in
		}
		assert.Equal(t, want, escapeSegment(in), "character %q", in)
		wantReq := want
		if c == ':' {
			wantReq = "%3A"
		}
		assert.Equal(t, wantReq, escapeRequestSegment(in), "request form of %q", in)
		assert.Equal(t, in, unescapeLenient(escapeSegment(in)))
	}
}

// The examples of Core's own tests of its path segment encoding, and more UTF-8.
func TestEscapeSegmentAsCore(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"folder 1":                              "folder%201",
		"folder #":                              "folder%20%23",
		"файл.txt":                              "%D1%84%D0%B0%D0%B9%D0%BB.txt",
		"fo$l+=d,e#r 1":                         "fo$l+=d,e%23r%201",
		"[Playback]":                            "%5BPlayback%5D",
		"☻☻☹ϡ⍣ｼ":                                "%E2%98%BB%E2%98%BB%E2%98%B9%CF%A1%E2%8D%A3%EF%BD%BC",
		"gpt-35-turbo__(`~!@#$^*-_+[]'|<>.?\")": "gpt-35-turbo__(%60~!@%23$%5E*-_+%5B%5D'%7C%3C%3E.%3F%22)",
		"naïve €5 😀":                            "na%C3%AFve%20%E2%82%AC5%20%F0%9F%98%80",
	} {
		assert.Equal(t, want, escapeSegment(in), in)
		assert.Equal(t, in, unescapeLenient(escapeSegment(in)), in)
	}
}

// Requests encode ':' (Core refuses "1:2.txt" as a request path segment); the URL the client
// shows, and the absolute form, keep Core's spelling.
func TestStorageURLRequestForm(t *testing.T) {
	t.Parallel()
	c := newOfflineClient(t, "https://dial.core")
	u, err := c.ParseStorageURL("files/B/dir:1/1:2 +.txt")
	require.NoError(t, err)
	assert.Equal(t, "files/B/dir:1/1:2%20+.txt", u.String())
	assert.Equal(t, "v1/files/B/dir%3A1/1%3A2%20+.txt", u.apiPath())
	assert.Equal(t, "v1/metadata/files/B/dir%3A1/1%3A2%20+.txt", u.metadataPath())
	assert.Equal(t, "https://dial.core/v1/files/B/dir:1/1:2%20+.txt", c.AbsoluteURL(u))
}

func TestSameStorageURL(t *testing.T) {
	t.Parallel()
	c := newOfflineClient(t, "https://dial.core/")
	same := [][2]string{
		{"conversations/B/my+chat", "conversations/B/my%2Bchat"},
		{"conversations/B/my+chat", "https://dial.core/v1/conversations/B/my%2bchat"},
		{"files/B/a b/(1).txt", "files/B/a%20b/%281%29.txt"},
		{"files/B/dir/", "https://dial.core/v1/files/B/dir/"},
		{"files/B/%E2%82%AC", "files/B/€"},
	}
	for _, p := range same {
		assert.True(t, c.SameStorageURL(p[0], p[1]), "%s vs %s", p[0], p[1])
	}
	different := [][2]string{
		{"conversations/B/my+chat", "conversations/B/my chat"},
		{"files/B/dir/", "files/B/dir"},
		{"files/B/x", "prompts/B/x"},
		{"files/B/x", "https://other.host/v1/files/B/x"},
		{"files/B/x", "files/C/x"},
		{"files/B/x", ""},
		{"", ""},
	}
	for _, p := range different {
		assert.False(t, c.SameStorageURL(p[0], p[1]), "%s vs %s", p[0], p[1])
	}
}

// A URL joined from plain names is the url the server returns for the same item in its
// metadata and listings, names with ':' included.
func TestJoinedURLIsTheListedURL(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	home, err := ParseStorageURL(filesHome(t, c))
	require.NoError(t, err)
	var every strings.Builder // every printable ASCII character Core allows in a name
	for c := byte(' '); c < 0x7f; c++ {
		if !strings.ContainsRune(`/{}"`, rune(c)) {
			every.WriteByte(c)
		}
	}
	names := []string{"a+b&c=(1).txt", "1:2.txt", "x@y;z,!$'*~.txt", "naïve 😀 #1.txt", every.String()}
	joined := map[string]bool{}
	for _, name := range names {
		u, err := home.Join("sub", name)
		require.NoError(t, err)
		joined[u.String()] = true
		meta, err := c.UploadFile(t.Context(), u.String(), strings.NewReader("x"))
		require.NoError(t, err, name)
		assert.Equal(t, u.String(), meta.URL, name)
	}
	n := 0
	for item, err := range c.ListFiles(t.Context(), home.String()+"sub/") {
		require.NoError(t, err)
		assert.True(t, joined[item.URL], item.URL)
		n++
	}
	assert.Equal(t, len(names), n)
	// Copy and move name their URLs in the request body.
	require.NoError(t, c.CopyFile(t.Context(), home.String()+"sub/1:2.txt", home.String()+"sub/3:4.txt"))
	meta, err := c.FileMetadata(t.Context(), home.String()+"sub/3:4.txt")
	require.NoError(t, err)
	assert.Equal(t, home.String()+"sub/3:4.txt", meta.URL)
}
