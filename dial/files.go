package dial

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// FileMetadata describes a stored file or folder as /v1/metadata and uploads return it (wire
// names are camelCase). For a folder, Items holds one page of its children and NextToken
// continues the listing. Members this type does not declare are kept in Extra, and Raw holds
// the object exactly as received.
type FileMetadata struct {
	// Name is the last path segment, decoded; "" for the bucket root.
	Name string `json:"name,omitempty"`
	// ParentPath is the decoded folder path below the bucket; "" at the root.
	ParentPath string `json:"parentPath,omitempty"`
	Bucket     string `json:"bucket,omitempty"`
	// URL is the storage URL, "files/<bucket>/<path>", with '/' at the end for a folder.
	URL string `json:"url,omitempty"`
	// NodeType is "ITEM" or "FOLDER"; ResourceType is "FILE" for files.
	NodeType     string `json:"nodeType,omitempty"`
	ResourceType string `json:"resourceType,omitempty"`
	// ETag is set for a single item (not for the children of a listing).
	ETag string `json:"etag,omitempty"`
	// CreatedAt and UpdatedAt are Unix milliseconds, zero when unknown.
	CreatedAt     int64          `json:"createdAt,omitempty"`
	UpdatedAt     int64          `json:"updatedAt,omitempty"`
	Author        string         `json:"author,omitempty"`
	ContentLength int64          `json:"contentLength,omitempty"`
	ContentType   string         `json:"contentType,omitempty"`
	Items         []FileMetadata `json:"items,omitzero"`
	NextToken     string         `json:"nextToken,omitempty"`
	Permissions   []string       `json:"permissions,omitzero"`

	Extra map[string]json.RawMessage `json:"-"`
	Raw   json.RawMessage            `json:"-"`
}

type fileMetadataJSON FileMetadata

var fileMetadataFields = jsonFields[fileMetadataJSON]()

// MarshalJSON encodes the typed fields and Extra (not Raw).
func (m FileMetadata) MarshalJSON() ([]byte, error) {
	return marshalExtra(fileMetadataJSON(m), m.Extra, fileMetadataFields)
}

// UnmarshalJSON decodes metadata, keeping undeclared members in Extra and a copy of b in Raw.
// The null names and paths of the bucket root decode as "".
func (m *FileMetadata) UnmarshalJSON(b []byte) error {
	*m = FileMetadata{}
	if err := unmarshalExtra(b, (*fileMetadataJSON)(m), &m.Extra, fileMetadataFields); err != nil {
		return err
	}
	m.Raw = bytes.Clone(b)
	return nil
}

// IsFolder reports whether the node is a folder.
func (m *FileMetadata) IsFolder() bool { return m.NodeType == "FOLDER" }

// Updated returns UpdatedAt as a time, the zero time when unknown.
func (m *FileMetadata) Updated() time.Time {
	if m.UpdatedAt == 0 {
		return time.Time{}
	}
	return time.UnixMilli(m.UpdatedAt)
}

// parseTyped parses a storage URL and checks its resource type.
func (c *Client) parseTyped(s, typ string) (StorageURL, error) {
	u, err := c.ParseStorageURL(s)
	if err != nil {
		return StorageURL{}, err
	}
	if u.Type() != typ {
		return StorageURL{}, invalidURL(s, "invalid resource type for URL: expected %s, got %s", typ, u.Type())
	}
	return u, nil
}

// UploadFile stores the content of body at fileURL, a files URL relative to /v1
// ("files/<bucket>/dir/name.txt") or absolute on the client's server, and returns the new
// metadata (with its ETag). The body is streamed as multipart/form-data and never held in
// memory. The stored content type is [ContentType]'s, or application/octet-stream. Use
// [IfMatch] to replace only a known version and IfNoneMatch("*") to create only; a failed
// condition matches [ErrETagMismatch].
//
// A body that is an [io.ReadSeeker] (an *os.File, a *bytes.Reader) is uploaded from its
// current offset with a Content-Length and can be retried; any other reader is sent chunked
// and retried only if the failure happened before it was read. UploadFile does not close
// body.
func (c *Client) UploadFile(ctx context.Context, fileURL string, body io.Reader, opts ...CallOption) (*FileMetadata, error) {
	u, err := c.parseItem(fileURL, ResourceFiles)
	if err != nil {
		return nil, err
	}
	if body == nil {
		return nil, errors.New("dial: UploadFile: nil body")
	}
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	rb, err := multipartBody(u.Name(), firstNonEmpty(cc.contentType, "application/octet-stream"), body)
	if err != nil {
		return nil, err
	}
	return c.put(ctx, &request{method: http.MethodPut, path: u.apiPath(), body: rb, cc: cc})
}

