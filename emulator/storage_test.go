package emulator_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stResult is a response read in full.
type stResult struct {
	status int
	header http.Header
	body   string
}

// stDo sends an authenticated request to srv.URL+path with header name/value pairs.
func stDo(t testing.TB, srv *emulatortest.Server, method, path string, body io.Reader, headers ...string) stResult {
	t.Helper()
	return stDoKey(t, srv.Key, method, srv.URL+path, body, headers...)
}

// stDoKey sends a request with the API key key to url.
func stDoKey(t testing.TB, key, method, url string, body io.Reader, headers ...string) stResult {
	t.Helper()
	status, header, b := do(t, method, url, body, append([]string{"Api-Key", key}, headers...)...)
	return stResult{status, header, b}
}

// stMultipart builds a multipart body with one file part; an empty partType leaves the part's
// Content-Type out.
func stMultipart(t testing.TB, field, filename, partType string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
	if partType != "" {
		h.Set("Content-Type", partType)
	}
	pw, err := mw.CreatePart(h)
	require.NoError(t, err)
	_, err = pw.Write(content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

// stUpload uploads content to /v1/files/<path> (path includes the bucket) as a multipart PUT.
func stUpload(t testing.TB, srv *emulatortest.Server, path, content, partType string, headers ...string) stResult {
	t.Helper()
	body, ct := stMultipart(t, "file", "upload.bin", partType, []byte(content))
	headers = append([]string{"Content-Type", ct}, headers...)
	return stDo(t, srv, http.MethodPut, "/v1/files/"+path, body, headers...)
}

// stJSON decodes a JSON body into a map.
func stJSON(t testing.TB, body string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

// md5hex is the ETag Core gives content.
func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket
	up := stUpload(t, srv, b+"/folder1/folder2/file.png", "PNG bytes", "image/png")
	require.Equal(t, http.StatusOK, up.status, up.body)
	assert.Equal(t, md5hex("PNG bytes"), up.header.Get("ETag"), "unquoted lowercase MD5")
	assert.Equal(t, "application/json", up.header.Get("Content-Type"))
	m := stJSON(t, up.body)
	assert.Equal(t, "file.png", m["name"])
	assert.Equal(t, "folder1/folder2", m["parentPath"])
	assert.Equal(t, b, m["bucket"])
	assert.Equal(t, "files/"+b+"/folder1/folder2/file.png", m["url"])
	assert.Equal(t, "ITEM", m["nodeType"])
	assert.Equal(t, "FILE", m["resourceType"])
	assert.Equal(t, md5hex("PNG bytes"), m["etag"])
	assert.EqualValues(t, 9, m["contentLength"])
	assert.Equal(t, "image/png", m["contentType"])
	assert.Greater(t, m["createdAt"], float64(1.7e12), "epoch milliseconds")
	assert.Equal(t, m["createdAt"], m["updatedAt"])
	assert.NotContains(t, m, "items")

	down := stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/folder1/folder2/file.png", nil, "Range", "bytes=0-1")
	require.Equal(t, http.StatusOK, down.status, "Range is ignored")
	assert.Equal(t, "PNG bytes", down.body)
	assert.Equal(t, "image/png", down.header.Get("Content-Type"))
	assert.Equal(t, "9", down.header.Get("Content-Length"))
	assert.Equal(t, md5hex("PNG bytes"), down.header.Get("ETag"))
	assert.Empty(t, down.header.Get("Accept-Ranges"))

	// Overwriting keeps createdAt and changes the etag; the root item has a null parentPath.
	again := stUpload(t, srv, b+"/folder1/folder2/file.png", "new bytes", "image/png")
	require.Equal(t, http.StatusOK, again.status)
	m2 := stJSON(t, again.body)
	assert.Equal(t, m["createdAt"], m2["createdAt"])
	assert.GreaterOrEqual(t, m2["updatedAt"], m["updatedAt"])
	assert.Equal(t, md5hex("new bytes"), again.header.Get("ETag"))

	root := stUpload(t, srv, b+"/top.txt", "", "text/plain")
	require.Equal(t, http.StatusOK, root.status)
	assert.Contains(t, root.body, `"parentPath":null`)
	assert.Contains(t, root.body, `"contentLength":0`)
	empty := stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/top.txt", nil)
	assert.Equal(t, http.StatusOK, empty.status)
	assert.Equal(t, "0", empty.header.Get("Content-Length"))
	assert.Equal(t, md5hex(""), empty.header.Get("ETag"))
}

func TestUploadPartHandling(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket

	t.Run("field name is not checked and the content type defaults", func(t *testing.T) {
		t.Parallel()
		body, ct := stMultipart(t, "whatever", "x.bin", "", []byte("abc"))
		r := stDo(t, srv, http.MethodPut, "/v1/files/"+b+"/default.bin", body, "Content-Type", ct)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "application/octet-stream", stJSON(t, r.body)["contentType"])
		d := stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/default.bin", nil)
		assert.Equal(t, "application/octet-stream", d.header.Get("Content-Type"))
	})

	t.Run("the first part with a filename is the file", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		require.NoError(t, mw.WriteField("comment", "not the file"))
		fw, err := mw.CreateFormFile("data", "notes.txt")
		require.NoError(t, err)
		io.WriteString(fw, "the file")
		fw2, err := mw.CreateFormFile("data", "other.txt")
		require.NoError(t, err)
		io.WriteString(fw2, "ignored")
		require.NoError(t, mw.Close())
		r := stDo(t, srv, http.MethodPut, "/v1/files/"+b+"/first.txt", &buf,
			"Content-Type", mw.FormDataContentType())
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "the file", stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/first.txt", nil).body)
	})

	t.Run("non-ASCII filename in the part header", func(t *testing.T) {
		t.Parallel()
		body, ct := stMultipart(t, "file", "résumé 📄.txt", "text/plain; charset=utf-8", []byte("ok"))
		r := stDo(t, srv, http.MethodPut, "/v1/files/"+b+"/unicode.txt", body, "Content-Type", ct)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "text/plain; charset=utf-8", stJSON(t, r.body)["contentType"])
	})

	t.Run("chunked body without Content-Length", func(t *testing.T) {
		t.Parallel()
		body, ct := stMultipart(t, "file", "c.txt", "text/plain", []byte(strings.Repeat("z", 100000)))
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(func() error { _, err := io.Copy(pw, body); return err }()) }()
		r := stDo(t, srv, http.MethodPut, "/v1/files/"+b+"/chunked.txt", pr, "Content-Type", ct)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.EqualValues(t, 100000, stJSON(t, r.body)["contentLength"])
	})
}

