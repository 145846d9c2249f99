package runtime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
)

// The io library of a host. It follows Lua 5.1 (with the 5.2 additions "*L", formats without
// "*", and write returning the file), but its standard streams are the host's Config.Stdin,
// Stdout and Stderr, files are reached through the host's file system (relative to the working
// directory, confined to it in the sandbox), and closing io.stdout leaves the process's stdout
// alone. gopher-lua's own io library is bound to os.Stdin/os.Stdout and cannot be redirected.

const fileTypeName = "FILE*"

// luaFile is the value of a Lua file handle.
type luaFile struct {
	name   string
	f      *os.File      // regular and temporary files; nil for standard streams and processes
	r      *bufio.Reader // nil when not readable, or not read from yet when src is set
	src    io.Reader     // the source r buffers, set until the first read (standard input)
	w      io.Writer     // nil when not writable; bw when buffered
	bw     *bufio.Writer // nil when writes are not buffered
	cmd    *exec.Cmd     // io.popen
	pipe   io.Closer     // the pipe to cmd
	std    bool          // a standard stream, which cannot be closed
	temp   bool          // removed when closed (io.tmpfile)
	closed bool
}

// reader returns the buffered reader of the file, nil when it is not readable.
func (f *luaFile) reader() *bufio.Reader {
	if f.r == nil && f.src != nil {
		f.r, f.src = bufio.NewReader(f.src), nil
	}
	return f.r
}

// discardReadAhead moves the file offset back over data read ahead but not consumed, before a
// write or seek on a file opened for both.
func (f *luaFile) discardReadAhead() error {
	if f.f == nil || f.r == nil || f.r.Buffered() == 0 {
		return nil
	}
	_, err := f.f.Seek(-int64(f.r.Buffered()), io.SeekCurrent)
	f.r.Reset(f.f)
	return err
}

func (f *luaFile) flush() error {
	if f.bw == nil {
		return nil
	}
	return f.bw.Flush()
}

// close closes the file; for a process it waits for it and returns its exit status.
func (f *luaFile) close() (int, error) {
	f.closed = true
	errs := []error{f.flush()}
	status := 0
	if f.cmd != nil {
		errs = append(errs, f.pipe.Close())
		status = exitStatus(f.cmd.Wait())
	}
	if f.f != nil {
		errs = append(errs, f.f.Close())
		if f.temp {
			errs = append(errs, os.Remove(f.f.Name()))
		}
	}
	return status, errors.Join(errs...)
}

type ioLib struct {
	h      *Host
	mt     *lua.LTable
	stdin  *lua.LUserData
	stdout *lua.LUserData
	input  *lua.LUserData // io.input()
	output *lua.LUserData // io.output()
	// tracked are the files a run's end must flush and the host's close must close: writable
	// files and processes. Read-only files are left to the Go collector, as Lua leaves them to
	// its own.
	tracked map[*luaFile]struct{}
}

func openIO(h *Host, L *lua.LState) *ioLib {
	lib := &ioLib{h: h, tracked: make(map[*luaFile]struct{})}
	lib.mt = L.NewTypeMetatable(fileTypeName)
	lib.mt.RawSetString("__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"close":   lib.fileClose,
		"flush":   lib.fileFlush,
		"lines":   lib.fileLines,
		"read":    lib.fileRead,
		"seek":    lib.fileSeek,
		"setvbuf": lib.fileSetvbuf,
		"write":   lib.fileWrite,
	}))
	lib.mt.RawSetString("__tostring", L.NewFunction(lib.fileToString))

	stdin := h.cfg.Stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	lib.stdin = lib.newFile(L, &luaFile{name: "stdin", src: stdin, std: true})
	lib.stdout = lib.newFile(L, &luaFile{name: "stdout", w: h.stdout, std: true})
	stderr := lib.newFile(L, &luaFile{name: "stderr", w: h.stderr, std: true})
	lib.input, lib.output = lib.stdin, lib.stdout

	funcs := map[string]lua.LGFunction{
		"close":   lib.ioClose,
		"flush":   lib.ioFlush,
		"input":   lib.ioInput,
		"lines":   lib.ioLines,
		"open":    lib.ioOpen,
		"output":  lib.ioOutput,
		"popen":   lib.ioPopen,
		"read":    lib.ioRead,
		"tmpfile": lib.ioTmpfile,
		"type":    lib.ioType,
		"write":   lib.ioWrite,
	}
	if h.cfg.Sandbox {
		delete(funcs, "popen")
		delete(funcs, "tmpfile")
	}
	mod := L.RegisterModule(lua.IoLibName, funcs).(*lua.LTable)
	mod.RawSetString("stdin", lib.stdin)
	mod.RawSetString("stdout", lib.stdout)
	mod.RawSetString("stderr", stderr)
	return lib
}

