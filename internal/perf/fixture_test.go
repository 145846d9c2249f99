package perf_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// contentSize is the length of every chunk's delta.content.
const contentSize = 10

// writeStream writes the SSE body of a chat completion of n chunks: a first chunk with the
// role, n-2 content chunks of contentSize bytes, and a last chunk with finish_reason and
// usage, each shaped like DIAL's and OpenAI's chunks.
func writeStream(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	const head = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o",`
	fmt.Fprintf(bw, "%s\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n", head)
	for i := 1; i < n-1; i++ {
		fmt.Fprintf(bw, "%s\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w%08d \"},\"finish_reason\":null}]}\n\n", head, i)
	}
	fmt.Fprintf(bw, "%s\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"+
		"\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\n", head, n, n+1)
	bw.WriteString("data: [DONE]\n\n")
	return bw.Flush()
}

// textSize is the length of the answer merged from a stream of n chunks.
func textSize(n int) int { return (n - 2) * contentSize }

// blockBody is the JSON of a complete (non-streamed) chat completion.
var blockBody = []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o",` +
	`"choices":[{"index":0,"message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog."},` +
	`"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21},` +
	`"system_fingerprint":"fp_1"}`)

// server answers every chat completion at /openai/deployments/{id}/chat/completions, DIAL's
// path, which is also go-openai's path for a base URL ending in the deployment: a request
// with "stream":true gets the SSE body of chunks chunks (held in memory when cached, else
// generated while it is sent), any other request gets blockBody. Every client reads the
// same bytes.
func server(tb testing.TB, chunks int, cached bool) *httptest.Server {
	var body []byte
	if cached {
		var buf bytes.Buffer
		if err := writeStream(&buf, chunks); err != nil {
			tb.Fatal(err)
		}
		body = buf.Bytes()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if !bytes.Contains(req, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(blockBody)))
			w.Write(blockBody)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		if body != nil {
			w.Write(body)
			return
		}
		writeStream(w, chunks)
	}))
	tb.Cleanup(srv.Close)
	return srv
}