func TestUploadErrors(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(func() emulator.Config {
		cfg := emulator.DefaultConfig()
		cfg.MaxUploadSize = 1000
		return cfg
	}()))
	b := srv.Bucket
	good, goodCT := stMultipart(t, "file", "f", "text/plain", []byte("x"))
	big, bigCT := stMultipart(t, "file", "f", "text/plain", bytes.Repeat([]byte("x"), 2000))
	noFile := func() (*bytes.Buffer, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("file", "no filename")
		mw.Close()
		return &buf, mw.FormDataContentType()
	}
	nf, nfCT := noFile()
	tests := []struct {
		name, path, ct string
		body           io.Reader
		chunked        bool
		status         int
		msg            string
	}{
		{"no content type", b + "/a.txt", "", bytes.NewReader(good.Bytes()), false, 400,
			"Request must have a content-type header to decode a multipart request"},
		{"not multipart", b + "/a.txt", "application/json", strings.NewReader("{}"), false, 400,
			"Request must have a valid content-type header to decode a multipart request"},
		{"no boundary", b + "/a.txt", "multipart/form-data", bytes.NewReader(good.Bytes()), false, 400,
			"Request must have a valid content-type header to decode a multipart request"},
		{"folder", b + "/dir/", goodCT, bytes.NewReader(good.Bytes()), false, 400, "File name is missing"},
		{"root", b + "/", goodCT, bytes.NewReader(good.Bytes()), false, 400, "File name is missing"},
		{"name ends with dot", b + "/a.", goodCT, bytes.NewReader(good.Bytes()), false, 400,
			"Resource name and/or parent folders must not end with .(dot)"},
		{"parent ends with dot", b + "/dir./a.txt", goodCT, bytes.NewReader(good.Bytes()), false, 400,
			"Resource name and/or parent folders must not end with .(dot)"},
		{"Content-Length over the limit", b + "/a.txt", bigCT, bytes.NewReader(big.Bytes()), false, 413,
			"Request body is too large"},
		{"chunked over the limit", b + "/a.txt", bigCT, bytes.NewReader(big.Bytes()), true, 413,
			"Request body is too large"},
		{"no file part", b + "/a.txt", nfCT, nf, false, 400, "File is missing in the multipart request"},
		{"truncated body", b + "/a.txt", goodCT, bytes.NewReader(good.Bytes()[:good.Len()-10]), false, 400,
			"Failed to upload file: files/" + b + "/a.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := tc.body
			if tc.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			r := stDo(t, srv, http.MethodPut, "/v1/files/"+tc.path, body, "Content-Type", tc.ct)
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.msg, r.body)
			assert.Empty(t, r.header.Get("Content-Type"), "Core's plain-text errors have no Content-Type")
		})
	}
	meta := stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/", nil)
	require.Equal(t, http.StatusOK, meta.status)
	assert.Contains(t, meta.body, `"items":[]`, "failed uploads store nothing")
}