// put sends a PUT that stores a resource and returns the metadata DIAL answers with, its
// ETag taken from the header when the body has none.
func (c *Client) put(ctx context.Context, r *request) (*FileMetadata, error) {
	data, header, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	var meta FileMetadata
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, parseError(r.method, c.base.Path+r.path, err)
	}
	if meta.ETag == "" {
		meta.ETag = header.Get("ETag")
	}
	return &meta, nil
}

// UploadFilePath uploads the file at path (see [Client.UploadFile]), with the content type its
// extension implies unless [ContentType] is given. The file is streamed with a
// Content-Length, and reopened from the start on a retry.
func (c *Client) UploadFilePath(ctx context.Context, fileURL, path string, opts ...CallOption) (*FileMetadata, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dial: UploadFilePath: %w", err)
	}
	defer f.Close()
	ct := mime.TypeByExtension(filepath.Ext(path))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return c.UploadFile(ctx, fileURL, f, append([]CallOption{ContentType(ct)}, opts...)...)
}

// multipartBody frames src as the single "file" part of a multipart/form-data body. The
// framing is built up front, so the body is three readers in a row and needs no goroutine.
func multipartBody(name, contentType string, src io.Reader) (*requestBody, error) {
	var boundary [16]byte
	_, _ = rand.Read(boundary[:])
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary("dial-" + hex.EncodeToString(boundary[:])); err != nil {
		return nil, err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+partFilename(name)+`"`)
	h.Set("Content-Type", contentType)
	if _, err := mw.CreatePart(h); err != nil {
		return nil, err
	}
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := mw.Close(); err != nil {
		return nil, err
	}
	foot := bytes.Clone(buf.Bytes())
	rb := &requestBody{contentType: mw.FormDataContentType(), size: -1}

	if rs, ok := src.(io.ReadSeeker); ok {
		start, err1 := rs.Seek(0, io.SeekCurrent)
		end, err2 := rs.Seek(0, io.SeekEnd)
		if err1 == nil && err2 == nil && end >= start {
			if _, err := rs.Seek(start, io.SeekStart); err != nil {
				return nil, fmt.Errorf("dial: upload body: %w", err)
			}
			size := end - start
			rb.size = int64(len(head)) + size + int64(len(foot))
			first := true
			rb.open = func() (io.Reader, error) {
				if !first {
					if _, err := rs.Seek(start, io.SeekStart); err != nil {
						return nil, err
					}
				}
				first = false
				return io.MultiReader(bytes.NewReader(head), io.LimitReader(rs, size), bytes.NewReader(foot)), nil
			}
			return rb, nil
		}
	}
	// A plain reader: it can be sent again only while nothing has been read from it.
	tr := &touchReader{r: src}
	rb.open = func() (io.Reader, error) {
		return io.MultiReader(bytes.NewReader(head), tr, bytes.NewReader(foot)), nil
	}
	rb.replayable = func() bool { return !tr.touched.Load() }
	return rb, nil
}

// touchReader records whether anything was read from r.
type touchReader struct {
	r       io.Reader
	touched atomic.Bool
}

// Read reads from the wrapped reader and records that it was touched.
func (t *touchReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.touched.Store(true)
	}
	return n, err
}

// partFilename makes a name safe for the part's Content-Disposition: printable ASCII
// without quotes or backslashes. DIAL names the file by its URL, not by this header, and
// non-ASCII part headers once hung DIAL Core.
func partFilename(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "file"
	}
	return b.String()
}

