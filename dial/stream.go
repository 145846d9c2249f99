package dial

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"strconv"
	"time"
)

// Stream reads the events of a streaming response, one value of type T per event, in the
// manner of bufio.Scanner:
//
//	s, err := client.ChatStream(ctx, "gpt-4o", req)
//	if err != nil { … }           // HTTP errors arrive here, before any event
//	defer s.Close()
//	for s.Next() {
//		fmt.Print(s.Current().Text())
//	}
//	if err := s.Err(); err != nil { … }
//
// The stream ends at "data: [DONE]". An event carrying {"error":…} (or "event: error") ends it
// with an [*APIError] whose DuringStream is true. The end of the connection without [DONE]
// and without a finish_reason is an error matching [ErrTruncated], never a silent success;
// no event for the idle timeout is an error matching [ErrTimeout]. Every error that ends a
// stream matches [ErrDuringStream]. A stream is never retried once it has started.
//
// A Stream is not safe for concurrent use. The context of the call that opened it governs it
// to the end: cancelling that context stops the stream.
type Stream[T any] struct {
	body     io.ReadCloser
	dec      *sseDecoder
	decode   func(data []byte) (T, error)
	finished func(T) bool
	method   string
	path     string
	secrets  *Secrets // masked in an error event

	cur      T
	own      func(T) T // when not nil, copies cur for Current, as decode's values share a buffer
	owned    bool      // cur is own's copy
	err      error
	done     bool // no more events: [DONE], error, EOF or Close
	ended    bool // ended normally
	closed   bool
	sawFinal bool
	events   int
	read     int64 // bytes of the body read
	// onEnd, when not nil, is called once, by Close, with the stream's end (see streamEnd).
	onEnd func(streamEnd)
}

// streamEnd describes how a stream ended, for [Observer.StreamEnd].
type streamEnd struct {
	events   int
	bytes    int64
	finished bool  // [DONE] or a finish_reason at the end of the body
	err      error // the error that ended it; nil and !finished: closed before its end
}

// newStream reads events from body. decode turns an event's data into a T; finished reports
// whether a value marks a complete answer (a finish_reason), which makes a missing [DONE]
// acceptable. The values of secrets are masked in the error of an error event; nil masks
// nothing.
func newStream[T any](body io.ReadCloser, maxLine int, method, path string, secrets *Secrets,
	decode func([]byte) (T, error), finished func(T) bool) *Stream[T] {
	s := &Stream[T]{body: body, decode: decode, finished: finished, method: method, path: path,
		secrets: secrets}
	s.dec = newSSEDecoder(byteCounter{r: body, n: &s.read}, maxLine)
	return s
}

// byteCounter adds the bytes read from r to *n.
type byteCounter struct {
	r io.Reader
	n *int64
}

func (c byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

var doneMarker = []byte("[DONE]")

// Next advances to the next event and reports whether there is one. It returns false at the
// end of the stream, after an error (see [Stream.Err]) and after Close.
func (s *Stream[T]) Next() bool {
	if s.done {
		return false
	}
	for {
		ev, err := s.dec.next()
		if err != nil {
			if err == io.EOF {
				if !s.sawFinal {
					s.fail(&streamEndError{method: s.method, path: s.path, events: s.events})
					return false
				}
				s.finish()
				return false
			}
			if errors.Is(err, errLineTooLong) {
				err = parseError(s.method, s.path, err)
			}
			s.fail(err)
			return false
		}
		data := bytes.TrimSpace(ev.data)
		if len(data) == 0 {
			continue
		}
		if bytes.Equal(data, doneMarker) {
			s.finish()
			return false
		}
		if string(ev.event) == "error" || hasErrorMember(data) {
			s.fail(streamError(s.method, s.path, data, s.secrets))
			return false
		}
		v, err := s.decode(data)
		if err != nil {
			s.fail(parseError(s.method, s.path, err))
			return false
		}
		s.cur, s.owned = v, false
		s.events++
		if s.finished != nil && s.finished(v) {
			s.sawFinal = true
		}
		return true
	}
}

// Current returns the value of the event Next moved to. It is the zero T before the first
// call of Next.
func (s *Stream[T]) Current() T {
	if s.own != nil && !s.owned {
		s.cur, s.owned = s.own(s.cur), true
	}
	return s.cur
}

// Peek returns the value of the event Next moved to, as Current does, but without the copy
// Current makes of a value that shares the stream's buffer (a [Client.ChatStreamJSON]
// chunk): it is valid only until the next call of Next or Close, for a caller that reads the
// value and keeps nothing of it.
func (s *Stream[T]) Peek() T { return s.cur }

// Err returns the error that ended the stream, or nil when it ended normally or is still
// going. After Close it returns nil, unless an error had ended the stream before.
func (s *Stream[T]) Err() error { return s.err }

// Close releases the connection. Closing before the end abandons the response (the server
// sees the connection close and can stop generating). Close is idempotent and returns nil
// unless closing the body fails.
func (s *Stream[T]) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.done = true
	if s.onEnd != nil {
		s.onEnd(streamEnd{events: s.events, bytes: s.read, finished: s.ended, err: s.err})
	}
	return s.body.Close()
}

// All returns an iterator over the remaining events for use with range:
//
//	for chunk, err := range s.All() {
//		if err != nil { … }
//	}
//
// It yields (value, nil) per event and, if the stream fails, one final (zero, err). It closes
// the stream when the loop ends, also on break. It is single-use: the stream is consumed.
func (s *Stream[T]) All() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		defer s.Close()
		for s.Next() {
			if !yield(s.Current(), nil) {
				return
			}
		}
		if err := s.Err(); err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// finish ends the stream normally. The rest of the body is drained briefly so the connection
// can be reused, then the body is closed.
func (s *Stream[T]) finish() {
	s.done, s.ended = true, true
	_, _ = io.CopyN(io.Discard, s.body, 4<<10)
	s.Close()
}

// fail ends the stream with err, which then matches ErrDuringStream.
func (s *Stream[T]) fail(err error) {
	if !errors.Is(err, ErrDuringStream) {
		err = &interruptedError{err}
	}
	s.err = err
	s.Close()
}

// streamEndError reports EOF without [DONE] or a finish_reason.
type streamEndError struct {
	method, path string
	events       int
}

// Error says how many events arrived before the stream ended.
func (e *streamEndError) Error() string {
	return "dial: " + e.method + " " + e.path + ": stream ended without [DONE] or a finish_reason after " +
		strconv.Itoa(e.events) + " events"
}

// Is makes the error match ErrTruncated and ErrDuringStream.
func (e *streamEndError) Is(target error) bool {
	return target == ErrTruncated || target == ErrDuringStream
}

// hasErrorMember reports whether the JSON object data has a top-level "error" member that is
// not null. It checks cheaply for the key first, since almost no event has one.
func hasErrorMember(data []byte) bool {
	if !bytes.Contains(data, []byte(`"error"`)) {
		return false
	}
	found := false
	_ = eachMember(data, func(key, val []byte) {
		if string(key) == "error" && !isNull(val) {
			found = true
		}
	})
	return found
}

// logStreamEnd returns the onEnd of a stream of ctx for method and path, opened at start: it
// reports the stream's end to the client's observers, the logger among them.
func (c *Client) logStreamEnd(ctx context.Context, method, path string, start time.Time) func(streamEnd) {
	return func(e streamEnd) {
		c.cfg.obs.joined.StreamEnd(ctx, StreamEndInfo{RequestInfo: RequestInfo{Method: method, Path: path},
			Chunks: e.events, Bytes: e.bytes, Elapsed: time.Since(start), Done: e.finished, Err: e.err})
	}
}
