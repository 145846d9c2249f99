package dial

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// sseEvent is one dispatched server-sent event. Its slices are valid until the next call of
// sseDecoder.next.
type sseEvent struct {
	event []byte // the "event:" field, empty for the default "message"
	data  []byte // the "data:" lines joined with '\n'
}

// sseDecoder reads server-sent events as the WHATWG HTML specification defines them: lines
// end in CRLF, LF or CR; "event:" names the event; "data:" lines accumulate, joined with '\n';
// lines starting with ':' are comments; "id:" and "retry:" are accepted and ignored; a blank
// line dispatches the event, and an event without data is dropped. An incomplete event at
// the end of the input is dropped, as the specification requires.
type sseDecoder struct {
	sc      *bufio.Scanner
	data    []byte
	event   []byte
	hasData bool
	maxLine int
}

// newSSEDecoder reads from r with lines of at most maxLine bytes.
func newSSEDecoder(r io.Reader, maxLine int) *sseDecoder {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(16<<10, maxLine)), maxLine)
	sc.Split(scanSSELines)
	return &sseDecoder{sc: sc, maxLine: maxLine}
}

// errLineTooLong reports an SSE line beyond the decoder's limit.
var errLineTooLong = errors.New("line too long")

// next returns the next event, io.EOF at the end of the input, or the reader's error.
func (d *sseDecoder) next() (sseEvent, error) {
	d.data = d.data[:0]
	d.event = d.event[:0]
	d.hasData = false
	for d.sc.Scan() {
		line := d.sc.Bytes()
		if len(line) == 0 {
			if d.hasData {
				return sseEvent{event: d.event, data: d.data}, nil
			}
			d.event = d.event[:0]
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if d.hasData {
				d.data = append(d.data, '\n')
			}
			d.data = append(d.data, value...)
			d.hasData = true
		case "event":
			d.event = append(d.event[:0], value...)
		}
	}
	if err := d.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return sseEvent{}, fmt.Errorf("%w: an SSE line exceeds %d bytes", errLineTooLong, d.maxLine)
		}
		return sseEvent{}, err
	}
	return sseEvent{}, io.EOF
}

// scanSSELines is a bufio.SplitFunc for lines ending in "\r\n", "\n" or "\r". A final line
// without an end is returned too.
func scanSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	nl := bytes.IndexByte(data, '\n')
	limit := len(data)
	if nl >= 0 {
		limit = nl
	}
	if cr := bytes.IndexByte(data[:limit], '\r'); cr >= 0 {
		// A '\n' right after the '\r' belongs to the same line end; wait for it if unsure.
		switch {
		case cr+1 < len(data) && data[cr+1] == '\n':
			return cr + 2, data[:cr], nil
		case cr+1 < len(data) || atEOF:
			return cr + 1, data[:cr], nil
		default:
			return 0, nil, nil
		}
	}
	if nl >= 0 {
		return nl + 1, data[:nl], nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}