// DownloadInfo describes a downloaded file.
type DownloadInfo struct {
	// Name is the file name, the last segment of its URL, decoded.
	Name string
	// ContentType and ETag are the response headers.
	ContentType string
	ETag        string
	// ContentLength is the size from the response headers, -1 when unknown; for
	// [Client.DownloadFileTo] it is the number of bytes written.
	ContentLength int64
}

// FileDownload is the content of a file being downloaded: an [io.ReadCloser] streaming the
// response body. Reads fail with [ErrTimeout] after the client's idle timeout without data,
// and with [ErrTransport] when the connection breaks (a short body is never taken for the
// whole file). The caller must Close it. It is not safe for concurrent use.
type FileDownload struct {
	DownloadInfo
	body io.ReadCloser
}

// Read reads file content.
func (d *FileDownload) Read(p []byte) (int, error) { return d.body.Read(p) }

// Close releases the connection; closing before the end abandons the transfer.
func (d *FileDownload) Close() error { return d.body.Close() }

// WriteTo copies the rest of the content to w, for io.Copy.
func (d *FileDownload) WriteTo(w io.Writer) (int64, error) {
	return io.CopyBuffer(w, d.body, make([]byte, 64<<10))
}

// DownloadFile starts downloading the file at fileURL and returns its content as a stream;
// nothing is buffered beyond what the caller reads. A folder URL is refused before any
// request ([ErrInvalidURL]); a missing file matches [ErrNotFound]. With [IfMatch] a changed
// file matches [ErrETagMismatch]; with [IfNoneMatch] an unchanged one returns an [*APIError]
// with status 304.
func (c *Client) DownloadFile(ctx context.Context, fileURL string, opts ...CallOption) (*FileDownload, error) {
	u, err := c.parseItem(fileURL, ResourceFiles)
	if err != nil {
		return nil, err
	}
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, &request{method: http.MethodGet, path: u.apiPath(), cc: cc})
	if err != nil {
		return nil, err
	}
	return &FileDownload{
		DownloadInfo: DownloadInfo{
			Name:          u.Name(),
			ContentType:   resp.Header.Get("Content-Type"),
			ETag:          resp.Header.Get("ETag"),
			ContentLength: resp.ContentLength,
		},
		body: resp.Body,
	}, nil
}

// DownloadFileTo downloads the file at fileURL into the local file dest, streaming it through
// a temporary file in dest's directory that is renamed into place only once complete, so dest
// is never left half-written. It returns the download's description with ContentLength set to
// the bytes written.
func (c *Client) DownloadFileTo(ctx context.Context, fileURL, dest string, opts ...CallOption) (DownloadInfo, error) {
	d, err := c.DownloadFile(ctx, fileURL, opts...)
	if err != nil {
		return DownloadInfo{}, err
	}
	defer d.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.part")
	if err != nil {
		return DownloadInfo{}, fmt.Errorf("dial: DownloadFileTo: %w", err)
	}
	n, err := d.WriteTo(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return DownloadInfo{}, err
	}
	info := d.DownloadInfo
	info.ContentLength = n
	return info, nil
}

// DeleteFile deletes the file at fileURL. DIAL has no folder deletion: a folder URL is refused
// before any request. A missing file matches [ErrNotFound]; with [IfMatch] a changed one
// matches [ErrETagMismatch].
func (c *Client) DeleteFile(ctx context.Context, fileURL string, opts ...CallOption) error {
	return c.deleteItem(ctx, fileURL, ResourceFiles, opts)
}

// FileMetadata returns the metadata of a file, or of a folder with one page of its children
// when fileURL ends in '/'. [Limit], [PageToken] and [Recursive] control the page. A missing
// item or non-root folder matches [ErrNotFound].
func (c *Client) FileMetadata(ctx context.Context, fileURL string, opts ...CallOption) (*FileMetadata, error) {
	return c.typedMetadata(ctx, ResourceFiles, fileURL, opts)
}

