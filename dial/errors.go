package dial

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Test for them with [errors.Is]; they are never returned bare but wrapped
// with the request they concern.
var (
	// ErrNotFound matches an [APIError] with status 404 Not Found.
	ErrNotFound = errors.New("dial: not found")
	// ErrETagMismatch matches an [APIError] with status 412 Precondition Failed: an If-Match
	// or If-None-Match condition did not hold.
	ErrETagMismatch = errors.New("dial: etag mismatch")
	// ErrNotModified matches an [APIError] with status 304 Not Modified: the resource still has
	// the ETag an If-None-Match download named.
	ErrNotModified = errors.New("dial: not modified")
	// ErrDuringStream matches an error that ended a stream after its response had begun: an
	// error event (an [APIError] with DuringStream), a connection cut or an idle timeout
	// between events, or an early end ([ErrTruncated]). Such a call is never retried.
	ErrDuringStream = errors.New("dial: error during stream")
	// ErrInvalidURL matches a [URLError] for a storage URL, deployment id or request path that
	// breaks DIAL's rules ('..', empty segments, an encoded '/', a wrong resource type, …). It
	// is returned before any request is sent.
	ErrInvalidURL = errors.New("dial: invalid URL")
	// ErrNotDialURL matches a [URLError] for an absolute URL on another host than the
	// client's DIAL server. It is returned before any request is sent.
	ErrNotDialURL = errors.New("dial: not a DIAL URL")
	// ErrTimeout matches a request that failed because the connection could not be made within
	// the connect timeout or because no data moved for the idle timeout (see [WithTimeout]).
	ErrTimeout = errors.New("dial: timeout")
	// ErrTransport matches a request that failed below HTTP: connection refused or reset, DNS
	// failure, a TLS error, a body cut short.
	ErrTransport = errors.New("dial: transport error")
	// ErrTruncated matches a stream that ended without [DONE] and without any finish_reason,
	// which DIAL Core produces when it resets a failing stream.
	ErrTruncated = errors.New("dial: stream ended early")
	// ErrParse matches a response body that is not the JSON or SSE it should be.
	ErrParse = errors.New("dial: malformed response")
	// ErrCredentials matches a request that was not sent because a credential function
	// failed or returned an empty value.
	ErrCredentials = errors.New("dial: credentials unavailable")
	// ErrClosed matches a call on a [Client] or [Pool] that has been closed.
	ErrClosed = errors.New("dial: client closed")
)

// errNotJSON is the cause of an ErrParse for a body that should be JSON and is not.
var errNotJSON = errors.New("response is not JSON")

// maxErrorBody bounds the bytes of an error response body that are read and kept.
const maxErrorBody = 8 << 10

// APIError is an error answer from DIAL: a non-2xx HTTP status, or an error event in the
// middle of a stream. Its fields come from DIAL's JSON envelope
// {"error":{"message","type","param","code","display_message"}} when the body is one, and from
// the plain-text body otherwise (DIAL Core sends most errors as text without a Content-Type).
//
// An APIError never holds a credential: it keeps no request or headers, its Path has no query,
// and the credentials the client knows (its own, and those of its [WithSecrets] set) are
// replaced by [Redacted] in its text fields and body, for an error answer and an error event
// alike.
type APIError struct {
	// StatusCode is the HTTP status. For an error event during a stream (which arrives on an
	// HTTP 200 response) it is the event's code when that is an HTTP error status such as
	// "503", and 0 otherwise: a code such as "bad_gw" says nothing about a status.
	StatusCode int
	// Type, Code and Param are the envelope's fields; Code is kept as text whether the server
	// sent a string or a number.
	Type, Code, Param string
	// Message is the envelope's message or the trimmed text body; empty when the body is.
	Message string
	// DisplayMessage is the envelope's display_message: a short text meant for end users.
	DisplayMessage string
	// Method and Path identify the request; Path is the URL path without query.
	Method, Path string
	// RequestID is the X-Request-Id response header, when the server sent one.
	RequestID string
	// DuringStream reports that the error arrived as an event after the stream had started.
	DuringStream bool
	// RetryAfter is the wait the server asked for with Retry-After-Ms or Retry-After
	// (seconds or an HTTP date), zero when absent.
	RetryAfter time.Duration
	// Body is the start of the response body (at most 8 KiB), or the event's data.
	Body []byte
}

// Error returns "dial: METHOD PATH: STATUS: MESSAGE", with "error during stream" in place of
// the status for a mid-stream error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("dial: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.DuringStream {
		b.WriteString("error during stream")
		if e.Code != "" {
			b.WriteString(" (code ")
			b.WriteString(e.Code)
			b.WriteByte(')')
		}
	} else {
		b.WriteString(strconv.Itoa(e.StatusCode))
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteByte(' ')
			b.WriteString(t)
		}
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) hold for status 404, errors.Is(err, ErrETagMismatch)
// for status 412, errors.Is(err, ErrNotModified) for status 304 and errors.Is(err,
// ErrDuringStream) for an error event in a stream.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrDuringStream:
		return e.DuringStream
	case ErrNotModified:
		return e.StatusCode == http.StatusNotModified && !e.DuringStream
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound && !e.DuringStream
	case ErrETagMismatch:
		return e.StatusCode == http.StatusPreconditionFailed && !e.DuringStream
	}
	return false
}

// Retryable reports whether the same request may succeed later: statuses 408, 429, 502, 503
// and 504; an error event without such a status is not. The client has already retried such errors up to its retry limit; for an error
// during a stream the whole call has to be repeated.
func (e *APIError) Retryable() bool {
	return retryableStatus(e.StatusCode)
}

