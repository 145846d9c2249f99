package emulator

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// constError is an error value that can be a constant.
type constError string

func (e constError) Error() string { return string(e) }

// Errors of a multipart upload body.
const (
	errTooLarge  constError = "request body is too large"
	errNoFile    constError = "multipart request has no file part"
	errMultipart constError = "malformed multipart request"
)

// copyBufferSize is the buffer of streamed copies: large enough to keep the number of writes
// to a data file low, small enough not to matter next to the content.
const copyBufferSize = 256 << 10

// limitedBody reads a request body and fails with errTooLarge once more than limit bytes have
// been read, so a chunked body without Content-Length is bounded too.
type limitedBody struct {
	r        io.Reader
	left     int64
	exceeded bool
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if l.left -= int64(n); l.left < 0 {
		l.exceeded = true
		return 0, errTooLarge
	}
	return n, err
}

// multipartBoundary checks a request's Content-Type the way Core (Vert.x) does and returns the
// boundary. The message is Core's 400 answer when the type is missing or not usable.
func multipartBoundary(contentType string) (string, string) {
	if contentType == "" {
		return "", "Request must have a content-type header to decode a multipart request"
	}
	const invalid = "Request must have a valid content-type header to decode a multipart request"
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return "", invalid
	}
	return params["boundary"], ""
}

// copyMultipartFile streams the content of the first file part of a multipart body (the first
// part whose Content-Disposition has a filename; the field name is not checked) into dst and
// returns the part's Content-Type, application/octet-stream when it has none; bytes of it that
// are not UTF-8 become U+FFFD, as Core's UTF-8 decoding of part headers makes them, so that the
// metadata (JSON) and the download's header carry the same text. The rest of the body is read
// and discarded so that it is checked and counted like the file. Nothing of the content is
// buffered beyond one copy buffer. Errors are errNoFile, errMultipart or whatever
// body or dst returned (errTooLarge from a limitedBody).
func copyMultipartFile(dst io.Writer, body io.Reader, boundary string) (string, error) {
	mr := multipart.NewReader(body, boundary)
	buf := make([]byte, copyBufferSize)
	contentType, found := "", false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", multipartError(err)
		}
		if !found && isFilePart(part) {
			found = true
			contentType = strings.ToValidUTF8(strings.TrimSpace(part.Header.Get("Content-Type")),
				"\uFFFD")
			if contentType == "" {
				contentType = "application/octet-stream"
			}
			if _, err := io.CopyBuffer(onlyWriter{dst}, onlyReader{part}, buf); err != nil {
				return "", multipartError(err)
			}
			continue
		}
		if _, err := io.CopyBuffer(io.Discard, onlyReader{part}, buf); err != nil {
			return "", multipartError(err)
		}
	}
	if !found {
		return "", errNoFile
	}
	return contentType, nil
}

// multipartError keeps the errors a caller must tell apart and reports the rest as errMultipart.
func multipartError(err error) error {
	if errors.Is(err, errTooLarge) {
		return errTooLarge
	}
	var we writeError
	if errors.As(err, &we) {
		return we.err
	}
	return errMultipart
}

// isFilePart reports whether a part carries a file: its Content-Disposition has a filename
// (possibly empty, or in the RFC 5987 filename* form).
func isFilePart(p *multipart.Part) bool {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return false
	}
	_, ok := params["filename"]
	return ok
}

// onlyReader hides a reader's WriterTo so that io.CopyBuffer uses the given buffer.
type onlyReader struct{ io.Reader }

// onlyWriter marks the errors of the destination, which are not multipart errors, and hides
// its ReaderFrom.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil {
		return n, writeError{err}
	}
	return n, nil
}

// writeError is an error of the destination of a copy.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }

func (e writeError) Unwrap() error { return e.err }
