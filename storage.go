package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/runtime"
)

// isStorageURL reports whether a batch's --input or --output names DIAL storage rather than a
// local path: a files URL ("files/<bucket>/…") or an absolute http(s) URL on the DIAL host. A
// local path that starts with "files/" is written "./files/…".
func isStorageURL(s string) bool {
	return strings.HasPrefix(s, "files/") || strings.HasPrefix(s, "https://") ||
		strings.HasPrefix(s, "http://")
}

// storageFolder is a folder of DIAL storage: the place a batch's parts are shared in.
type storageFolder struct {
	c   *dial.Client
	url dial.StorageURL
}

// newStorageFolder returns the folder at raw, a storage URL of c's server ending in '/'.
func newStorageFolder(c *dial.Client, raw string) (storageFolder, error) {
	u, err := c.ParseStorageURL(raw)
	if err != nil {
		return storageFolder{}, err
	}
	if !u.IsFolder() || u.Type() != dial.ResourceFiles {
		return storageFolder{}, fmt.Errorf("%s: not a files folder URL (it must end with '/')", raw)
	}
	return storageFolder{c: c, url: u}, nil
}

// file returns the URL of the file name in the folder.
func (f storageFolder) file(name string) (string, error) {
	u, err := f.url.Join(name)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// List returns the names of the files in the folder; a missing folder has none.
func (f storageFolder) List(ctx context.Context) ([]string, error) {
	files, err := listFiles(ctx, f.c, f.url)
	if errors.Is(err, dial.ErrNotFound) {
		return nil, nil
	}
	names := make([]string, len(files))
	for i, it := range files {
		names[i] = it.Name
	}
	return names, err
}

// listFiles returns the files (not the folders) of the folder u.
func listFiles(ctx context.Context, c *dial.Client, u dial.StorageURL) ([]dial.FileMetadata, error) {
	var files []dial.FileMetadata
	for it, err := range c.ListFiles(ctx, u.String()) {
		if err != nil {
			return nil, err
		}
		if !it.IsFolder() {
			files = append(files, it)
		}
	}
	return files, nil
}

// storageInput is a batch input in DIAL storage: a JSONL file, or a folder whose files are the
// records.
type storageInput struct {
	c   *dial.Client
	url dial.StorageURL
}

// Folder reports whether the input's URL ends with '/'.
func (in storageInput) Folder() bool { return in.url.IsFolder() }

// List returns the files of the folder.
func (in storageInput) List(ctx context.Context) ([]runtime.RemoteFile, error) {
	files, err := listFiles(ctx, in.c, in.url)
	if err != nil {
		return nil, err
	}
	out := make([]runtime.RemoteFile, len(files))
	for i, it := range files {
		out[i] = runtime.RemoteFile{Name: it.Name, URL: it.URL}
	}
	return out, nil
}

// Open streams the file.
func (in storageInput) Open(ctx context.Context) (io.ReadCloser, error) {
	return in.c.DownloadFile(ctx, in.url.String())
}

// Open streams the file name of the folder.
func (f storageFolder) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	u, err := f.file(name)
	if err != nil {
		return nil, err
	}
	return f.c.DownloadFile(ctx, u)
}

// Create uploads data as the file name with If-None-Match: *, so that it never replaces a
// file: a 412 is [runtime.ErrPartExists].
func (f storageFolder) Create(ctx context.Context, name string, data []byte) error {
	u, err := f.file(name)
	if err != nil {
		return err
	}
	_, err = f.c.UploadFile(ctx, u, bytes.NewReader(data), dial.IfNoneMatch("*"),
		dial.ContentType("application/x-ndjson"))
	if errors.Is(err, dial.ErrETagMismatch) {
		return fmt.Errorf("%w: %w", runtime.ErrPartExists, err)
	}
	return err
}

// storageInput returns the batch input at raw, a files URL on the session's DIAL server.
func (s *session) storageInput(raw string) (storageInput, error) {
	c, err := s.dial.Default()
	if err != nil {
		return storageInput{}, err
	}
	u, err := c.ParseStorageURL(raw)
	if err != nil {
		return storageInput{}, err
	}
	if u.Type() != dial.ResourceFiles {
		return storageInput{}, fmt.Errorf("%s: not a files URL", raw)
	}
	return storageInput{c: c, url: u}, nil
}

// storageFolder returns the storage folder at raw on the session's DIAL server.
func (s *session) storageFolder(raw string) (storageFolder, error) {
	c, err := s.dial.Default()
	if err != nil {
		return storageFolder{}, err
	}
	return newStorageFolder(c, raw)
}
