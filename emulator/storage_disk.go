package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// diskStore persists resources in a data directory:
//
//	objects/<hash>.json        metadata sidecar of one resource (hash of its store key)
//	objects/<hash>.<id>.data   content of one version; never rewritten
//	tmp/<id>                   uploads in progress
//
// A version is committed by renaming its content into objects/ and then atomically replacing
// the sidecar, which names the content file; the old content file is removed last. A crash in
// between leaves only unreferenced files, which [openDisk] removes. One storage at a time may use
// a directory.
type diskStore struct {
	objects string
	tmp     string
}

// sidecar is the JSON metadata file of one resource.
type sidecar struct {
	Key           string `json:"key"`
	ContentType   string `json:"contentType"`
	ContentLength int64  `json:"contentLength"`
	Etag          string `json:"etag"`
	CreatedAt     int64  `json:"createdAt"`
	UpdatedAt     int64  `json:"updatedAt"`
	Author        string `json:"author,omitempty"`
	Data          string `json:"data"`
}

// openDisk opens or creates the data directory dir and loads every stored resource. It removes
// uploads left in progress and content files no sidecar refers to. A sidecar that cannot be
// read is an error, so a damaged directory is reported rather than silently emptied.
func openDisk(dir string) (*diskStore, map[string]*itemVersion, error) {
	d := &diskStore{objects: filepath.Join(dir, "objects"), tmp: filepath.Join(dir, "tmp")}
	if err := os.RemoveAll(d.tmp); err != nil {
		return nil, nil, fmt.Errorf("emulator storage: %w", err)
	}
	for _, p := range []string{d.objects, d.tmp} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, nil, fmt.Errorf("emulator storage: %w", err)
		}
	}
	names, err := os.ReadDir(d.objects)
	if err != nil {
		return nil, nil, fmt.Errorf("emulator storage: %w", err)
	}
	entries := map[string]*itemVersion{}
	used := map[string]bool{}
	for _, de := range names {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d.objects, de.Name()))
		if err != nil {
			return nil, nil, fmt.Errorf("emulator storage: %w", err)
		}
		var sc sidecar
		if err := json.Unmarshal(b, &sc); err != nil || sc.Key == "" || sc.Data == "" ||
			filepath.Base(sc.Data) != sc.Data {
			return nil, nil, fmt.Errorf("emulator storage: damaged metadata file %s",
				filepath.Join(d.objects, de.Name()))
		}
		used[sc.Data] = true
		entries[sc.Key] = &itemVersion{
			contentType: sc.ContentType,
			length:      sc.ContentLength,
			etag:        sc.Etag,
			createdAt:   sc.CreatedAt,
			updatedAt:   sc.UpdatedAt,
			author:      sc.Author,
			data:        &fileBlob{path: filepath.Join(d.objects, sc.Data)},
		}
	}
	for _, de := range names {
		if strings.HasSuffix(de.Name(), ".data") && !used[de.Name()] {
			os.Remove(filepath.Join(d.objects, de.Name()))
		}
	}
	return d, entries, nil
}

// keyHash names the files of the resource with store key key.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// tempFile creates a file for an upload in progress.
func (d *diskStore) tempFile() (*os.File, error) {
	return os.CreateTemp(d.tmp, "upload-")
}

// install moves the finished upload at tmpPath into objects/ as a content file of key.
func (d *diskStore) install(key, tmpPath string) (*fileBlob, error) {
	path := filepath.Join(d.objects, keyHash(key)+"."+strings.ToLower(rand.Text())+".data")
	if err := os.Rename(tmpPath, path); err != nil {
		return nil, err
	}
	return &fileBlob{path: path}, nil
}

// clone gives key its own content file with the content of src: a hard link when the file
// system allows it, else a copy.
func (d *diskStore) clone(key string, src *fileBlob) (*fileBlob, error) {
	path := filepath.Join(d.objects, keyHash(key)+"."+strings.ToLower(rand.Text())+".data")
	if err := os.Link(src.path, path); err == nil {
		return &fileBlob{path: path}, nil
	}
	in, err := os.Open(src.path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	out, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return &fileBlob{path: path}, nil
}

// save writes the sidecar of key atomically: a temporary file renamed over the old one.
func (d *diskStore) save(key string, e *itemVersion) error {
	fb, ok := e.data.(*fileBlob)
	if !ok {
		return errors.New("emulator storage: content is not in the data directory")
	}
	b, err := json.Marshal(sidecar{
		Key: key, ContentType: e.contentType, ContentLength: e.length, Etag: e.etag,
		CreatedAt: e.createdAt, UpdatedAt: e.updatedAt, Author: e.author,
		Data: filepath.Base(fb.path),
	})
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(d.tmp, "meta-")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(d.objects, keyHash(key)+".json"))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// remove deletes the sidecar of key; its content file is released by the caller.
func (d *diskStore) remove(key string) error {
	err := os.Remove(filepath.Join(d.objects, keyHash(key)+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
