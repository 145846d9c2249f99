package runtime

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// MergeOptions configures [MergeParts].
type MergeOptions struct {
	// Parts holds the parts to merge. Required.
	Parts PartStore
	// Input is the batch's input, a local path (relative to WorkDir, the process's current
	// directory when empty), or RemoteInput when not nil, as in [BatchOptions]: it gives the
	// order of the merged file and the keys it must have.
	Input       string
	RemoteInput RemoteInput
	WorkDir     string
}

// MergeSummary is the outcome of [MergeParts].
type MergeSummary struct {
	// Records is the number of records of the input; Written the lines written.
	Records, Written int
	// Missing lists the keys (as JSON) of the records no part has a result for, in input
	// order; nothing is written when it is not empty.
	Missing []string
	// Duplicates counts the result lines left out because another line has the same key;
	// Foreign those whose key is not in the input.
	Duplicates, Foreign int
}

// MergeParts writes to w the results of the parts in opts.Parts, one line per record of the
// input, in input order. A key with several results (two processes of one shard ran it) is
// written once: its last success in part name order, else its last failure. When some record
// has no result, MergeParts writes nothing and returns the summary with Missing set. The parts
// are first copied to a temporary file, so only the position of each key's line is held in
// memory.
func MergeParts(ctx context.Context, opts MergeOptions, w io.Writer) (MergeSummary, error) {
	var sum MergeSummary
	tmp, err := os.CreateTemp("", "dialua-merge-*")
	if err != nil {
		return sum, fmt.Errorf("merge: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	last, lines, err := copyParts(ctx, opts.Parts, tmp)
	if err != nil {
		return sum, fmt.Errorf("merge: %w", err)
	}
	path := opts.Input
	if !filepath.IsAbs(path) && opts.WorkDir != "" {
		path = filepath.Join(opts.WorkDir, path)
	}
	var order []span
	err = scanSource(ctx, opts.RemoteInput, opts.Input, path, "", true, func(rec batchRecord) error {
		sum.Records++
		id := idOf(rec.key)
		s, ok := last[id]
		switch {
		case s.written:
			return fmt.Errorf("input: record %d: duplicate key %s", rec.pos, rec.key)
		case ok:
			order = append(order, s.span)
		default:
			sum.Missing = append(sum.Missing, rec.key)
		}
		last[id] = keySpan{written: true}
		return nil
	})
	if err != nil {
		return sum, fmt.Errorf("merge: %w", err)
	}
	for _, s := range last {
		if !s.written {
			sum.Foreign++
		}
	}
	sum.Duplicates = lines - len(order) - sum.Foreign
	if len(sum.Missing) > 0 {
		return sum, nil
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	for _, s := range order {
		if _, err := io.Copy(bw, io.NewSectionReader(tmp, s.off, s.n)); err != nil {
			return sum, fmt.Errorf("merge: %w", err)
		}
		sum.Written++
	}
	if err := bw.Flush(); err != nil {
		return sum, fmt.Errorf("merge: %w", err)
	}
	return sum, nil
}

// keySpan is the line kept for a key, or the mark of a key already taken from the input.
type keySpan struct {
	span
	failed  bool
	written bool
}

// copyParts appends every result line of the parts in store to f, in part name order, and
// returns the line kept for each key (its last success, else its last failure) and the
// number of lines.
func copyParts(ctx context.Context, store PartStore, f *os.File) (map[keyID]keySpan, int, error) {
	names, err := store.List(ctx)
	if err != nil {
		return nil, 0, err
	}
	last := make(map[keyID]keySpan)
	bw := bufio.NewWriterSize(f, 256<<10)
	var off int64
	lines := 0
	for _, name := range PartNames(names) {
		err := ReadPart(ctx, store, name, func(key string, failed bool, line []byte) error {
			if line[len(line)-1] != '\n' {
				line = append(line, '\n')
			}
			if _, err := bw.Write(line); err != nil {
				return err
			}
			id := idOf(key)
			if prev, ok := last[id]; !ok || !failed || prev.failed {
				last[id] = keySpan{span: span{off, int64(len(line))}, failed: failed}
			}
			off += int64(len(line))
			lines++
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, 0, err
	}
	return last, lines, nil
}