// Retryable reports whether err is worth retrying: a retryable [APIError], a transport error
// or a timeout. Cancellation, invalid URLs and credential failures are not.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, ErrCredentials) || errors.Is(err, ErrClosed) {
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Retryable()
	}
	return errors.Is(err, ErrTimeout) || errors.Is(err, ErrTransport) || errors.Is(err, ErrTruncated)
}

// errorEnvelope is DIAL's (and OpenAI's) JSON error body.
type errorEnvelope struct {
	Error json.RawMessage `json:"error"`
}

// errorDetails is the inside of the envelope. Code and Param may be strings, numbers or null.
type errorDetails struct {
	Message        string          `json:"message"`
	Type           string          `json:"type"`
	Param          json.RawMessage `json:"param"`
	Code           json.RawMessage `json:"code"`
	DisplayMessage string          `json:"display_message"`
}

// fillFromBody sets the message fields of e from an error body: the JSON envelope when the
// body is one, the trimmed text otherwise. It reports whether the body was an envelope.
func (e *APIError) fillFromBody(body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var env errorEnvelope
		if json.Unmarshal(trimmed, &env) == nil && !isNull(env.Error) {
			e.fillFromDetails(env.Error)
			return true
		}
	}
	e.Message = string(trimmed)
	return false
}

// fillFromDetails reads the "error" member of an envelope, which is normally an object and
// sometimes a bare string.
func (e *APIError) fillFromDetails(raw json.RawMessage) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		e.Message = s
		return
	}
	var d errorDetails
	if json.Unmarshal(raw, &d) != nil {
		e.Message = string(raw)
		return
	}
	e.Message = d.Message
	e.Type = d.Type
	e.DisplayMessage = d.DisplayMessage
	e.Code = scalarText(d.Code)
	e.Param = scalarText(d.Param)
}

// scalarText renders a JSON string as its text and any other non-null value as its JSON.
func scalarText(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// streamError builds the APIError of an error event in a stream, with the values of secrets
// masked as in an error answer. Its status is the event's code when that is an HTTP error
// status, and 0 otherwise.
func streamError(method, path string, data []byte, secrets *Secrets) *APIError {
	e := &APIError{Method: method, Path: path, DuringStream: true, Body: capBytes(data)}
	var env errorEnvelope
	if json.Unmarshal(data, &env) == nil && !isNull(env.Error) {
		e.fillFromDetails(env.Error)
	} else {
		// "event: error" with the details object itself, or with text.
		e.fillFromDetails(data)
	}
	if n, err := strconv.Atoi(e.Code); err == nil && n >= 400 && n <= 599 {
		e.StatusCode = n
	}
	if e.Message == "" {
		e.Message = "an error occurred during streaming"
	}
	secrets.redactAPIError(e)
	return e
}

func capBytes(b []byte) []byte {
	if len(b) > maxErrorBody {
		b = b[:maxErrorBody]
	}
	return bytes.Clone(b)
}

// URLError reports a storage URL, deployment id or request path rejected before any request.
// It matches [ErrInvalidURL] or [ErrNotDialURL] with errors.Is.
type URLError struct {
	// URL is the rejected input, with any user information and query removed.
	URL string
	// Reason says which rule was broken.
	Reason string
	// Err is ErrInvalidURL or ErrNotDialURL.
	Err error
}

// Error returns "dial: invalid URL "…": reason" or "dial: not a DIAL URL "…": reason".
func (e *URLError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Err.Error(), e.URL, e.Reason)
}

// Unwrap returns the sentinel, ErrInvalidURL or ErrNotDialURL.
func (e *URLError) Unwrap() error { return e.Err }

// invalidURL builds a URLError for ErrInvalidURL.
func invalidURL(input, format string, args ...any) *URLError {
	return &URLError{URL: displayURL(input), Reason: fmt.Sprintf(format, args...), Err: ErrInvalidURL}
}

// displayURL strips user information, query and fragment from a URL for an error message, so
// a signed URL or an embedded password never reaches a log.
func displayURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		slash := strings.IndexByte(rest, '/')
		authority := rest
		if slash >= 0 {
			authority = rest[:slash]
		}
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			s = s[:i+3] + rest[at+1:]
		}
		if q := strings.IndexAny(s, "?#"); q >= 0 {
			s = s[:q]
		}
	}
	return s
}

// interruptedError marks an error below the event level (a cut connection, an idle timeout,
// a cancellation, a line too long) that ended a stream after its response had begun.
type interruptedError struct{ err error }

// Error is the message of the underlying error.
func (e *interruptedError) Error() string { return e.err.Error() }

// Unwrap returns the underlying error.
func (e *interruptedError) Unwrap() error { return e.err }

// Is makes the error match ErrDuringStream.
func (e *interruptedError) Is(target error) bool { return target == ErrDuringStream }

// transportError wraps a failure below HTTP with the request it concerns.
func transportError(method, path string, err error) error {
	return fmt.Errorf("dial: %s %s: %w: %w", method, path, ErrTransport, err)
}

// timeoutError reports a connect or idle timeout of a request.
func timeoutError(method, path, what string) error {
	return fmt.Errorf("dial: %s %s: %w: %s", method, path, ErrTimeout, what)
}

// parseError reports a response that could not be decoded.
func parseError(method, path string, err error) error {
	return fmt.Errorf("dial: %s %s: %w: %w", method, path, ErrParse, err)
}
