package emulator_test

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const userHello = `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hello big world"}]`

// chat posts a chat completion request body to deployment and returns status, headers, body.
func chat(t *testing.T, srv *emulatortest.Server, deployment, body string) (int, http.Header, string) {
	t.Helper()
	return do(t, http.MethodPost, srv.URL+"/openai/deployments/"+deployment+"/chat/completions?api-version=2024-02-01",
		strings.NewReader(body), "Api-Key", srv.Key, "Content-Type", "application/json")
}

// events splits an SSE body into its data payloads.
func events(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, ev := range strings.Split(body, "\n\n") {
		ev = strings.TrimRight(ev, "\n")
		if ev == "" {
			continue
		}
		data, ok := strings.CutPrefix(ev, "data: ")
		require.True(t, ok, "event %q", ev)
		out = append(out, data)
	}
	return out
}

// chunkT is the part of a chat chunk the tests read.
type chunkT struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Choices []struct {
		Delta        map[string]any `json:"delta"`
		FinishReason *string        `json:"finish_reason"`
	} `json:"choices"`
	Usage map[string]int  `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// decodeStream decodes every event but [DONE] and reports whether [DONE] ended the stream.
func decodeStream(t *testing.T, body string) (chunks []chunkT, done bool) {
	t.Helper()
	for _, data := range events(t, body) {
		if data == "[DONE]" {
			done = true
			continue
		}
		require.False(t, done, "nothing follows [DONE]")
		var c chunkT
		require.NoError(t, json.Unmarshal([]byte(data), &c), data)
		chunks = append(chunks, c)
	}
	return chunks, done
}

// content concatenates the streamed content deltas.
func content(chunks []chunkT) (string, int) {
	var sb strings.Builder
	n := 0
	for _, c := range chunks {
		if len(c.Choices) == 0 {
			continue
		}
		if s, ok := c.Choices[0].Delta["content"].(string); ok {
			sb.WriteString(s)
			n++
		}
	}
	return sb.String(), n
}

func TestChatRequestValidation(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	url := srv.URL + "/openai/deployments/echo/chat/completions"
	status, _, body := do(t, http.MethodPost, url, strings.NewReader(userHello+"}"), "Api-Key", srv.Key)
	assert.Equal(t, 415, status)
	assert.Equal(t, "Only application/json is supported", body)
	status, _, body = do(t, http.MethodPost, url, strings.NewReader(userHello+"}"), "Api-Key", srv.Key,
		"Content-Type", "text/plain")
	assert.Equal(t, 415, status)
	status, _, _ = do(t, http.MethodPost, url, strings.NewReader(userHello+"}"), "Api-Key", srv.Key,
		"Content-Type", "Application/JSON; charset=utf-8")
	assert.Equal(t, 200, status, "the content type check is case-insensitive")

	status, _, body = chat(t, srv, "echo", `{"messages":[`)
	assert.Equal(t, 400, status)
	assert.Empty(t, body)
	status, _, body = chat(t, srv, "echo", `{"messages":[]}`)
	assert.Equal(t, 400, status)
	assert.Contains(t, body, `"param":"messages"`)
	status, _, body = chat(t, srv, "nope", userHello+"}")
	assert.Equal(t, 404, status)
	assert.Equal(t, "Unknown deployment: nope", body)
	status, _, _ = chat(t, srv, "text-embedding-3-small", userHello+"}")
	assert.Equal(t, 400, status)

	own := `{"messages":[{"role":"user","content":"see","custom_content":{"attachments":[{"url":"files/` +
		srv.Bucket + `/a.png"},{"url":"https://example.com/x.png"}]}}]}`
	status, _, _ = chat(t, srv, "echo", own)
	assert.Equal(t, 200, status, "own files and absolute URLs may be attached")
	foreign := `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"files/` +
		emulator.SecondBucket + `/b.png"}}]}]}`
	status, _, body = chat(t, srv, "echo", foreign)
	assert.Equal(t, 403, status)
	assert.Equal(t, "Access denied to the file files/"+emulator.SecondBucket+"/b.png", body)
}

func TestChatBlockEcho(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	status, h, body := chat(t, srv, "gpt-4o", userHello+`,"temperature":0,"unknown_field":{"x":1}}`)
	require.Equal(t, 200, status, body)
	assert.Equal(t, "1", h.Get("X-Upstream-Attempts"))
	var resp struct {
		Object  string `json:"object"`
		Model   string `json:"model"`
		Choices []struct {
			FinishReason string         `json:"finish_reason"`
			Message      map[string]any `json:"message"`
		} `json:"choices"`
		Usage map[string]int `json:"usage"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	assert.Equal(t, "chat.completion", resp.Object)
	assert.Equal(t, "gpt-4o", resp.Model)
	assert.Equal(t, "stop", resp.Choices[0].FinishReason)
	assert.Equal(t, "assistant", resp.Choices[0].Message["role"])
	assert.Equal(t, "hello big world", resp.Choices[0].Message["content"])
	assert.Equal(t, map[string]int{"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}, resp.Usage)

	_, _, body = chat(t, srv, "echo", `{"messages":[{"role":"user","content":[{"type":"text","text":"part one"},`+
		`{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}},{"type":"text","text":" and two"}]}]}`)
	assert.Contains(t, body, `"content":"part one and two"`)
	assert.Equal(t, 1, srv.Emulator.Requests("echo"))
	assert.Equal(t, 1, srv.Emulator.Requests("gpt-4o"))
	assert.Equal(t, 0, srv.Emulator.Requests("slow"))
}

func TestChatStreamEcho(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	status, h, body := chat(t, srv, "echo", userHello+`,"stream":true}`)
	require.Equal(t, 200, status)
	assert.Contains(t, h.Get("Content-Type"), "text/event-stream")
	chunks, done := decodeStream(t, body)
	assert.True(t, done)
	text, n := content(chunks)
	assert.Equal(t, "hello big world", text)
	assert.Equal(t, 3, n, "echo streams word by word")
	assert.Equal(t, "assistant", chunks[0].Choices[0].Delta["role"])
	last := chunks[len(chunks)-1]
	require.NotNil(t, last.Choices[0].FinishReason)
	assert.Equal(t, "stop", *last.Choices[0].FinishReason)
	assert.Equal(t, 8, last.Usage["total_tokens"], "usage comes in the last chunk")
	for _, c := range chunks[:len(chunks)-1] {
		assert.Nil(t, c.Choices[0].FinishReason)
		assert.Nil(t, c.Usage)
		assert.Equal(t, "chat.completion.chunk", c.Object)
		assert.Equal(t, chunks[0].ID, c.ID)
	}
}

func TestChatChunking(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "fixed", Reply: "The quick brown fox jumps", Chunks: 4},
		emulator.Deployment{ID: "sized", Reply: "héllo wörld", ChunkSize: 2},
		emulator.Deployment{ID: "generated", Reply: "abc", Chunks: 1000, ChunkSize: 5},
		emulator.Deployment{ID: "filler", Chunks: 3, ChunkSize: 10},
	))
	_, _, body := chat(t, srv, "fixed", userHello+`,"stream":true}`)
	chunks, _ := decodeStream(t, body)
	text, n := content(chunks)
	assert.Equal(t, "The quick brown fox jumps", text)
	assert.Equal(t, 4, n)
	_, _, body = chat(t, srv, "fixed", userHello+`}`)
	assert.Contains(t, body, `"content":"The quick brown fox jumps"`)

	_, _, body = chat(t, srv, "sized", userHello+`,"stream":true}`)
	chunks, _ = decodeStream(t, body)
	text, n = content(chunks)
	assert.Equal(t, "héllo wörld", text, "pieces never split a UTF-8 sequence")
	assert.Equal(t, 6, n)

	_, _, body = chat(t, srv, "generated", userHello+`,"stream":true}`)
	chunks, done := decodeStream(t, body)
	assert.True(t, done)
	text, n = content(chunks)
	assert.Equal(t, 1000, n)
	assert.Len(t, text, 5000)
	assert.True(t, strings.HasPrefix(text, "abcab"))

	_, _, body = chat(t, srv, "filler", userHello+`}`)
	assert.Contains(t, body, `"content":"Lorem ipsum dolor sit amet, co"`)
}

func TestChatDelay(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "paced", Reply: "a b c", ChunkDelay: emulator.Duration(30 * time.Millisecond)}))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		srv.URL+"/openai/deployments/paced/chat/completions", strings.NewReader(userHello+`,"stream":true}`))
	require.NoError(t, err)
	req.Header.Set("Api-Key", srv.Key)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := testutil.HTTPClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	first, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, first, `"role":"assistant"`, "the first event is flushed before the delays")
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond, "three chunks, 30 ms before each")
	assert.Contains(t, string(rest), "[DONE]")
}

func TestChatHTTPFaults(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "limited", Status: 429, RetryAfter: 3},
		emulator.Deployment{ID: "flaky", Status: 503, FailTimes: 2, Reply: "finally"},
	))
	status, h, body := chat(t, srv, "limited", userHello+`}`)
	assert.Equal(t, 429, status)
	assert.Equal(t, "3", h.Get("Retry-After"))
	var e struct {
		Error map[string]string `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &e))
	assert.Equal(t, "429", e.Error["code"])
	assert.Contains(t, e.Error["message"], "rate limit")
	assert.NotEmpty(t, e.Error["display_message"])
	status, _, _ = chat(t, srv, "limited", userHello+`,"stream":true}`)
	assert.Equal(t, 429, status, "a failure before the stream is an HTTP error")

	for i := 1; i <= 2; i++ {
		status, h, _ = chat(t, srv, "flaky", userHello+`}`)
		assert.Equal(t, 503, status, "attempt %d", i)
		assert.Empty(t, h.Get("Retry-After"))
	}
	status, _, body = chat(t, srv, "flaky", userHello+`}`)
	assert.Equal(t, 200, status)
	assert.Contains(t, body, "finally")
	assert.Equal(t, 3, srv.Emulator.Requests("flaky"))
}

