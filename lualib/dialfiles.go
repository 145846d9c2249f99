package lualib

import (
	"context"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// filesHandle is client.files: DIAL file storage. URLs are "files/<bucket>/<path>" or absolute on
// the client's server; a bad or foreign URL fails before any request.
type filesHandle struct {
	cl *clientHandle
}

// String is what tostring shows.
func (f *filesHandle) String() string { return "dial.files" }

// conditions returns the ETag call options of an options table.
func conditions(o optionTable) []dial.CallOption {
	opts := o.headers()
	if s := o.str("if_match"); s != "" {
		opts = append(opts, dial.IfMatch(s))
	}
	if s := o.str("if_none_match"); s != "" {
		opts = append(opts, dial.IfNoneMatch(s))
	}
	return opts
}

// Upload is files:upload(url, content [, options]) with a string content, or
// files:upload(url, {path = …, …}) streaming a local file. Options: content_type (default:
// from the file name), if_match, if_none_match ("*" creates only). Returns the metadata.
func (f *filesHandle) Upload(L *luar.LState) int {
	m := f.cl.m
	defer m.enter(L.LState)()
	url := L.CheckString(1)
	allowed := []string{"content_type", "if_match", "if_none_match", "headers"}
	var (
		o    optionTable
		body io.Reader
		name string
	)
	switch v := L.Get(2).(type) {
	case lua.LString:
		o = optionsArg(L.LState, 3, allowed...)
		body = strings.NewReader(string(v))
	case *lua.LTable:
		o = optionsArg(L.LState, 2, append(allowed, "path")...)
		name = o.str("path")
		if name == "" {
			L.ArgError(2, "option 'path' is required when the content is a table")
		}
	default:
		L.ArgError(2, "content string or options table expected, got "+v.Type().String())
	}
	opts := conditions(o)
	ct := o.str("content_type")
	if name != "" {
		file, err := m.files.Open(name, os.O_RDONLY, 0)
		if err != nil {
			return m.fail(L.LState, err)
		}
		defer file.Close()
		info, err := file.Stat()
		if err != nil {
			return m.fail(L.LState, err)
		}
		if ct == "" {
			ct = mime.TypeByExtension(filepath.Ext(name))
		}
		body = file
		if w := m.progress("upload "+filepath.Base(name), info.Size()); w != nil {
			defer w.Close()
			body = &progressReader{f: file, w: w}
		}
	}
	if ct == "" {
		ct = mime.TypeByExtension(filepath.Ext(url))
	}
	if ct != "" {
		opts = append(opts, dial.ContentType(ct))
	}
	meta, err := f.cl.c.UploadFile(luabridge.Context(L.LState), url, body, opts...)
	if err != nil {
		return m.fail(L.LState, err)
	}
	return m.pushJSON(L.LState, meta.Raw)
}

// progress asks the host for a progress sink for a transfer, nil for none.
func (m *Dial) progress(label string, total int64) io.WriteCloser {
	if m.cfg.Progress == nil {
		return nil
	}
	return m.cfg.Progress(label, total)
}

// progressReader reports what an upload reads to a progress sink; it seeks like the file, so
// the upload stays replayable.
type progressReader struct {
	f *os.File
	w io.Writer
}

func (r *progressReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.w.Write(p[:n])
	return n, err
}

func (r *progressReader) Seek(offset int64, whence int) (int64, error) {
	return r.f.Seek(offset, whence)
}

// Download is files:download(url [, options]): the content as a string, or with
// {to = path} the content streamed into that local file (replaced only once complete) and
// its description {name, contentType, etag, contentLength}. Options: to, if_match,
// if_none_match.
func (f *filesHandle) Download(L *luar.LState) int {
	m := f.cl.m
	defer m.enter(L.LState)()
	url := L.CheckString(1)
	o := optionsArg(L.LState, 2, "to", "if_match", "if_none_match", "headers")
	dl, err := f.cl.c.DownloadFile(luabridge.Context(L.LState), url, conditions(o)...)
	if err != nil {
		return m.fail(L.LState, err)
	}
	defer dl.Close()
	to := o.str("to")
	if to == "" {
		var sb strings.Builder
		if _, err := io.Copy(&sb, dl); err != nil {
			return m.fail(L.LState, err)
		}
		L.Push(lua.LString(sb.String()))
		return 1
	}
	n, err := m.saveTo(to, dl, "download "+dl.Name, dl.ContentLength)
	if err != nil {
		return m.fail(L.LState, err)
	}
	t := L.NewTable()
	t.RawSetString("name", lua.LString(dl.Name))
	t.RawSetString("contentType", lua.LString(dl.ContentType))
	t.RawSetString("etag", lua.LString(dl.ETag))
	t.RawSetString("contentLength", lua.LNumber(n))
	L.Push(t)
	return 1
}

// saveTo streams r into the local file to through a temporary file beside it, renamed into
// place once complete, and returns the bytes written.
func (m *Dial) saveTo(to string, r io.Reader, label string, total int64) (int64, error) {
	tmp := fmt.Sprintf("%s.part-%d", to, time.Now().UnixNano())
	file, err := m.files.Open(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	var w io.Writer = file
	if p := m.progress(label, total); p != nil {
		defer p.Close()
		w = io.MultiWriter(file, p)
	}
	n, err := io.Copy(w, r)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = m.files.Rename(tmp, to)
	}
	if err != nil {
		m.files.Remove(tmp)
		return 0, err
	}
	return n, nil
}

// Metadata is files:metadata(url [, {limit, token, recursive}]): an item's metadata, or for
// a folder URL (ending in '/') one page of its children with nextToken when more remain.
func (f *filesHandle) Metadata(L *luar.LState) int {
	return f.cl.m.metadata(L, f.cl.c.FileMetadata)
}

// metadataFunc gets the metadata of a storage item or a page of a folder.
type metadataFunc func(ctx context.Context, url string, opts ...dial.CallOption) (*dial.FileMetadata, error)

// metadata pushes the metadata get returns for the URL and paging options of the arguments.
func (m *Dial) metadata(L *luar.LState, get metadataFunc) int {
	defer m.enter(L.LState)()
	url := L.CheckString(1)
	opts := pageOptions(optionsArg(L.LState, 2, "limit", "token", "recursive", "headers"))
	meta, err := get(luabridge.Context(L.LState), url, opts...)
	if err != nil {
		return m.fail(L.LState, err)
	}
	return m.pushJSON(L.LState, meta.Raw)
}

// pageOptions returns the listing call options of an options table.
func pageOptions(o optionTable) []dial.CallOption {
	opts := o.headers()
	if n, ok := o.number("limit"); ok {
		opts = append(opts, dial.Limit(int(n)))
	}
	if s := o.str("token"); s != "" {
		opts = append(opts, dial.PageToken(s))
	}
	if o.boolean("recursive") {
		opts = append(opts, dial.Recursive(true))
	}
	return opts
}

// List is files:list(folder [, {recursive, limit}]): an iterator over the folder's children
// (every file below it when recursive), following the pages as it goes. It raises on a
// failure, since a for loop has nowhere to return one.
func (f *filesHandle) List(L *luar.LState) int {
	return f.cl.m.list(L, f.cl.c.FileMetadata)
}

// list pushes an iterator over the children of the folder in the arguments, reading its
// pages with get.
func (m *Dial) list(L *luar.LState, get metadataFunc) int {
	url := L.CheckString(1)
	if !strings.HasSuffix(url, "/") {
		url += "/"
	}
	base := pageOptions(optionsArg(L.LState, 2, "recursive", "limit", "headers"))
	var (
		page  []dial.FileMetadata
		token string
		done  bool
	)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		defer m.enter(L)()
		for len(page) == 0 && !done {
			opts := base
			if token != "" {
				opts = append(opts[:len(opts):len(opts)], dial.PageToken(token))
			}
			meta, err := get(luabridge.Context(L), url, opts...)
			if err != nil {
				done = true
				L.Error(m.errorTable(L, err), 1)
			}
			page, token = meta.Items, meta.NextToken
			done = token == ""
		}
		if len(page) == 0 {
			L.Push(lua.LNil)
			return 1
		}
		item := page[0]
		page = page[1:]
		return m.pushJSON(L, item.Raw)
	}))
	return 1
}