func TestUploadExactlyAtTheLimit(t *testing.T) {
	t.Parallel()
	body, ct := stMultipart(t, "file", "f", "text/plain", bytes.Repeat([]byte("x"), 500))
	cfg := emulator.DefaultConfig()
	cfg.MaxUploadSize = int64(body.Len())
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	r := stDo(t, srv, http.MethodPut, "/v1/files/"+srv.Bucket+"/a", io.MultiReader(body), "Content-Type", ct)
	assert.Equal(t, http.StatusOK, r.status, "the limit bounds the whole body, inclusive")
}

func TestDownloadAndDelete(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket
	require.Equal(t, 200, stUpload(t, srv, b+"/dir/a.txt", "A", "text/plain").status)

	r := stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/dir/", nil)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "Can't download a folder", r.body)

	r = stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/dir/missing.txt", nil)
	assert.Equal(t, 404, r.status)
	assert.Empty(t, r.body)

	r = stDo(t, srv, http.MethodDelete, "/v1/files/"+b+"/dir/", nil)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "Folder not allowed: files/"+b+"/dir/", r.body)

	r = stDo(t, srv, http.MethodDelete, "/v1/files/"+b+"/dir/a.txt", nil)
	assert.Equal(t, 200, r.status)
	assert.Empty(t, r.body)

	r = stDo(t, srv, http.MethodDelete, "/v1/files/"+b+"/dir/a.txt", nil)
	assert.Equal(t, 404, r.status)
	assert.Equal(t, "Not found: files/"+b+"/dir/a.txt", r.body)

	r = stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/dir/", nil)
	assert.Equal(t, 404, r.status, "the folder vanished with its last item")

	for _, m := range []string{http.MethodPost, http.MethodPatch} {
		r = stDo(t, srv, m, "/v1/files/"+b+"/dir/a.txt", nil)
		assert.Equal(t, 502, r.status, m)
		assert.Equal(t, "No route", r.body)
	}
	r = stDo(t, srv, http.MethodGet, "/v1/files/"+b, nil)
	assert.Equal(t, 502, r.status, "a bucket without a path is not a resource route")
}

func TestBucketAccess(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	other := emulator.SecondBucket
	body, ct := stMultipart(t, "f", "f", "", []byte("x"))
	r := stDoKey(t, emulator.SecondKey, http.MethodPut, srv.URL+"/v1/files/"+other+"/x.txt", body,
		"Content-Type", ct)
	require.Equal(t, 200, r.status, "the second key writes its own bucket")

	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1/files/" + other + "/x.txt"},
		{http.MethodDelete, "/v1/files/" + other + "/x.txt"},
		{http.MethodPut, "/v1/files/" + other + "/my%20file.txt"},
		{http.MethodGet, "/v1/metadata/files/" + other + "/"},
		{http.MethodGet, "/v1/conversations/" + other + "/c"},
	} {
		r = stDo(t, srv, tc.method, tc.path, nil)
		assert.Equal(t, 403, r.status, tc.path)
		want := strings.TrimPrefix(strings.TrimPrefix(tc.path, "/v1/metadata/"), "/v1/")
		assert.Equal(t, "You don't have an access to: "+want, r.body)
	}
	for _, bucket := range []string{"not-alnum", "NoSuchBucket1"} {
		r = stDo(t, srv, http.MethodGet, "/v1/files/"+bucket+"/x.txt", nil)
		assert.Equal(t, 400, r.status, bucket)
		assert.Equal(t, "Url has invalid bucket: files/"+bucket+"/x.txt", r.body)
	}
	// A path error is reported before the access check, as in Core.
	r = stDo(t, srv, http.MethodGet, "/v1/files/"+other+"/a//b", nil)
	assert.Equal(t, 400, r.status)
}

