package emulator_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/dialua/dialua/emulator"
)

// FuzzMultipartUpload sends arbitrary multipart bodies and content types to the upload handler.
// Nothing may panic, every answer must be one Core gives (200, 400 or 413), and a stored file
// must download with the etag, length and content type its upload reported. The seed corpus
// is in testdata/fuzz/FuzzMultipartUpload.
func FuzzMultipartUpload(f *testing.F) {
	cfg := emulator.DefaultConfig()
	cfg.MaxUploadSize = 4096
	e, err := emulator.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })
	const file = "/v1/files/" + emulator.DefaultBucket + "/fuzz/upload.bin"
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		req := httptest.NewRequest(http.MethodPut, file, bytes.NewReader(body))
		req.Header.Set("Api-Key", emulator.DefaultKey)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			return
		case http.StatusOK:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var meta struct {
			Etag          string `json:"etag"`
			ContentLength int64  `json:"contentLength"`
			ContentType   string `json:"contentType"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &meta); err != nil {
			t.Fatalf("upload answer %q: %v", rec.Body, err)
		}
		get := httptest.NewRequest(http.MethodGet, file, nil)
		get.Header.Set("Api-Key", emulator.DefaultKey)
		down := httptest.NewRecorder()
		e.ServeHTTP(down, get)
		sum := md5.Sum(down.Body.Bytes())
		switch {
		case down.Code != http.StatusOK:
			t.Fatalf("download status %d", down.Code)
		case hex.EncodeToString(sum[:]) != meta.Etag || down.Header().Get("ETag") != meta.Etag:
			t.Fatalf("etag %s, metadata %s, header %s",
				hex.EncodeToString(sum[:]), meta.Etag, down.Header().Get("ETag"))
		case int64(down.Body.Len()) != meta.ContentLength,
			down.Header().Get("Content-Length") != strconv.Itoa(down.Body.Len()):
			t.Fatalf("length %d, metadata %d", down.Body.Len(), meta.ContentLength)
		case down.Header().Get("Content-Type") != meta.ContentType || meta.ContentType == "":
			t.Fatalf("content type %q, metadata %q", down.Header().Get("Content-Type"), meta.ContentType)
		}
	})
}