func (lib *ioLib) newFile(L *lua.LState, f *luaFile) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = f
	ud.Metatable = lib.mt
	if f.cmd != nil || (f.f != nil && f.w != nil) {
		lib.tracked[f] = struct{}{}
	}
	return ud
}

func (lib *ioLib) stdinReader() io.Reader { return lib.stdin.Value.(*luaFile).reader() }

// flush writes out what scripts left in file buffers; it runs at the end of every run.
func (lib *ioLib) flush() {
	for f := range lib.tracked {
		_ = f.flush() // a later close reports the error again
	}
}

// closeAll closes the tracked files.
func (lib *ioLib) closeAll() error {
	var errs []error
	for f := range lib.tracked {
		if !f.closed {
			_, err := f.close()
			errs = append(errs, err)
		}
		delete(lib.tracked, f)
	}
	return errors.Join(errs...)
}

// checkFile returns the open file at stack index n.
func checkFile(L *lua.LState, n int) *luaFile {
	f := toFile(L.Get(n))
	if f == nil {
		L.ArgError(n, "file expected")
	}
	if f.closed {
		L.RaiseError("attempt to use a closed file")
	}
	return f
}

func toFile(v lua.LValue) *luaFile {
	if ud, ok := v.(*lua.LUserData); ok {
		if f, ok := ud.Value.(*luaFile); ok {
			return f
		}
	}
	return nil
}

// failure pushes nil and a message, the result of a file operation that failed.
func failure(L *lua.LState, err error) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(err.Error()))
	return 2
}

func (lib *ioLib) read(L *lua.LState, f *luaFile, first int) int {
	r := f.reader()
	if r == nil {
		return failure(L, fmt.Errorf("%s is not open for reading", f.name))
	}
	if err := f.flush(); err != nil {
		return failure(L, err)
	}
	formats := []lua.LValue{lua.LString("l")}
	if top := L.GetTop(); top >= first {
		formats = formats[:0]
		for i := first; i <= top; i++ {
			formats = append(formats, L.Get(i))
		}
	}
	n := 0
	for i, format := range formats {
		v, err := readFormat(L, r, format, first+i)
		if err != nil {
			return n + failure(L, err)
		}
		L.Push(v)
		n++
		if v == lua.LNil {
			break
		}
	}
	return n
}

// readFormat reads one value in the format at stack index arg; nil means end of file.
func readFormat(L *lua.LState, r *bufio.Reader, format lua.LValue, arg int) (lua.LValue, error) {
	switch format := format.(type) {
	case lua.LNumber:
		if format <= 0 {
			if _, err := r.Peek(1); err == io.EOF {
				return lua.LNil, nil
			}
			return lua.LString(""), nil
		}
		var b bytes.Buffer
		_, err := io.CopyN(&b, r, int64(format))
		if err != nil && err != io.EOF {
			return nil, err
		}
		if b.Len() == 0 {
			return lua.LNil, nil
		}
		return lua.LString(b.String()), nil
	case lua.LString:
		spec := strings.TrimPrefix(string(format), "*")
		if spec == "" {
			break
		}
		switch spec[0] {
		case 'n':
			var x float64
			if _, err := fmt.Fscan(r, &x); err != nil {
				return lua.LNil, nil
			}
			return lua.LNumber(x), nil
		case 'a':
			data, err := io.ReadAll(r)
			if err != nil {
				return nil, err
			}
			return lua.LString(data), nil
		case 'l', 'L':
			line, err := r.ReadString('\n')
			if err != nil && err != io.EOF {
				return nil, err
			}
			if err == io.EOF && line == "" {
				return lua.LNil, nil
			}
			if spec[0] == 'l' {
				line = strings.TrimSuffix(line, "\n")
			}
			return lua.LString(line), nil
		}
	}
	L.ArgError(arg, "invalid format")
	return nil, nil
}

func (lib *ioLib) write(L *lua.LState, ud *lua.LUserData, f *luaFile, first int) int {
	if f.w == nil {
		return failure(L, fmt.Errorf("%s is not open for writing", f.name))
	}
	if err := f.discardReadAhead(); err != nil {
		return failure(L, err)
	}
	for i := first; i <= L.GetTop(); i++ {
		L.CheckTypes(i, lua.LTString, lua.LTNumber)
		if _, err := io.WriteString(f.w, writeText(L.Get(i))); err != nil {
			return failure(L, err)
		}
	}
	L.Push(ud)
	return 1
}

func (lib *ioLib) fileRead(L *lua.LState) int { return lib.read(L, checkFile(L, 1), 2) }

func (lib *ioLib) fileWrite(L *lua.LState) int {
	f := checkFile(L, 1)
	return lib.write(L, L.Get(1).(*lua.LUserData), f, 2)
}