func TestPathValidation(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket
	long := strings.Repeat("a", 200)

	// The blob path is "<bucket>/<path>": find the longest path that fits in 900 bytes.
	fits := strings.Repeat(long+"/", 4) + strings.Repeat("b", 900-len(b)-1-4*201)
	require.Equal(t, 200, stUpload(t, srv, b+"/"+fits, "x", "").status, "a path of exactly 900 bytes is stored")
	tests := []struct {
		name, path string
		status     int
		msg        string
	}{
		{"empty segment", "a//b.txt", 400, "Invalid path provided a//b.txt"},
		{"leading slash", "/b.txt", 400, "Invalid path provided /b.txt"},
		{"dot", "a/./b.txt", 400, "Invalid path provided a/./b.txt"},
		{"dot dot", "a/../b.txt", 400, "Invalid path provided a/../b.txt"},
		{"encoded dot dot", "a/%2E%2E/b.txt", 400, "Invalid path provided a/%2E%2E/b.txt"},
		{"encoded slash", "a%2Fb.txt", 400, "Invalid path provided a%2Fb.txt"},
		{"open brace", "a%7B.txt", 400, "Invalid path provided a%7B.txt"},
		{"close brace", "a%7D.txt", 400, "Invalid path provided a%7D.txt"},
		{"quote", "a%22.txt", 400, "Invalid path provided a%22.txt"},
		{"control character", "a%01.txt", 400, "Invalid path provided a%01.txt"},
		{"tab", "a%09.txt", 400, "Invalid path provided a%09.txt"},
		{"too long", fits + "c", 400, "Resource path exceeds max allowed size: 900"},
		{"longest allowed", fits, 200, "x"},
		{"colon after a name that is no URI scheme", "my%20file:v2.txt", 400,
			"Invalid path provided my%20file:v2.txt"},
		{"colon after a scheme-like name", "v2:my%20file.txt", 404, ""},
		{"plus is literal", "a+b.txt", 404, ""},
		{"unicode", "%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82.txt", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/"+tc.path, nil)
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.msg, r.body)
			if tc.status == 400 {
				m := stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/"+tc.path, nil)
				assert.Equal(t, 400, m.status, "metadata validates the same way")
				assert.Equal(t, tc.msg, m.body)
			}
		})
	}
	// Like Java's String.split, Core drops trailing empty segments: "dir//" is the folder "dir/".
	require.Equal(t, 200, stUpload(t, srv, b+"/dir/x", "x", "").status)
	r := stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/dir//", nil)
	require.Equal(t, 200, r.status)
	assert.Equal(t, "files/"+b+"/dir/", stJSON(t, r.body)["url"])
}

func TestURLEncodingOfNames(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket
	// Guava's path segment escaper keeps !$&'()*+,;=:@ and escapes the rest.
	r := stUpload(t, srv, b+"/my%20dir/x:a!$&'()*+,;=@%25~%C3%A9%3A.txt", "x", "text/plain")
	require.Equal(t, 200, r.status, r.body)
	m := stJSON(t, r.body)
	assert.Equal(t, "x:a!$&'()*+,;=@%~é:.txt", m["name"])
	assert.Equal(t, "my dir", m["parentPath"])
	assert.Equal(t, "files/"+b+"/my%20dir/x:a!$&'()*+,;=@%25~%C3%A9:.txt", m["url"])
	assert.Contains(t, r.body, "&'()", "URLs are not HTML-escaped")

	// The same item addressed with a different escaping is the same item.
	d := stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/my%20dir/x:a%21$&'()*+,;=@%25%7E%c3%a9%3A.txt", nil)
	assert.Equal(t, 200, d.status)
}

