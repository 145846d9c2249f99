package emulator

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseResourcePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rel string
		segments  []string
		folder    bool
		err       string
	}{
		{"root", "", nil, true, ""},
		{"blank root", "  ", nil, true, ""},
		{"item", "a/b.txt", []string{"a", "b.txt"}, false, ""},
		{"folder", "a/b/", []string{"a", "b"}, true, ""},
		{"trailing empties dropped", "a//", []string{"a"}, true, ""},
		{"decoded", "my%20dir/r%C3%A9sum%C3%A9+1", []string{"my dir", "résumé+1"}, false, ""},
		{"invalid UTF-8 replaced", "%FF", []string{"\uFFFD"}, false, ""},
		{"scheme-like colon", "a:b", []string{"a:b"}, false, ""},
		{"empty segment", "a//b", nil, false, "Invalid path provided a//b"},
		{"leading slash", "/a", nil, false, "Invalid path provided /a"},
		{"dot", ".", nil, false, "Invalid path provided ."},
		{"dot dot", "a/..", nil, false, "Invalid path provided a/.."},
		{"encoded slash", "a%2fb", nil, false, "Invalid path provided a%2fb"},
		{"brace", "%7B", nil, false, "Invalid path provided %7B"},
		{"quote", "%22", nil, false, "Invalid path provided %22"},
		{"control", "%1F", nil, false, "Invalid path provided %1F"},
		{"raw space", "a b", nil, false, "Invalid path provided a b"},
		{"raw brace", "a{", nil, false, "Invalid path provided a{"},
		{"bad escape", "a%2", nil, false, "Invalid path provided a%2"},
		{"bad escape hex", "a%zz", nil, false, "Invalid path provided a%zz"},
		{"leading colon", ":a", nil, false, "Invalid path provided :a"},
		{"trailing colon", "a:", nil, false, "Invalid path provided a:"},
		{"colon after non-scheme", "a%20b:c", nil, false, "Invalid path provided a%20b:c"},
		{"colon after digit", "1:c", nil, false, "Invalid path provided 1:c"},
		{"too long", strings.Repeat("x", 900-len("B/")+1), nil, false,
			"Resource path exceeds max allowed size: 900"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := parseResourcePath("files", "B", tc.rel)
			if tc.err != "" {
				require.Error(t, err)
				assert.Equal(t, tc.err, err.Error())
				assert.Equal(t, 400, err.(*storeError).status)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.segments, res.segments)
			assert.Equal(t, tc.folder, res.folder)
		})
	}
	res, err := parseResourcePath("files", "B", strings.Repeat("x", 900-len("B/")))
	require.NoError(t, err, "exactly 900 bytes")
	assert.Len(t, res.segments, 1)
	_, err = parseResourcePath("files", "B", strings.Repeat("x", 900-len("B/")-1)+"/")
	require.NoError(t, err, "a folder's trailing slash counts")
	_, err = parseResourcePath("files", "B", strings.Repeat("x", 900-len("B/"))+"/")
	require.Error(t, err)
}

func TestParseResourceURL(t *testing.T) {
	t.Parallel()
	res, err := parseResourceURL("files/B/a/b%20c.txt")
	require.NoError(t, err)
	assert.Equal(t, "files/B/a/b c.txt", res.key())
	assert.Equal(t, "files/B/a/b%20c.txt", res.url())
	res, err = parseResourceURL("prompts/B/")
	require.NoError(t, err)
	assert.True(t, res.isRoot())
	assert.Equal(t, "prompts/B/", res.url())
	for url, msg := range map[string]string{
		"files":       "Url has less than two segments: files",
		"/files/B/a":  "Url must not start with /, but: /files/B/a",
		"files/B":     "Url must start with resource/bucket/, but: files/B",
		"things/B/a":  "Unsupported resource type: things",
		"files/B-1/a": "Url has invalid bucket: files/B-1/a",
		"files//a":    "Url has invalid bucket: files//a",
		"files/B/a//": "", // the folder "a/"
		"files/B/%2F": "Invalid path provided %2F",
	} {
		_, err := parseResourceURL(url)
		if msg == "" {
			assert.NoError(t, err, url)
			continue
		}
		if assert.Error(t, err, url) {
			assert.Equal(t, msg, err.Error())
		}
	}
}

func TestEscapeSegment(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain-name_1.txt~":  "plain-name_1.txt~",
		"a b":                "a%20b",
		"!$&'()*+,;=:@":      "!$&'()*+,;=:@",
		"%/?#[]{}\"<>\\^`|":  "%25%2F%3F%23%5B%5D%7B%7D%22%3C%3E%5C%5E%60%7C",
		"é€":                 "%C3%A9%E2%82%AC",
		"\x7f":               "%7F",
		"\uFFFD replacement": "%EF%BF%BD%20replacement",
	} {
		assert.Equal(t, want, escapeSegment(in), in)
		assert.Equal(t, in, percentDecode(escapeSegment(in)), "decoding undoes escaping")
	}
}

func TestResourceFromKey(t *testing.T) {
	t.Parallel()
	for _, rel := range []string{"", "a/", "a/b.txt", "x%20y/z/"} {
		res, err := parseResourcePath("conversations", "B", rel)
		require.NoError(t, err)
		assert.Equal(t, res, resourceFromKey(res.key()), rel)
	}
}

// FuzzParsePath checks that the path parser never panics, that what it accepts is a valid
// resource within the size limit, and that a URL it builds parses back to the same resource.
// The seed corpus is in testdata/fuzz/FuzzParsePath.
func FuzzParsePath(f *testing.F) {
	f.Fuzz(func(t *testing.T, rel string) {
		res, err := parseResourcePath("files", "Bucket1", rel)
		if err != nil {
			perr, ok := err.(*storeError)
			require.True(t, ok)
			require.Equal(t, 400, perr.status)
			return
		}
		require.LessOrEqual(t, len("Bucket1/")+len(res.path()), maxPathSize)
		for _, s := range res.segments {
			require.True(t, validName(s), "%q", s)
			require.True(t, utf8.ValidString(s))
		}
		require.Equal(t, strings.HasSuffix(rel, "/") || strings.TrimSpace(rel) == "", res.folder)

		// Fully escaped segments always parse back to the same resource.
		escaped := make([]string, len(res.segments))
		for i, s := range res.segments {
			escaped[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
		}
		again := strings.Join(escaped, "/")
		if res.folder && again != "" {
			again += "/"
		}
		back, err := parseResourcePath("files", "Bucket1", again)
		require.NoError(t, err, again)
		require.Equal(t, res.key(), back.key())

		// So do the URLs Core sends, unless a raw ':' makes them unparsable, as in Core.
		if !strings.Contains(res.url(), ":") {
			back, err = parseResourceURL(res.url())
			require.NoError(t, err, res.url())
			require.Equal(t, res.key(), back.key())
		}
		require.Equal(t, res, resourceFromKey(res.key()))
	})
}
