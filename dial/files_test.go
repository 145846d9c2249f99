package dial

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func filesHome(t *testing.T, c *Client) string {
	t.Helper()
	home, err := c.MyFilesHome(t.Context())
	require.NoError(t, err)
	return home
}

func download(t *testing.T, c *Client, url string, opts ...CallOption) string {
	t.Helper()
	d, err := c.DownloadFile(t.Context(), url, opts...)
	require.NoError(t, err)
	defer d.Close()
	b, err := io.ReadAll(d)
	require.NoError(t, err)
	return string(b)
}

// The reference's integration checklist: upload then download gives identical bytes, each
// upload returns a new ETag, stale If-Match and If-None-Match "*" fail with ErrETagMismatch,
// and after delete metadata and download fail with ErrNotFound.
func TestFileLifecycle(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	home := filesHome(t, c)
	assert.Equal(t, "files/"+emulator.DefaultBucket+"/", home)
	url := home + "reports/q3 summary & notes #1.txt"

	m1, err := c.UploadFile(ctx, url, strings.NewReader("first version"), ContentType("text/plain"))
	require.NoError(t, err)
	assert.Equal(t, "q3 summary & notes #1.txt", m1.Name)
	assert.Equal(t, "reports", m1.ParentPath)
	sum := md5.Sum([]byte("first version"))
	assert.Equal(t, hex.EncodeToString(sum[:]), m1.ETag)
	assert.Equal(t, int64(len("first version")), m1.ContentLength)
	assert.NotEmpty(t, m1.Raw)
	// The server's URL names the same file as ours.
	su, err := c.ParseStorageURL(m1.URL)
	require.NoError(t, err)
	ours, err := c.ParseStorageURL(url)
	require.NoError(t, err)
	assert.Equal(t, ours.String(), su.String())

	d0, err := c.DownloadFile(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, "text/plain", d0.ContentType)
	require.NoError(t, d0.Close())
	assert.Equal(t, "first version", download(t, c, url))
	assert.Equal(t, "first version", download(t, c, c.AbsoluteURL(ours)), "absolute URLs work too")

	m2, err := c.UploadFile(ctx, url, strings.NewReader("second"), IfMatch(m1.ETag))
	require.NoError(t, err)
	assert.NotEqual(t, m1.ETag, m2.ETag)

	_, err = c.UploadFile(ctx, url, strings.NewReader("third"), IfMatch(m1.ETag))
	assert.ErrorIs(t, err, ErrETagMismatch, "stale If-Match")
	_, err = c.UploadFile(ctx, url, strings.NewReader("third"), IfNoneMatch("*"))
	assert.ErrorIs(t, err, ErrETagMismatch, "create-only on an existing file")
	_, err = c.DownloadFile(ctx, url, IfMatch(m1.ETag))
	assert.ErrorIs(t, err, ErrETagMismatch)
	d, err := c.DownloadFile(ctx, url, IfMatch(m2.ETag))
	require.NoError(t, err)
	assert.Equal(t, m2.ETag, d.ETag)
	assert.Equal(t, "q3 summary & notes #1.txt", d.Name)
	assert.Equal(t, "application/octet-stream", d.ContentType, "the second upload gave no content type")
	require.NoError(t, d.Close())

	meta, err := c.FileMetadata(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, m2.ETag, meta.ETag)
	assert.False(t, meta.IsFolder())

	assert.ErrorIs(t, c.DeleteFile(ctx, url, IfMatch(m1.ETag)), ErrETagMismatch)
	require.NoError(t, c.DeleteFile(ctx, url, IfMatch(m2.ETag)))
	_, err = c.FileMetadata(ctx, url)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = c.DownloadFile(ctx, url)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, c.DeleteFile(ctx, url), ErrNotFound)
}

// Folder URLs and wrong resource types are refused before any request.
func TestFileURLChecks(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	var requests int
	srv.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests++ }))
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	_, err := c.DownloadFile(ctx, "files/B/folder/")
	assert.ErrorIs(t, err, ErrInvalidURL)
	assert.Contains(t, err.Error(), "folder")
	_, err = c.UploadFile(ctx, "files/B/folder/", strings.NewReader("x"))
	assert.ErrorIs(t, err, ErrInvalidURL)
	assert.ErrorIs(t, c.DeleteFile(ctx, "files/B/"), ErrInvalidURL)
	_, err = c.UploadFile(ctx, "prompts/B/p", strings.NewReader("x"))
	assert.ErrorIs(t, err, ErrInvalidURL)
	assert.ErrorIs(t, c.MoveFile(ctx, "files/B/a", "conversations/B/a"), ErrInvalidURL)
	assert.ErrorIs(t, c.CopyFile(ctx, "files/B/../a", "files/B/a"), ErrInvalidURL)
	_, err = c.FileMetadata(ctx, "https://example.com/v1/files/B/a")
	assert.ErrorIs(t, err, ErrNotDialURL)
	for _, err := range c.ListFiles(ctx, "files/B/a//") {
		assert.ErrorIs(t, err, ErrInvalidURL)
	}
	assert.Zero(t, requests)
}

