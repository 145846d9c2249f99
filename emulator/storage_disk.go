package emulator

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// diskStore persists resources in a data directory:
//
//	objects/<hash>.json        metadata sidecar of one resource (hash of its store key)
//	objects/<hash>.<id>.data   content of one version; never rewritten
//	tmp/<id>                   uploads in progress
//	lock                       the process id of the storage using the directory
//
// A version is committed by renaming its content into objects/ and then atomically replacing
// the sidecar, which names the content file; the old content file is removed last. A crash in
// between leaves only unreferenced files, which [openDisk] removes. One storage at a time uses
// a directory: it holds an exclusive lock on the lock file while open, which the system drops
// when the process ends, even killed.
type diskStore struct {
	objects string
	tmp     string
	lock    *os.File
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

// openDisk opens or creates the data directory dir, locks it and loads every stored resource.
// It removes uploads left in progress and content files no sidecar refers to. A directory that
// another storage has open is an error that names the process holding it, and so is a sidecar
// that cannot be read, so a damaged directory is reported rather than silently emptied.
func openDisk(dir string) (*diskStore, map[string]*itemVersion, error) {
	lock, err := lockDir(dir)
	if err != nil {
		return nil, nil, err
	}
	d := &diskStore{objects: filepath.Join(dir, "objects"), tmp: filepath.Join(dir, "tmp"),
		lock: lock}
	entries, err := d.load()
	if err != nil {
		d.close()
		return nil, nil, err
	}
	return d, entries, nil
}

// ErrDataDirInUse is the error of [New] when another emulator, in this process or another, has
// the data directory open.
var ErrDataDirInUse = errors.New("is in use by another process")

// lockDir creates dir when missing and takes the lock of the data directory, writing this
// process's id into the lock file.
func lockDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("emulator storage: %w", err)
	}
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("emulator storage: %w", err)
	}
	held, err := tryLock(f)
	if err == nil && held {
		err = fmt.Errorf("data directory %s %w", dir, ErrDataDirInUse)
		if b, rerr := io.ReadAll(f); rerr == nil && len(bytes.TrimSpace(b)) > 0 {
			err = fmt.Errorf("data directory %s %w (pid %s)", dir, ErrDataDirInUse,
				bytes.TrimSpace(b))
		}
	}
	if err == nil {
		err = f.Truncate(0)
	}
	if err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("emulator storage: %w", err)
	}
	return f, nil
}

// close releases the directory's lock.
func (d *diskStore) close() error { return d.lock.Close() }

// load reads the sidecars of the data directory, removing what a crash left behind.
func (d *diskStore) load() (map[string]*itemVersion, error) {
	if err := os.RemoveAll(d.tmp); err != nil {
		return nil, fmt.Errorf("emulator storage: %w", err)
	}
	for _, p := range []string{d.objects, d.tmp} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, fmt.Errorf("emulator storage: %w", err)
		}
	}
	names, err := os.ReadDir(d.objects)
	if err != nil {
		return nil, fmt.Errorf("emulator storage: %w", err)
	}
	entries := map[string]*itemVersion{}
	used := map[string]bool{}
	for _, de := range names {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d.objects, de.Name()))
		if err != nil {
			return nil, fmt.Errorf("emulator storage: %w", err)
		}
		var sc sidecar
		if err := json.Unmarshal(b, &sc); err != nil || sc.Key == "" || sc.Data == "" ||
			filepath.Base(sc.Data) != sc.Data {
			return nil, fmt.Errorf("emulator storage: damaged metadata file %s",
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
	return entries, nil
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
