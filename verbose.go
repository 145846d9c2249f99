package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dialua/dialua/dial"
)

// requestLog is the dial observer of --verbose. It writes one line per HTTP attempt to w:
// "dialua: GET /openai/deployments 200 12ms", with "retry N" on a retried attempt and the
// error instead of the status when the attempt got no answer. The time is to the response's
// headers; the end of a streamed response gets a line of its own (chunks, bytes, total time),
// and so does each wait before a retry. The events carry no credentials (the dial package
// masks them) and w masks the ones the process knows besides. Each line is one write, so
// lines of concurrent calls never mix on a w that serializes writes.
func requestLog(w io.Writer) *dial.Observer {
	return &dial.Observer{
		GotResponse: func(_ context.Context, r dial.ResponseInfo) { io.WriteString(w, responseLine(r)) },
		RetryWait:   func(_ context.Context, r dial.RetryInfo) { io.WriteString(w, retryLine(r)) },
		StreamEnd:   func(_ context.Context, s dial.StreamEndInfo) { io.WriteString(w, streamEndLine(s)) },
	}
}

// responseLine is the line of one attempt's outcome: "dialua: GET /path 200 12ms retry 1", or
// "dialua: GET /path failed: connection refused; 2ms" when it got no response.
func responseLine(r dial.ResponseInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dialua: %s %s", r.Method, r.Path)
	if r.Err != nil {
		fmt.Fprintf(&b, " failed: %s;", r.Detail(r.Err))
	} else {
		fmt.Fprintf(&b, " %d", r.StatusCode)
	}
	fmt.Fprintf(&b, " %s", roundDuration(r.Elapsed))
	if r.Attempt > 1 {
		fmt.Fprintf(&b, " retry %d", r.Attempt-1)
	}
	b.WriteByte('\n')
	return b.String()
}

// retryLine is the line of the wait before a retry: "dialua: POST /path retry 1 in 1.5s".
func retryLine(r dial.RetryInfo) string {
	return fmt.Sprintf("dialua: %s %s retry %d in %s\n", r.Method, r.Path, r.Attempt, roundDuration(r.Wait))
}

// roundDuration shortens d for people: milliseconds below a minute, else seconds.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d < time.Minute:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// streamEndLine is the line of a stream's end: "dialua: POST /path stream done: 12 chunks,
// 3.1 KiB, 1.52s", with "closed" for a stream closed before its end and "failed" and the
// error for one that broke.
func streamEndLine(s dial.StreamEndInfo) string {
	end, reason := "closed", ""
	switch {
	case s.Err != nil:
		end, reason = "failed", ": "+s.Detail(s.Err)
	case s.Done:
		end = "done"
	}
	n := int64(s.Chunks)
	return fmt.Sprintf("dialua: %s %s stream %s: %d %s, %s, %s%s\n", s.Method, s.Path, end, n,
		plural(n, "chunk", "chunks"), byteSize(s.Bytes), roundDuration(s.Elapsed), reason)
}

// byteSize formats n bytes for people: 512 B, 3.1 KiB, 2.0 MiB.
func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
