package dial

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeAll(t *testing.T, in string, maxLine int) ([]sseEvent, error) {
	t.Helper()
	d := newSSEDecoder(strings.NewReader(in), maxLine)
	var out []sseEvent
	for {
		ev, err := d.next()
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		out = append(out, sseEvent{event: append([]byte(nil), ev.event...), data: append([]byte(nil), ev.data...)})
	}
}

func TestSSEDecoder(t *testing.T) {
	t.Parallel()
	type ev struct{ event, data string }
	tests := []struct {
		name string
		in   string
		want []ev
	}{
		{"single", "data: a\n\n", []ev{{"", "a"}}},
		{"no space after colon", "data:a\n\n", []ev{{"", "a"}}},
		{"only one space stripped", "data:  a\n\n", []ev{{"", " a"}}},
		{"multi-line data", "data: a\ndata: b\n\n", []ev{{"", "a\nb"}}},
		{"comments ignored", ": hi\ndata: a\n: there\n\n", []ev{{"", "a"}}},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []ev{{"", "a"}, {"", "b"}}},
		{"CR only", "data: a\r\rdata: b\r\r", []ev{{"", "a"}, {"", "b"}}},
		{"event name", "event: error\ndata: x\n\n", []ev{{"error", "x"}}},
		{"event name resets", "event: error\ndata: x\n\ndata: y\n\n", []ev{{"error", "x"}, {"", "y"}}},
		{"id and retry ignored", "id: 7\nretry: 10\ndata: a\n\n", []ev{{"", "a"}}},
		{"no data no event", "event: ping\n\n: c\n\n", nil},
		{"empty data dispatched", "data:\n\n", []ev{{"", ""}}},
		{"incomplete event dropped", "data: a\n\ndata: b", []ev{{"", "a"}}},
		{"incomplete event with newline dropped", "data: a\n\ndata: b\n", []ev{{"", "a"}}},
		{"field without colon", "data\n\n", []ev{{"", ""}}},
		{"unknown field", "foo: bar\ndata: a\n\n", []ev{{"", "a"}}},
		{"blank lines between", "\n\n\ndata: a\n\n\n\n", []ev{{"", "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeAll(t, tt.in, 1<<10)
			require.NoError(t, err)
			var gotEv []ev
			for _, g := range got {
				gotEv = append(gotEv, ev{string(g.event), string(g.data)})
			}
			assert.Equal(t, tt.want, gotEv)
		})
	}
}

// The decoder must give the same events whatever the read sizes, including a "\r" and its
// "\n" arriving in different reads.
func TestSSEDecoderSplitReads(t *testing.T) {
	t.Parallel()
	in := "data: a\r\n\r\n: c\r\ndata: b\r\ndata: c\r\n\r\n"
	d := newSSEDecoder(iotest.OneByteReader(strings.NewReader(in)), 1<<10)
	ev, err := d.next()
	require.NoError(t, err)
	assert.Equal(t, "a", string(ev.data))
	ev, err = d.next()
	require.NoError(t, err)
	assert.Equal(t, "b\nc", string(ev.data))
	_, err = d.next()
	assert.Equal(t, io.EOF, err)
}

func TestSSEDecoderLineTooLong(t *testing.T) {
	t.Parallel()
	_, err := decodeAll(t, "data: "+strings.Repeat("x", 100)+"\n\n", 32)
	require.Error(t, err)
	assert.ErrorIs(t, err, errLineTooLong)
}

func TestSSEDecoderReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	d := newSSEDecoder(io.MultiReader(strings.NewReader("data: a\n\n"), iotest.ErrReader(boom)), 1<<10)
	_, err := d.next()
	require.NoError(t, err)
	_, err = d.next()
	assert.ErrorIs(t, err, boom)
}

// chatStreamFrom returns a chat stream reading the given SSE text.
func chatStreamFrom(s string) *Stream[ChatChunk] {
	return newStream(io.NopCloser(strings.NewReader(s)), 1<<20, http.MethodPost, "/x", nil, decodeChunk,
		func(ch ChatChunk) bool { return ch.FinishReason() != "" })
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestStreamTranscripts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		crlf   bool
		texts  []string
		errIs  error
		during bool
	}{
		{file: "chat_stream_basic.sse", texts: []string{"Hel", "lo", ""}},
		{file: "chat_stream_basic.sse", crlf: true, texts: []string{"Hel", "lo", ""}},
		{file: "chat_stream_multiline.sse", texts: []string{"multi", "-line"}},
		{file: "aidial-client/chat.completions.stream.vanilla.sse", texts: []string{"", "5", ""}},
		{file: "chat_stream_error.sse", texts: []string{"partial"}, during: true},
		{file: "chat_stream_event_error.sse", texts: []string{"x"}, during: true},
		{file: "chat_stream_truncated.sse", texts: []string{"cut ", "off"}, errIs: ErrTruncated},
		{file: "chat_stream_bad_json.sse", texts: []string{"x"}, errIs: ErrParse},
	}
	for _, tt := range tests {
		name := tt.file
		if tt.crlf {
			name += " CRLF"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := readFile(t, "testdata/"+tt.file)
			if tt.crlf {
				in = strings.ReplaceAll(in, "\n", "\r\n")
			}
			s := chatStreamFrom(in)
			var texts []string
			for s.Next() {
				texts = append(texts, s.Current().Text())
				assert.NotEmpty(t, s.Current().Raw)
			}
			assert.Equal(t, tt.texts, texts)
			err := s.Err()
			switch {
			case tt.during:
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.True(t, apiErr.DuringStream)
				assert.NotEmpty(t, apiErr.Message)
				assert.Contains(t, err.Error(), "error during stream")
			case tt.errIs != nil:
				assert.ErrorIs(t, err, tt.errIs)
			default:
				assert.NoError(t, err)
			}
			assert.False(t, s.Next(), "Next after the end")
			assert.NoError(t, s.Close())
			assert.NoError(t, s.Close(), "Close is idempotent")
		})
	}
}

