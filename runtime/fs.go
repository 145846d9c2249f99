package runtime

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// fileSystem is how the Lua libraries of a host reach files: io.open, io.lines, loadfile,
// dofile, require, os.remove and os.rename all go through it. Relative names are relative to
// the host's working directory, never to the process's current directory.
type fileSystem interface {
	OpenFile(name string, flag int, perm os.FileMode) (*os.File, error)
	Remove(name string) error
	Rename(oldName, newName string) error
	Close() error
}

// SandboxError is the error of a file operation that the sandbox refused because the path
// leads outside the working directory, directly, through "..", or through a symbolic link.
type SandboxError struct {
	// Op is the operation: "open", "remove" or "rename".
	Op string
	// Path is the path the script gave.
	Path string
	// WorkDir is the directory the sandbox confines files to.
	WorkDir string
}

// Error returns "sandbox: open /etc/passwd: outside the working directory /work".
func (e *SandboxError) Error() string {
	return fmt.Sprintf("sandbox: %s %s: outside the working directory %s", e.Op, e.Path, e.WorkDir)
}

// hostFS is the trusted file system: any path, relative ones resolved against dir.
type hostFS struct{ dir string }

func (f hostFS) path(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(f.dir, name)
}

func (f hostFS) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(f.path(name), flag, perm)
}

func (f hostFS) Remove(name string) error { return os.Remove(f.path(name)) }

func (f hostFS) Rename(oldName, newName string) error {
	return os.Rename(f.path(oldName), f.path(newName))
}

func (hostFS) Close() error { return nil }

// sandboxFS confines every path to dir. Paths are first checked lexically (after cleaning
// "..") so that the error names the offending path, then opened through an [os.Root], which
// refuses symbolic links that lead out of the directory.
type sandboxFS struct {
	dir     string
	realDir string // dir with symbolic links resolved, for absolute paths given that way
	root    *os.Root
}

func newSandboxFS(dir string) (*sandboxFS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		realDir = dir
	}
	return &sandboxFS{dir: dir, realDir: realDir, root: root}, nil
}

// rel returns name relative to the sandbox directory, or a *SandboxError.
func (f *sandboxFS) rel(op, name string) (string, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.dir, p)
	}
	p = filepath.Clean(p)
	for _, base := range []string{f.dir, f.realDir} {
		rel, err := filepath.Rel(base, p)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return rel, nil
		}
	}
	return "", &SandboxError{Op: op, Path: name, WorkDir: f.dir}
}

// check turns the os.Root refusal of an escaping symbolic link into a *SandboxError.
func (f *sandboxFS) check(op, name string, err error) error {
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		return &SandboxError{Op: op, Path: name, WorkDir: f.dir}
	}
	return err
}

func (f *sandboxFS) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	rel, err := f.rel("open", name)
	if err != nil {
		return nil, err
	}
	file, err := f.root.OpenFile(rel, flag, perm)
	return file, f.check("open", name, err)
}

func (f *sandboxFS) Remove(name string) error {
	rel, err := f.rel("remove", name)
	if err != nil {
		return err
	}
	if rel == "." {
		return &SandboxError{Op: "remove", Path: name, WorkDir: f.dir}
	}
	return f.check("remove", name, f.root.Remove(rel))
}

func (f *sandboxFS) Rename(oldName, newName string) error {
	oldRel, err := f.rel("rename", oldName)
	if err != nil {
		return err
	}
	newRel, err := f.rel("rename", newName)
	if err != nil {
		return err
	}
	return f.check("rename", oldName, f.root.Rename(oldRel, newRel))
}

func (f *sandboxFS) Close() error { return f.root.Close() }

// readFile reads a whole file through fsys.
func readFile(fsys fileSystem, name string) ([]byte, error) {
	file, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if st, err := file.Stat(); err == nil && st.IsDir() {
		return nil, &os.PathError{Op: "read", Path: name, Err: fmt.Errorf("is a directory")}
	}
	return io.ReadAll(file)
}
