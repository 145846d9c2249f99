package runtime

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// RemoteInput is a batch input that is not a local path, such as a file or folder of DIAL
// storage (see [BatchOptions].RemoteInput). Its content is streamed, never held whole.
type RemoteInput interface {
	// Folder reports whether the input is a folder, whose files are the records, rather than
	// a JSONL file.
	Folder() bool
	// List returns the files of a folder input, in any order.
	List(ctx context.Context) ([]RemoteFile, error)
	// Open streams the content of a JSONL file input.
	Open(ctx context.Context) (io.ReadCloser, error)
}

// RemoteFile is a file of a remote folder input: a record, the table {url = URL, name = Name}.
type RemoteFile struct{ Name, URL string }

// scanRemote calls fn with every record of in, named name in errors, as [scanInput] does for a
// local input: the lines of a JSONL file, or the files of a folder (not starting with '.'),
// sorted by name.
func scanRemote(ctx context.Context, in RemoteInput, name string, check bool,
	fn func(batchRecord) error) error {
	if !in.Folder() {
		rc, err := in.Open(ctx)
		if err != nil {
			return fmt.Errorf("input: %w", err)
		}
		defer rc.Close()
		return scanJSONL(rc, name, check, fn)
	}
	files, err := in.List(ctx)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	slices.SortFunc(files, func(a, b RemoteFile) int { return cmp.Compare(a.Name, b.Name) })
	pos := 0
	for _, f := range files {
		if strings.HasPrefix(f.Name, ".") {
			continue
		}
		pos++
		if err := fn(batchRecord{pos: pos, key: jsonString(f.Name), url: f.URL,
			name: f.Name}); err != nil {
			return err
		}
	}
	return nil
}

// scanSource scans remote, named name, when it is not nil, else the local input at path
// skipping the file at skip (see [scanInput] and [scanRemote]).
func scanSource(ctx context.Context, remote RemoteInput, name, path, skip string, check bool,
	fn func(batchRecord) error) error {
	if remote != nil {
		return scanRemote(ctx, remote, name, check, fn)
	}
	return scanInput(path, skip, check, fn)
}