func TestChatStreamFaults(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "broken", Reply: "one two three four",
			StreamError: &emulator.StreamError{After: 2, Message: "upstream failed", Code: "503"}},
		emulator.Deployment{ID: "broken-at-start", StreamError: &emulator.StreamError{Message: "no"}},
		emulator.Deployment{ID: "cut", Reply: "one two three four", CutAfter: 3},
	))
	_, _, body := chat(t, srv, "broken", userHello+`,"stream":true}`)
	chunks, done := decodeStream(t, body)
	assert.True(t, done, "aidial-sdk sends [DONE] after the error event")
	text, _ := content(chunks)
	assert.Equal(t, "one two", text)
	last := chunks[len(chunks)-1]
	assert.JSONEq(t, `{"message":"upstream failed","type":"runtime_error","code":"503"}`, string(last.Error))

	_, _, body = chat(t, srv, "broken-at-start", userHello+`,"stream":true}`)
	chunks, _ = decodeStream(t, body)
	require.Len(t, chunks, 2, "role chunk, then the error")
	assert.NotEmpty(t, chunks[1].Error)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		srv.URL+"/openai/deployments/cut/chat/completions", strings.NewReader(userHello+`,"stream":true}`))
	require.NoError(t, err)
	req.Header.Set("Api-Key", srv.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := testutil.HTTPClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "the connection is cut, not closed cleanly")
	assert.Contains(t, string(got), `"content":" three"`)
	assert.NotContains(t, string(got), `" four"`)
	assert.NotContains(t, string(got), "[DONE]")

	status, _, body := chat(t, srv, "cut", userHello+`}`)
	assert.Equal(t, 200, status, "block answers are not cut")
	assert.Contains(t, body, "one two three four")
}