func TestStreamMidStreamErrorFields(t *testing.T) {
	t.Parallel()
	s := chatStreamFrom(readFile(t, "testdata/chat_stream_error.sse"))
	for s.Next() {
	}
	var apiErr *APIError
	require.ErrorAs(t, s.Err(), &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, "upstream failed", apiErr.Message)
	assert.Equal(t, "runtime_error", apiErr.Type)
	assert.Equal(t, "503", apiErr.Code)
	assert.Equal(t, "Try later", apiErr.DisplayMessage)
	assert.True(t, apiErr.Retryable())
	assert.False(t, errors.Is(apiErr, ErrNotFound))

	s = chatStreamFrom(readFile(t, "testdata/chat_stream_event_error.sse"))
	for s.Next() {
	}
	require.ErrorAs(t, s.Err(), &apiErr)
	assert.Equal(t, 0, apiErr.StatusCode, "a code that is not a status gives no status")
	assert.False(t, apiErr.Retryable())
	assert.Equal(t, "overloaded", apiErr.Message)
	assert.Equal(t, "overloaded", apiErr.Code)
	assert.Equal(t, "dial: POST /x: error during stream (code overloaded): overloaded", apiErr.Error())
}

// TestStreamErrorsAreDuringStream checks that every error ending a stream after its response
// began matches ErrDuringStream, including a read error below the event level.
func TestStreamErrorsAreDuringStream(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"chat_stream_error.sse", "chat_stream_event_error.sse",
		"chat_stream_truncated.sse", "chat_stream_bad_json.sse"} {
		s := chatStreamFrom(readFile(t, "testdata/"+file))
		for s.Next() {
		}
		assert.ErrorIs(t, s.Err(), ErrDuringStream, file)
	}
	cut := errors.New("connection reset")
	s := newStream(io.NopCloser(io.MultiReader(strings.NewReader("data: {}\n\n"),
		iotest.ErrReader(cut))), 1<<16, http.MethodPost, "/x", nil, decodeChunk, nil)
	for s.Next() {
	}
	assert.ErrorIs(t, s.Err(), ErrDuringStream)
	assert.ErrorIs(t, s.Err(), cut)
	assert.Equal(t, "connection reset", s.Err().Error())
	assert.NotErrorIs(t, &APIError{StatusCode: 503}, ErrDuringStream)
}

func TestStreamAll(t *testing.T) {
	t.Parallel()
	var texts []string
	for ch, err := range chatStreamFrom(readFile(t, "testdata/chat_stream_basic.sse")).All() {
		require.NoError(t, err)
		texts = append(texts, ch.Text())
	}
	assert.Equal(t, []string{"Hel", "lo", ""}, texts)

	// Breaking out closes the stream; an error is yielded last.
	s := chatStreamFrom(readFile(t, "testdata/chat_stream_basic.sse"))
	for range s.All() {
		break
	}
	assert.False(t, s.Next())
	var errs []error
	for _, err := range chatStreamFrom(readFile(t, "testdata/chat_stream_truncated.sse")).All() {
		if err != nil {
			errs = append(errs, err)
		}
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrTruncated)
}

func TestStreamCloseEarly(t *testing.T) {
	t.Parallel()
	s := chatStreamFrom(readFile(t, "testdata/chat_stream_basic.sse"))
	require.True(t, s.Next())
	require.NoError(t, s.Close())
	assert.False(t, s.Next())
	assert.NoError(t, s.Err())
}

func TestHasErrorMember(t *testing.T) {
	t.Parallel()
	assert.True(t, hasErrorMember([]byte(`{"error":{"message":"x"}}`)))
	assert.True(t, hasErrorMember([]byte(`{"a":1, "error" : "x"}`)))
	assert.False(t, hasErrorMember([]byte(`{"error":null}`)))
	assert.False(t, hasErrorMember([]byte(`{"choices":[{"delta":{"content":"\"error\""}}]}`)))
	assert.False(t, hasErrorMember([]byte(`{"x":{"error":1}}`)))
}