func TestListFiles(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	home := filesHome(t, c)
	var want []string
	for i := range 7 {
		url := fmt.Sprintf("%sdata/part-%d.txt", home, i)
		_, err := c.UploadFile(ctx, url, strings.NewReader(fmt.Sprint(i)))
		require.NoError(t, err)
		want = append(want, url)
	}
	for _, url := range []string{home + "data/sub/deep/x.txt", home + "top.txt"} {
		_, err := c.UploadFile(ctx, url, strings.NewReader("x"))
		require.NoError(t, err)
	}

	var pages int
	srv.Handle("GET /v1/metadata/files/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pages++
		srv.Emulator.ServeHTTP(w, r)
	}))
	var got []string
	for item, err := range c.ListFiles(ctx, home+"data", Limit(3)) {
		require.NoError(t, err)
		got = append(got, item.URL)
	}
	assert.Equal(t, 3, pages, "8 children in pages of 3")
	assert.Len(t, got, 8)
	assert.Contains(t, got, home+"data/sub/", "direct children include folders")

	pages = 0
	got = got[:0]
	for item, err := range c.ListFiles(ctx, home, Recursive(true), Limit(4)) {
		require.NoError(t, err)
		assert.False(t, item.IsFolder())
		got = append(got, item.URL)
	}
	assert.Equal(t, 3, pages, "9 files in pages of 4")
	slices.Sort(got)
	all := append(append([]string{}, want...), home+"data/sub/deep/x.txt", home+"top.txt")
	slices.Sort(all)
	assert.Equal(t, all, got)

	// Breaking out stops the listing.
	pages = 0
	for range c.ListFiles(ctx, home, Recursive(true), Limit(2)) {
		break
	}
	assert.Equal(t, 1, pages)

	page, err := c.FileMetadata(ctx, home+"data/", Limit(5))
	require.NoError(t, err)
	assert.True(t, page.IsFolder())
	assert.Len(t, page.Items, 5)
	assert.NotEmpty(t, page.NextToken)
	next, err := c.FileMetadata(ctx, home+"data/", Limit(5), PageToken(page.NextToken))
	require.NoError(t, err)
	assert.Len(t, next.Items, 3)
	assert.Empty(t, next.NextToken)

	root, err := c.FileMetadata(ctx, home)
	require.NoError(t, err)
	assert.True(t, root.IsFolder())

	for _, err := range c.ListFiles(ctx, home+"missing/") {
		assert.ErrorIs(t, err, ErrNotFound)
	}
	_, err = c.FileMetadata(ctx, home, Limit(1001))
	assert.Error(t, err)
}

func TestMoveCopy(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	home := filesHome(t, c)
	src, dst := home+"a b.txt", home+"archive/a b.txt"
	_, err := c.UploadFile(ctx, src, strings.NewReader("payload"))
	require.NoError(t, err)

	var body map[string]any
	srv.Handle("POST /v1/ops/resource/copy", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		r.Body = io.NopCloser(bytes.NewReader(raw))
		srv.Emulator.ServeHTTP(w, r)
	}))
	require.NoError(t, c.CopyFile(ctx, src, home+"copy.txt"))
	assert.Equal(t, map[string]any{"sourceUrl": "files/" + emulator.DefaultBucket + "/a%20b.txt",
		"destinationUrl": "files/" + emulator.DefaultBucket + "/copy.txt", "overwrite": false}, body)
	assert.Equal(t, "payload", download(t, c, home+"copy.txt"))
	assert.Error(t, c.CopyFile(ctx, src, home+"copy.txt"), "no overwrite by default")
	require.NoError(t, c.CopyFile(ctx, src, home+"copy.txt", Overwrite(true)))
	assert.Equal(t, true, body["overwrite"])

	require.NoError(t, c.MoveFile(ctx, src, dst))
	assert.Equal(t, "payload", download(t, c, dst))
	_, err = c.FileMetadata(ctx, src)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestUploadFilePathAndDownloadTo(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, _ := newTestClient(t, srv)
	ctx := t.Context()
	home := filesHome(t, c)
	dir := t.TempDir()
	local := filepath.Join(dir, "page.html")
	content := strings.Repeat("<p>hello</p>\n", 1000)
	require.NoError(t, os.WriteFile(local, []byte(content), 0o600))

	meta, err := c.UploadFilePath(ctx, home+"site/page.html", local)
	require.NoError(t, err)
	assert.Equal(t, mime.TypeByExtension(".html"), meta.ContentType)
	meta, err = c.UploadFilePath(ctx, home+"site/page.bin", local, ContentType("application/x-custom"))
	require.NoError(t, err)
	assert.Equal(t, "application/x-custom", meta.ContentType)
	_, err = c.UploadFilePath(ctx, home+"x", filepath.Join(dir, "missing"))
	assert.Error(t, err)

	dest := filepath.Join(dir, "out.html")
	info, err := c.DownloadFileTo(ctx, home+"site/page.html", dest)
	require.NoError(t, err)
	assert.Equal(t, int64(len(content)), info.ContentLength)
	assert.Equal(t, meta.ETag, info.ETag)
	got, err := os.ReadFile(dest)
	require.NoError(t, err)
	assert.Equal(t, content, string(got))

	_, err = c.DownloadFileTo(ctx, home+"site/missing.html", filepath.Join(dir, "never"))
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = os.Stat(filepath.Join(dir, "never"))
	assert.True(t, os.IsNotExist(err))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".part"), "no temporary file left behind")
	}
}