// transfer runs a move or copy: files:move(src, dst [, {overwrite = true}]).
func (f *filesHandle) transfer(L *luar.LState, op func(ctx context.Context, src, dst string, opts ...dial.CallOption) error) int {
	m := f.cl.m
	defer m.enter(L.LState)()
	src, dst := L.CheckString(1), L.CheckString(2)
	o := optionsArg(L.LState, 3, "overwrite", "headers")
	opts := o.headers()
	if o.boolean("overwrite") {
		opts = append(opts, dial.Overwrite(true))
	}
	if err := op(luabridge.Context(L.LState), src, dst, opts...); err != nil {
		return m.fail(L.LState, err)
	}
	L.Push(lua.LTrue)
	return 1
}

// Move is files:move(src, dst [, {overwrite = true}]): true on success.
func (f *filesHandle) Move(L *luar.LState) int { return f.transfer(L, f.cl.c.MoveFile) }

// Copy is files:copy(src, dst [, {overwrite = true}]): true on success.
func (f *filesHandle) Copy(L *luar.LState) int { return f.transfer(L, f.cl.c.CopyFile) }

// Delete is files:delete(url [, {if_match = etag}]): true on success.
func (f *filesHandle) Delete(L *luar.LState) int {
	m := f.cl.m
	defer m.enter(L.LState)()
	url := L.CheckString(1)
	if err := f.cl.c.DeleteFile(luabridge.Context(L.LState), url, conditions(optionsArg(L.LState, 2, "if_match", "headers"))...); err != nil {
		return m.fail(L.LState, err)
	}
	L.Push(lua.LTrue)
	return 1
}