func TestChatCustomContentAndToolCalls(t *testing.T) {
	t.Parallel()
	cc := `{"attachments":[{"index":0,"type":"text/plain","title":"a.txt","url":"files/b/a.txt"}],` +
		`"stages":[{"index":0,"name":"Search","status":"completed"}],"state":{"step":2}}`
	calls := `[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]`
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(
		emulator.Deployment{ID: "rich", Reply: "done", CustomContent: json.RawMessage(cc)},
		emulator.Deployment{ID: "caller", ToolCalls: json.RawMessage(calls)},
	))
	_, _, body := chat(t, srv, "rich", userHello+`}`)
	var resp struct {
		Choices []struct {
			Message struct {
				CustomContent json.RawMessage `json:"custom_content"`
			} `json:"message"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	assert.JSONEq(t, cc, string(resp.Choices[0].Message.CustomContent))

	_, _, body = chat(t, srv, "rich", userHello+`,"stream":true}`)
	chunks, _ := decodeStream(t, body)
	got, err := json.Marshal(chunks[0].Choices[0].Delta["custom_content"])
	require.NoError(t, err)
	assert.JSONEq(t, cc, string(got))

	_, _, body = chat(t, srv, "caller", userHello+`}`)
	assert.Contains(t, body, `"finish_reason":"tool_calls"`)
	assert.Contains(t, body, `"content":null`)
	assert.Contains(t, body, `"name":"get_weather"`)
	_, _, body = chat(t, srv, "caller", userHello+`,"stream":true}`)
	chunks, done := decodeStream(t, body)
	assert.True(t, done)
	assert.Equal(t, "tool_calls", *chunks[len(chunks)-1].Choices[0].FinishReason)
	assert.NotNil(t, chunks[1].Choices[0].Delta["tool_calls"])
}

func TestChatReplaysGoldenStream(t *testing.T) {
	t.Parallel()
	const golden = "testdata/core-chat-stream.sse"
	srv := emulatortest.NewServer(t, emulatortest.WithDeployments(emulator.Deployment{ID: "gpt-35-turbo", Replay: golden}))
	_, h, body := chat(t, srv, "gpt-35-turbo", userHello+`,"stream":true}`)
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), body, "the transcript is served byte for byte")
	assert.Contains(t, h.Get("Content-Type"), "text/event-stream")
	chunks, done := decodeStream(t, body)
	assert.True(t, done)
	text, _ := content(chunks)
	assert.True(t, strings.HasPrefix(text, "As an AI language model"), text)
}

func TestEmbeddings(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	post := func(body string) (int, string) {
		status, _, b := do(t, http.MethodPost, srv.URL+"/openai/deployments/text-embedding-3-small/embeddings",
			strings.NewReader(body), "Api-Key", srv.Key, "Content-Type", "application/json")
		return status, b
	}
	type embT struct {
		Object string `json:"object"`
		Data   []struct {
			Index     int             `json:"index"`
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
		Usage map[string]int `json:"usage"`
	}
	decode := func(body string) embT {
		var e embT
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		return e
	}
	status, body := post(`{"input":["alpha","beta gamma"]}`)
	require.Equal(t, 200, status, body)
	e := decode(body)
	assert.Equal(t, "list", e.Object)
	require.Len(t, e.Data, 2)
	assert.Equal(t, 3, e.Usage["total_tokens"])
	var a, b []float64
	require.NoError(t, json.Unmarshal(e.Data[0].Embedding, &a))
	require.NoError(t, json.Unmarshal(e.Data[1].Embedding, &b))
	assert.Len(t, a, 16)
	assert.NotEqual(t, a, b)
	norm := 0.0
	for _, x := range a {
		norm += x * x
	}
	assert.InDelta(t, 1.0, norm, 1e-9, "unit vectors")

	_, body = post(`{"input":"alpha"}`)
	var again []float64
	require.NoError(t, json.Unmarshal(decode(body).Data[0].Embedding, &again))
	assert.Equal(t, a, again, "vectors are deterministic")

	_, body = post(`{"input":"alpha","encoding_format":"base64"}`)
	var s string
	require.NoError(t, json.Unmarshal(decode(body).Data[0].Embedding, &s))
	raw, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	require.Len(t, raw, 64)
	assert.InDelta(t, a[0], float64(math.Float32frombits(binary.LittleEndian.Uint32(raw))), 1e-6)

	status, _ = post(`{"input":[1,2,3]}`)
	assert.Equal(t, 200, status, "token arrays are accepted")
	status, body = post(`{"input":42}`)
	assert.Equal(t, 400, status)
	assert.Contains(t, body, `"param":"input"`)
	status, _, _ = do(t, http.MethodPost, srv.URL+"/openai/deployments/gpt-4o/embeddings",
		strings.NewReader(`{"input":"x"}`), "Api-Key", srv.Key, "Content-Type", "application/json")
	assert.Equal(t, 400, status, "a chat model has no embeddings")
}