// Uploads are retried only when the body can be replayed.
func TestUploadRetries(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	var attempts int
	var bodies []string
	srv.Handle("PUT /v1/files/", emulatortest.Fail(1, http.StatusServiceUnavailable, 0, http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { srv.Emulator.ServeHTTP(w, r) })))
	srv.Handle("PUT /v1/files/"+emulator.DefaultBucket+"/probe.txt", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts++
		mr, err := r.MultipartReader()
		if err == nil {
			part, err := mr.NextPart()
			if err == nil {
				b, _ := io.ReadAll(part)
				bodies = append(bodies, part.FileName()+"|"+part.Header.Get("Content-Type")+"|"+string(b))
			}
		}
		if attempts == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"name":"probe.txt","nodeType":"ITEM"}`)
	}))
	c, w := newTestClient(t, srv)
	ctx := t.Context()
	home := filesHome(t, c)

	// A seekable body (here from its current offset) is replayed whole.
	r := strings.NewReader("skip:seekable body")
	_, _ = r.Seek(5, io.SeekStart)
	meta, err := c.UploadFile(ctx, home+"probe.txt", r)
	require.NoError(t, err)
	assert.Equal(t, "probe.txt", meta.Name)
	assert.Equal(t, []string{"probe.txt|application/octet-stream|seekable body", "probe.txt|application/octet-stream|seekable body"}, bodies)
	assert.Len(t, w.all(), 1)

	// A plain reader that was consumed is not retried.
	_, err = c.UploadFile(ctx, home+"once.txt", iotest.OneByteReader(strings.NewReader("stream")))
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	assert.NotContains(t, err.Error(), "giving up")
	_, err = c.UploadFile(ctx, home+"once.txt", iotest.OneByteReader(strings.NewReader("stream")))
	require.NoError(t, err, "the emulator's Fail passes the second request")
	assert.Equal(t, "stream", download(t, c, home+"once.txt"))
}

// The multipart body is framed correctly: one "file" part with an ASCII file name and the
// content type, and a Content-Length when the size is known.
func TestMultipartFraming(t *testing.T) {
	t.Parallel()
	for _, known := range []bool{true, false} {
		var src io.Reader = strings.NewReader("data")
		if !known {
			src = iotest.HalfReader(strings.NewReader("data"))
		}
		rb, err := multipartBody(`naïve "quoted".txt`, "text/plain", src)
		require.NoError(t, err)
		body, err := rb.open()
		require.NoError(t, err)
		raw, err := io.ReadAll(body)
		require.NoError(t, err)
		if known {
			assert.Equal(t, int64(len(raw)), rb.size)
		} else {
			assert.Equal(t, int64(-1), rb.size)
		}
		_, params, err := mime.ParseMediaType(rb.contentType)
		require.NoError(t, err)
		mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
		part, err := mr.NextPart()
		require.NoError(t, err)
		assert.Equal(t, "file", part.FormName())
		assert.Equal(t, "na_ve _quoted_.txt", part.FileName())
		assert.Equal(t, "text/plain", part.Header.Get("Content-Type"))
		b, _ := io.ReadAll(part)
		assert.Equal(t, "data", string(b))
		_, err = mr.NextPart()
		assert.Equal(t, io.EOF, err)
	}
}