// typedMetadata is the metadata call of a storage URL of resource type typ.
func (c *Client) typedMetadata(ctx context.Context, typ, rawURL string, opts []CallOption) (*FileMetadata, error) {
	u, err := c.parseTyped(rawURL, typ)
	if err != nil {
		return nil, err
	}
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, err
	}
	return c.metadata(ctx, u, cc, cc.token)
}

func (c *Client) metadata(ctx context.Context, u StorageURL, cc *callConfig, token string) (*FileMetadata, error) {
	q := url.Values{}
	if cc.limit >= 0 {
		q.Set("limit", strconv.Itoa(cc.limit))
	}
	if token != "" {
		q.Set("token", token)
	}
	if cc.recursive {
		q.Set("recursive", "true")
	}
	var meta FileMetadata
	if err := c.callJSON(ctx, &request{method: http.MethodGet, path: u.metadataPath(), query: q, cc: cc}, &meta); err != nil {
		return nil, err
	}
	return &meta, nil
}

// ListFiles iterates over the children of the folder at folderURL (a trailing '/' is
// implied), following NextToken across pages; with Recursive(true) it yields every file
// below the folder at any depth (and no folder nodes). [Limit] sets the page size and
// [PageToken] a starting page. An error is yielded once, as (zero, err), and ends the
// iteration; a missing folder matches [ErrNotFound]. Each range over the iterator lists
// afresh.
func (c *Client) ListFiles(ctx context.Context, folderURL string, opts ...CallOption) iter.Seq2[FileMetadata, error] {
	return c.listTyped(ctx, ResourceFiles, folderURL, opts)
}

// listTyped is the listing of a folder URL of resource type typ.
func (c *Client) listTyped(ctx context.Context, typ, folderURL string, opts []CallOption) iter.Seq2[FileMetadata, error] {
	return func(yield func(FileMetadata, error) bool) {
		u, err := c.parseTyped(folderURL, typ)
		if err != nil {
			yield(FileMetadata{}, err)
			return
		}
		cc, err := newCallConfig(opts)
		if err != nil {
			yield(FileMetadata{}, err)
			return
		}
		u = u.AsFolder()
		token := cc.token
		seen := map[string]bool{}
		for {
			page, err := c.metadata(ctx, u, cc, token)
			if err != nil {
				yield(FileMetadata{}, err)
				return
			}
			for _, it := range page.Items {
				if !yield(it, nil) {
					return
				}
			}
			if page.NextToken == "" {
				return
			}
			if seen[page.NextToken] {
				yield(FileMetadata{}, parseError(http.MethodGet, c.base.Path+u.metadataPath(),
					errors.New("the server repeated a page token")))
				return
			}
			seen[page.NextToken] = true
			token = page.NextToken
		}
	}
}

// MoveFile moves the file at src to dst (POST /v1/ops/resource/move). An existing dst is an
// error unless [Overwrite] is given. Both URLs must be files URLs; they are checked before
// any request.
func (c *Client) MoveFile(ctx context.Context, src, dst string, opts ...CallOption) error {
	return c.resourceOp(ctx, "move", src, dst, opts)
}

// CopyFile copies the file at src to dst (POST /v1/ops/resource/copy), like [Client.MoveFile].
func (c *Client) CopyFile(ctx context.Context, src, dst string, opts ...CallOption) error {
	return c.resourceOp(ctx, "copy", src, dst, opts)
}

func (c *Client) resourceOp(ctx context.Context, op, src, dst string, opts []CallOption) error {
	su, err := c.parseTyped(src, ResourceFiles)
	if err != nil {
		return err
	}
	du, err := c.parseTyped(dst, ResourceFiles)
	if err != nil {
		return err
	}
	cc, err := newCallConfig(opts)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{
		"sourceUrl": su.requestForm(), "destinationUrl": du.requestForm(), "overwrite": cc.overwrite,
	})
	if err != nil {
		return err
	}
	_, _, err = c.call(ctx, &request{
		method: http.MethodPost, path: "v1/ops/resource/" + op, body: jsonBody(body), cc: cc,
	})
	return err
}
