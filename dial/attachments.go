package dial

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
)

// AttachmentFolder is the folder of the caller's files, below "files/<bucket>/", that
// [Client.Attach] uploads local files to, one sub-folder per content hash.
const AttachmentFolder = "dialua-attachments"

// AttachmentSource is one attachment to send: a local file (Path) or a file already
// reachable by URL (a DIAL storage URL such as "files/<bucket>/a.png", or an http(s) URL),
// which is passed through as it is.
type AttachmentSource struct {
	Path string
	URL  string
	// Type is the MIME type; empty means the one Path's or URL's extension implies
	// (mime.TypeByExtension), or application/octet-stream.
	Type string
	// Title is what DIAL Chat shows; empty means the file's base name.
	Title string
	// Open opens Path for reading; nil means os.Open. Give one to confine local file access.
	Open func(path string) (*os.File, error)
}

// Attach turns srcs into DIAL attachments. A local file is uploaded to
// "files/<bucket>/dialua-attachments/<sha256 prefix>/<name>" unless a file is there already
// (checked with its metadata), so the same content is uploaded once however often it is
// attached. Errors name the source; none carries the file's content.
func (c *Client) Attach(ctx context.Context, srcs []AttachmentSource, opts ...CallOption) ([]Attachment, error) {
	out := make([]Attachment, 0, len(srcs))
	for _, src := range srcs {
		a, err := c.attachOne(ctx, src, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// AttachFiles uploads the local files at paths as [Client.Attach] does and adds them to
// msg's custom_content attachments.
func (c *Client) AttachFiles(ctx context.Context, msg *Message, paths ...string) error {
	srcs := make([]AttachmentSource, len(paths))
	for i, p := range paths {
		srcs[i] = AttachmentSource{Path: p}
	}
	atts, err := c.Attach(ctx, srcs)
	if err != nil {
		return err
	}
	msg.Attach(atts...)
	return nil
}

// Attach adds atts to the message's custom_content attachments.
func (m *Message) Attach(atts ...Attachment) {
	if len(atts) == 0 {
		return
	}
	if m.CustomContent == nil {
		m.CustomContent = &CustomContent{}
	}
	m.CustomContent.Attachments = append(m.CustomContent.Attachments, atts...)
}

func (c *Client) attachOne(ctx context.Context, src AttachmentSource, opts []CallOption) (Attachment, error) {
	switch {
	case (src.Path == "") == (src.URL == ""):
		return Attachment{}, errors.New("dial: attachment: give exactly one of a path and a url")
	case src.URL != "":
		name := urlName(src.URL)
		return Attachment{URL: src.URL, Type: typeOf(src.Type, name), Title: firstNonEmpty(src.Title, name)}, nil
	}
	open := src.Open
	if open == nil {
		open = os.Open
	}
	f, err := open(src.Path)
	if err != nil {
		return Attachment{}, fmt.Errorf("dial: attachment: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Attachment{}, fmt.Errorf("dial: attachment %s: %w", src.Path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Attachment{}, fmt.Errorf("dial: attachment %s: %w", src.Path, err)
	}
	home, err := c.MyFilesHome(ctx)
	if err != nil {
		return Attachment{}, err
	}
	name := filepath.Base(src.Path)
	fileURL := home + AttachmentFolder + "/" + hex.EncodeToString(h.Sum(nil))[:32] + "/" + escapeSegment(name)
	typ := typeOf(src.Type, name)
	if _, err := c.FileMetadata(ctx, fileURL, opts...); errors.Is(err, ErrNotFound) {
		_, err = c.UploadFile(ctx, fileURL, f, append([]CallOption{ContentType(typ)}, opts...)...)
		if err != nil {
			return Attachment{}, err
		}
	} else if err != nil {
		return Attachment{}, err
	}
	return Attachment{URL: fileURL, Type: typ, Title: firstNonEmpty(src.Title, name)}, nil
}

// urlName is the last segment of a URL's path, decoded: "b c.pdf" for
// "https://h/a/b%20c.pdf?sig=x".
func urlName(raw string) string {
	p := raw
	if u, err := url.Parse(raw); err == nil {
		p = u.Path
	}
	return path.Base(p)
}

// typeOf is typ, or the MIME type name's extension implies, or application/octet-stream.
func typeOf(typ, name string) string {
	if typ != "" {
		return typ
	}
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// AttachToLastUser returns the chat request body with atts added to the custom_content
// attachments of its last user message. It fails when the body has no user message.
func AttachToLastUser(body json.RawMessage, atts []Attachment) (json.RawMessage, error) {
	if len(atts) == 0 {
		return body, nil
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("dial: attachments: %w", err)
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(req["messages"], &msgs); err != nil {
		return nil, fmt.Errorf("dial: attachments: messages: %w", err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		var m Message
		if err := json.Unmarshal(msgs[i], &m); err != nil {
			return nil, fmt.Errorf("dial: attachments: message %d: %w", i+1, err)
		}
		if m.Role != RoleUser {
			continue
		}
		m.Attach(atts...)
		var err error
		if msgs[i], err = json.Marshal(m); err != nil {
			return nil, err
		}
		if req["messages"], err = json.Marshal(msgs); err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(req); err != nil {
			return nil, err
		}
		return bytes.TrimSpace(buf.Bytes()), nil
	}
	return nil, errors.New("dial: attachments: the request has no user message")
}
