package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DirParts is a [PartStore] on a local folder, the path.
type DirParts string

// List returns the names of the regular files of the folder; a missing folder has none.
func (d DirParts) List(context.Context) ([]string, error) {
	entries, err := os.ReadDir(string(d))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Open opens the file name of the folder.
func (d DirParts) Open(_ context.Context, name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(string(d), name))
}

// Create writes data to a hidden temporary file and links it as name, which fails when name
// exists: a part appears whole or not at all, and never replaces another.
func (d DirParts) Create(_ context.Context, name string, data []byte) error {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(string(d), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	err = os.Link(f.Name(), filepath.Join(string(d), name))
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s: %w", name, ErrPartExists)
	}
	if err == nil {
		syncDir(string(d))
	}
	return err
}
