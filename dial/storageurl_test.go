package dial

import (
	"errors"
	"testing"

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
		{name: "encoded CJK unchanged", in: "files/bucket/%E6%88%91%E7%9A%84%E6%96%87%E4%BB%B6%20%281%29.pdf",
			typ: "files", bucket: "bucket", path: "我的文件 (1).pdf", fname: "我的文件 (1).pdf",
			want: "files/bucket/%E6%88%91%E7%9A%84%E6%96%87%E4%BB%B6%20%281%29.pdf"},
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
			fname: "a&b.txt", want: "files/b/a%26b.txt"},
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
		{"reserved", []string{"a&b=c+d.txt"}, "files/B/a%26b%3Dc%2Bd.txt", false},
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