func (lib *ioLib) fileLines(L *lua.LState) int {
	L.Push(lib.linesIterator(L, checkFile(L, 1), false))
	return 1
}

// linesIterator returns the iterator of file:lines and io.lines; autoClose closes the file at
// the end, as io.lines(name) does.
func (lib *ioLib) linesIterator(L *lua.LState, f *luaFile, autoClose bool) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		if f.closed {
			L.RaiseError("file is already closed")
		}
		r := f.reader()
		if r == nil {
			L.RaiseError("%s is not open for reading", f.name)
		}
		v, err := readFormat(L, r, lua.LString("l"), 1)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if v == lua.LNil && autoClose {
			lib.closeFile(f)
		}
		L.Push(v)
		return 1
	})
}

func (lib *ioLib) closeFile(f *luaFile) (int, error) {
	delete(lib.tracked, f)
	return f.close()
}

func (lib *ioLib) fileClose(L *lua.LState) int {
	return lib.closeResult(L, checkFile(L, 1))
}

func (lib *ioLib) closeResult(L *lua.LState, f *luaFile) int {
	if f.std {
		return failure(L, errors.New("cannot close standard file"))
	}
	status, err := lib.closeFile(f)
	if err != nil {
		return failure(L, err)
	}
	if status != 0 {
		L.Push(lua.LNil)
		L.Push(lua.LString(fmt.Sprintf("exit status %d", status)))
		L.Push(lua.LNumber(status))
		return 3
	}
	L.Push(lua.LTrue)
	return 1
}

func (lib *ioLib) fileFlush(L *lua.LState) int {
	if err := checkFile(L, 1).flush(); err != nil {
		return failure(L, err)
	}
	L.Push(L.Get(1))
	return 1
}

func (lib *ioLib) fileSeek(L *lua.LState) int {
	f := checkFile(L, 1)
	whence := map[string]int{"set": io.SeekStart, "cur": io.SeekCurrent, "end": io.SeekEnd}
	w, ok := whence[L.OptString(2, "cur")]
	if !ok {
		L.ArgError(2, "invalid option '"+L.OptString(2, "cur")+"'")
	}
	offset := L.OptInt64(3, 0)
	if f.f == nil {
		return failure(L, fmt.Errorf("cannot seek on %s", f.name))
	}
	if err := f.flush(); err != nil {
		return failure(L, err)
	}
	if w == io.SeekCurrent && f.r != nil {
		offset -= int64(f.r.Buffered())
	}
	pos, err := f.f.Seek(offset, w)
	if f.r != nil {
		f.r.Reset(f.f)
	}
	if err != nil {
		return failure(L, err)
	}
	L.Push(lua.LNumber(pos))
	return 1
}

// fileSetvbuf switches a file between buffered ("full", "line") and unbuffered ("no")
// writes. Standard streams are always unbuffered, so that print and io.write keep their
// order.
func (lib *ioLib) fileSetvbuf(L *lua.LState) int {
	f := checkFile(L, 1)
	mode := L.CheckString(2)
	switch mode {
	case "no", "full", "line":
	default:
		L.ArgError(2, "invalid option '"+mode+"'")
	}
	if f.f != nil && f.w != nil {
		if err := f.flush(); err != nil {
			return failure(L, err)
		}
		if mode == "no" {
			f.bw, f.w = nil, f.f
		} else if f.bw == nil {
			f.bw = bufio.NewWriter(f.f)
			f.w = f.bw
		}
	}
	L.Push(lua.LTrue)
	return 1
}

func (lib *ioLib) fileToString(L *lua.LState) int {
	ud := L.CheckUserData(1)
	if f := toFile(ud); f != nil && f.closed {
		L.Push(lua.LString("file (closed)"))
	} else {
		L.Push(lua.LString(fmt.Sprintf("file (%p)", ud)))
	}
	return 1
}

// openMode returns the os.OpenFile flags of a Lua mode string.
func openMode(mode string) (flag int, read, write, ok bool) {
	switch strings.Replace(mode, "b", "", 1) {
	case "r":
		return os.O_RDONLY, true, false, true
	case "w":
		return os.O_WRONLY | os.O_CREATE | os.O_TRUNC, false, true, true
	case "a":
		return os.O_WRONLY | os.O_CREATE | os.O_APPEND, false, true, true
	case "r+":
		return os.O_RDWR, true, true, true
	case "w+":
		return os.O_RDWR | os.O_CREATE | os.O_TRUNC, true, true, true
	case "a+":
		return os.O_RDWR | os.O_CREATE | os.O_APPEND, true, true, true
	}
	return 0, false, false, false
}

