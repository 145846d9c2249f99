package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/runtime"
)

// mergeUsage is the help of `dialua batch merge`, before its flags.
const mergeUsage = `Usage: dialua batch merge SRC --to DEST --input FILE|DIR|URL [flags]

Merges the parts a batch wrote to the folder SRC (a DIAL storage folder URL, or a local folder)
into the one JSONL file DEST (a local path, or a DIAL storage file URL): one line per record of
the input (the batch's --input), in input order, each key once. When a key has several results
(two processes of one shard ran it), the last success is kept, else the last failure. When a
record has no result, DEST is not written and the missing keys are listed on stderr.

Exit status: 0 when DEST was written, 1 when records are missing or the merge failed, 2 on a
usage error.

Flags:
`

// mergeFlags are the flags of `dialua batch merge`.
type mergeFlags struct{ to, input string }

// mergeFlagSet returns the flags of `dialua batch merge`, stored in f, with the connection
// flags stored in o.
func mergeFlagSet(f *mergeFlags, o *options) *pflag.FlagSet {
	return newFlagSet("dialua batch merge", true, func(fs *pflag.FlagSet) {
		fs.StringVar(&f.to, "to", "", "write the merged results to `DEST`, a local file or a storage file URL")
		fs.StringVar(&f.input, "input", "", "the batch's input, `FILE|DIR|URL`: the order of DEST and the keys it must have")
		o.connectionFlags(fs)
	})
}

// maxMissingListed bounds the missing keys merge lists.
const maxMissingListed = 100

// batchMerge is `dialua batch merge SRC --to DEST --input IN` with args (what follows
// "merge"). It returns the exit code. DIAL is reached (the session is set up) only when SRC,
// DEST or the input is a storage URL.
func (c *command) batchMerge(ctx context.Context, o *options, args []string) int {
	var f mergeFlags
	fs := mergeFlagSet(&f, o)
	usageError := func(msg string) int {
		fmt.Fprintf(c.stderr, "dialua batch merge: %s (see dialua batch merge --help)\n", msg)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if helpRequested(fs) {
		fmt.Fprint(c.stdout, mergeUsage+fs.FlagUsagesWrapped(100))
		return exitOK
	}
	switch {
	case fs.NArg() != 1:
		return usageError("want one SRC folder: dialua batch merge SRC --to DEST --input IN")
	case f.to == "":
		return usageError("--to is required")
	case f.input == "":
		return usageError("--input is required: it gives the order and the keys to expect")
	case isStorageURL(f.to) && strings.HasSuffix(f.to, "/"):
		return usageError(fmt.Sprintf("--to %s: a file URL, not a folder", f.to))
	}
	src := fs.Arg(0)
	fail := func(err error) int {
		fmt.Fprintf(c.stderr, "dialua batch merge: %s\n", strings.TrimPrefix(err.Error(), "merge: "))
		return exitFailure
	}
	merge := func(s *session) int {
		opts := runtime.MergeOptions{Parts: runtime.DirParts(src), Input: f.input}
		if isStorageURL(src) {
			parts, err := s.storageFolder(src)
			if err != nil {
				return fail(fmt.Errorf("%s: %w", src, err))
			}
			opts.Parts = parts
		}
		if isStorageURL(f.input) {
			in, err := s.storageInput(f.input)
			if err != nil {
				return fail(fmt.Errorf("--input: %w", err))
			}
			opts.RemoteInput = in
		}
		sum, err := mergeTo(ctx, s, opts, f.to)
		if err != nil {
			return fail(err)
		}
		if n := len(sum.Missing); n > 0 {
			listed := sum.Missing[:min(n, maxMissingListed)]
			more := ""
			if n > len(listed) {
				more = fmt.Sprintf(" and %d more", n-len(listed))
			}
			fmt.Fprintf(c.stderr, "dialua batch merge: %d of %d records have no result, %s not written: %s%s\n",
				n, sum.Records, f.to, strings.Join(listed, ", "), more)
			return exitFailure
		}
		fmt.Fprintf(c.stderr, "dialua batch merge: %s: %d records (%d duplicate results dropped, %d results for keys not in the input left out)\n",
			f.to, sum.Written, sum.Duplicates, sum.Foreign)
		return exitOK
	}
	if isStorageURL(src) || isStorageURL(f.to) || isStorageURL(f.input) {
		return c.session(ctx, o, merge)
	}
	return merge(nil)
}

// mergeTo merges into dest through a temporary file: beside dest, renamed over it when
// complete, or uploaded to dest when it is a storage URL. Nothing is written when records
// are missing.
func mergeTo(ctx context.Context, s *session, opts runtime.MergeOptions,
	dest string) (runtime.MergeSummary, error) {
	dir := ""
	if !isStorageURL(dest) {
		dir = filepath.Dir(dest)
	}
	tmp, err := os.CreateTemp(dir, ".dialua-merge-*")
	if err != nil {
		return runtime.MergeSummary{}, err
	}
	defer os.Remove(tmp.Name())
	sum, err := runtime.MergeParts(ctx, opts, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil || len(sum.Missing) > 0 {
		return sum, err
	}
	if !isStorageURL(dest) {
		return sum, os.Rename(tmp.Name(), dest)
	}
	client, err := s.dial.Default()
	if err == nil {
		_, err = client.UploadFilePath(ctx, dest, tmp.Name())
	}
	return sum, err
}