func TestConditionalRequests(t *testing.T) {
	t.Parallel()
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) {
			t.Parallel()
			cfg := emulator.DefaultConfig()
			cfg.LegacyIfMatch = legacy
			srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
			b := srv.Bucket
			file := "/v1/files/" + b + "/c.txt"
			v1 := md5hex("v1")
			missing := 412
			if legacy {
				missing = 0 // the header is ignored
			}

			// On a missing resource.
			r := stDo(t, srv, http.MethodGet, file, nil, "If-Match", "*")
			assert.Equal(t, or(missing, 404), r.status, "GET If-Match * on missing")
			r = stDo(t, srv, http.MethodDelete, file, nil, "If-Match", `"abc"`)
			assert.Equal(t, or(missing, 404), r.status, "DELETE If-Match on missing")
			if !legacy {
				assert.Equal(t, "Resource must exist", r.body)
			}
			r = stUpload(t, srv, b+"/c.txt", "v0", "", "If-Match", "abc")
			assert.Equal(t, or(missing, 200), r.status, "PUT If-Match on missing")
			if legacy {
				require.Equal(t, 200, stDo(t, srv, http.MethodDelete, file, nil).status)
			}

			// Create-only.
			r = stUpload(t, srv, b+"/c.txt", "v1", "", "If-None-Match", "*")
			require.Equal(t, 200, r.status)
			r = stUpload(t, srv, b+"/c.txt", "v2", "", "If-None-Match", "*")
			assert.Equal(t, 412, r.status)
			assert.Equal(t, "Resource already exists", r.body)

			// If-Match lists, quotes and *.
			r = stUpload(t, srv, b+"/c.txt", "v2", "", "If-Match", `"0000", "`+md5hex("other")+`"`)
			assert.Equal(t, 412, r.status)
			assert.Equal(t, "If-match condition is failed for etag: "+v1, r.body)
			r = stDo(t, srv, http.MethodGet, file, nil, "If-Match", "0000")
			assert.Equal(t, 412, r.status)
			r = stDo(t, srv, http.MethodGet, file, nil, "If-Match", `"0000","`+v1+`"`)
			assert.Equal(t, 200, r.status)
			assert.Equal(t, "v1", r.body)
			r = stDo(t, srv, http.MethodGet, file, nil, "If-Match", "*")
			assert.Equal(t, 200, r.status)

			// If-None-Match: 304 with the ETag on GET, 412 otherwise.
			r = stDo(t, srv, http.MethodGet, file, nil, "If-None-Match", `"`+v1+`"`)
			assert.Equal(t, 304, r.status)
			assert.Equal(t, v1, r.header.Get("ETag"))
			assert.Empty(t, r.body)
			r = stDo(t, srv, http.MethodGet, file, nil, "If-None-Match", "*")
			assert.Equal(t, 304, r.status)
			r = stDo(t, srv, http.MethodGet, file, nil, "If-None-Match", "0000")
			assert.Equal(t, 200, r.status)
			r = stUpload(t, srv, b+"/c.txt", "v2", "", "If-None-Match", v1)
			assert.Equal(t, 412, r.status)
			assert.Equal(t, "if-none-match condition is failed for etag: "+v1, r.body)
			r = stDo(t, srv, http.MethodDelete, file, nil, "If-None-Match", v1)
			assert.Equal(t, 412, r.status)

			// A matching If-Match lets the write through; DELETE too.
			r = stUpload(t, srv, b+"/c.txt", "v2", "", "If-Match", v1)
			require.Equal(t, 200, r.status)
			r = stDo(t, srv, http.MethodDelete, file, nil, "If-Match", v1)
			assert.Equal(t, 412, r.status)
			r = stDo(t, srv, http.MethodDelete, file, nil, "If-Match", md5hex("v2"))
			assert.Equal(t, 200, r.status)
		})
	}
}

// or returns a, or b when a is zero.
func or(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func TestConditionalPutIsAtomic(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket
	require.Equal(t, 200, stUpload(t, srv, b+"/race.txt", "base", "").status)
	base := md5hex("base")
	const writers = 16
	statuses := make([]int, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			statuses[i] = stUpload(t, srv, b+"/race.txt", fmt.Sprint("writer ", i), "", "If-Match", base).status
		})
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		if s == 200 {
			won++
		} else {
			assert.Equal(t, 412, s)
		}
	}
	assert.Equal(t, 1, won, "exactly one writer holding the old etag may win")
}