// open opens name through the host's file system.
func (lib *ioLib) open(L *lua.LState, name, mode string) (*lua.LUserData, error) {
	flag, read, write, ok := openMode(mode)
	if !ok {
		return nil, fmt.Errorf("invalid mode '%s'", mode)
	}
	file, err := lib.h.fs.OpenFile(name, flag, 0o666)
	if err != nil {
		return nil, errors.New(name + ": " + errorText(err))
	}
	f := &luaFile{name: name, f: file}
	if read {
		f.r = bufio.NewReader(file)
	}
	if write {
		f.bw = bufio.NewWriter(file)
		f.w = f.bw
	}
	return lib.newFile(L, f), nil
}

func (lib *ioLib) ioOpen(L *lua.LState) int {
	ud, err := lib.open(L, L.CheckString(1), L.OptString(2, "r"))
	if err != nil {
		return failure(L, err)
	}
	L.Push(ud)
	return 1
}

func (lib *ioLib) ioClose(L *lua.LState) int {
	if L.GetTop() == 0 {
		return lib.closeResult(L, checkOpen(L, lib.output))
	}
	return lib.closeResult(L, checkFile(L, 1))
}

// checkOpen returns the file of a default stream, raising when the script closed it.
func checkOpen(L *lua.LState, ud *lua.LUserData) *luaFile {
	f := ud.Value.(*luaFile)
	if f.closed {
		L.RaiseError("default file is closed")
	}
	return f
}

func (lib *ioLib) ioFlush(L *lua.LState) int {
	if err := checkOpen(L, lib.output).flush(); err != nil {
		return failure(L, err)
	}
	L.Push(lib.output)
	return 1
}

func (lib *ioLib) ioRead(L *lua.LState) int { return lib.read(L, checkOpen(L, lib.input), 1) }

func (lib *ioLib) ioWrite(L *lua.LState) int {
	return lib.write(L, lib.output, checkOpen(L, lib.output), 1)
}

// ioDefault implements io.input and io.output: with a name it opens the file (raising when it
// cannot), with a file it makes it the default, and it returns the default.
func (lib *ioLib) ioDefault(L *lua.LState, current **lua.LUserData, mode string) int {
	switch v := L.Get(1).(type) {
	case *lua.LNilType:
	case lua.LString:
		ud, err := lib.open(L, string(v), mode)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		*current = ud
	case *lua.LUserData:
		checkFile(L, 1)
		*current = v
	default:
		L.ArgError(1, "file or file name expected")
	}
	L.Push(*current)
	return 1
}

func (lib *ioLib) ioInput(L *lua.LState) int  { return lib.ioDefault(L, &lib.input, "r") }
func (lib *ioLib) ioOutput(L *lua.LState) int { return lib.ioDefault(L, &lib.output, "w") }

func (lib *ioLib) ioLines(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.Push(lib.linesIterator(L, checkOpen(L, lib.input), false))
		return 1
	}
	ud, err := lib.open(L, L.CheckString(1), "r")
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(lib.linesIterator(L, ud.Value.(*luaFile), true))
	return 1
}

func (lib *ioLib) ioType(L *lua.LState) int {
	L.CheckAny(1)
	switch f := toFile(L.Get(1)); {
	case f == nil:
		L.Push(lua.LNil)
	case f.closed:
		L.Push(lua.LString("closed file"))
	default:
		L.Push(lua.LString("file"))
	}
	return 1
}

// ioTmpfile opens a new temporary file for reading and writing, removed when closed (at the
// latest when the host closes).
func (lib *ioLib) ioTmpfile(L *lua.LState) int {
	file, err := os.CreateTemp("", "dialua-*")
	if err != nil {
		return failure(L, err)
	}
	bw := bufio.NewWriter(file)
	L.Push(lib.newFile(L, &luaFile{name: file.Name(), f: file, r: bufio.NewReader(file),
		w: bw, bw: bw, temp: true}))
	return 1
}

// ioPopen starts a shell command with a pipe to its stdout ("r") or stdin ("w"). The command
// runs in the working directory with the host's streams for the others, and is killed when the
// run that started it ends.
func (lib *ioLib) ioPopen(L *lua.LState) int {
	line := L.CheckString(1)
	mode := L.OptString(2, "r")
	cmd := lib.h.shell(luabridge.Context(L), line)
	cmd.Stderr = lib.h.stderr
	f := &luaFile{name: "process", cmd: cmd}
	switch mode {
	case "r":
		out, err := cmd.StdoutPipe()
		if err != nil {
			return failure(L, err)
		}
		f.r, f.pipe = bufio.NewReader(out), out
	case "w":
		cmd.Stdin, cmd.Stdout = nil, lib.h.stdout
		in, err := cmd.StdinPipe()
		if err != nil {
			return failure(L, err)
		}
		f.w, f.pipe = in, in
	default:
		L.ArgError(2, "invalid mode '"+mode+"'")
	}
	if err := cmd.Start(); err != nil {
		return failure(L, err)
	}
	L.Push(lib.newFile(L, f))
	return 1
}
