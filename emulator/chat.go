package emulator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxRequestSize is Core's resources.maxSize: larger JSON requests are refused with 413.
const maxRequestSize = 64 << 20

// filler is the text generated answers cycle through when the deployment has no Reply.
const filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "

// readRequest checks a deployment POST the way Core does (415 without a JSON content type,
// 413 over the size limit, 400 on bad JSON) and decodes its body. It answers the failure
// itself and returns nil then.
func readRequest(w http.ResponseWriter, r *http.Request) map[string]any {
	if !strings.Contains(strings.ToLower(r.Header.Get("Content-Type")), "application/json") {
		plain(w, http.StatusUnsupportedMediaType, "Only application/json is supported")
		return nil
	}
	if r.ContentLength > maxRequestSize {
		plain(w, http.StatusRequestEntityTooLarge, "Request body is too large")
		return nil
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxRequestSize))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil {
		plain(w, http.StatusBadRequest, "")
		return nil
	}
	return body
}

// fault answers with the deployment's configured HTTP error when it applies to request number
// n, and reports whether it did.
func (d *deployment) fault(w http.ResponseWriter, n int) bool {
	if d.Status == 0 || (d.FailTimes > 0 && n > d.FailTimes) {
		return false
	}
	if d.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(d.RetryAfter))
	}
	msg := http.StatusText(d.Status)
	if d.Status == http.StatusTooManyRequests {
		msg = "Hit token rate limit. Minute limit: 120 / 100 tokens."
	}
	jsonError(w, d.Status, errorBody{Message: msg, Code: strconv.Itoa(d.Status),
		DisplayMessage: "The deployment " + d.ID + " is not available right now."})
	return true
}

// serveChat answers POST …/chat/completions for request number n of deployment d.
func (e *Emulator) serveChat(w http.ResponseWriter, r *http.Request, c *caller, d *deployment, n int) {
	req := readRequest(w, r)
	if req == nil || !e.admit(w, c, d) {
		return
	}
	if url := foreignAttachment(req["messages"], c); url != "" {
		plain(w, http.StatusForbidden, "Access denied to the file "+url)
		return
	}
	if d.fault(w, n) {
		return
	}
	if d.EmbeddingDimensions > 0 {
		jsonError(w, http.StatusBadRequest, errorBody{Message: "Deployment " + d.ID + " is an embeddings model",
			Type: "invalid_request_error"})
		return
	}
	for k, v := range d.Defaults {
		if _, ok := req[k]; !ok {
			req[k] = v
		}
	}
	msgs, ok := req["messages"].([]any)
	if !ok || len(msgs) == 0 {
		jsonError(w, http.StatusBadRequest, errorBody{Message: "messages must be a non-empty array",
			Type: "invalid_request_error", Param: "messages"})
		return
	}
	if e := d.checkChat(req, msgs); e != nil {
		jsonError(w, http.StatusBadRequest, *e)
		return
	}
	w.Header().Set("X-Upstream-Attempts", "1")
	a := newAnswer(d, req, n)
	e.consume(c, d, a.usage)
	if stream, _ := req["stream"].(bool); stream {
		a.stream(r.Context(), w)
		return
	}
	writeJSON(w, http.StatusOK, a.block())
}

// answer is one chat completion being produced: n choices with the same message.
type answer struct {
	d       *deployment
	id      string
	created int64
	n       int              // the number of choices
	text    string           // the whole reply
	pieces  []string         // the reply cut into stream chunks
	calls   []map[string]any // tool calls, each with its "index"
	usage   map[string]int
	// includeUsage is stream_options.include_usage: usage comes in a chunk of its own, with
	// no choices, after the last one, and every other chunk has "usage": null (OpenAI's
	// form). Without it the chunk with the finish_reason carries the usage (DIAL's form).
	includeUsage bool
}

func newAnswer(d *deployment, req map[string]any, n int) *answer {
	msgs := req["messages"].([]any)
	var calls []map[string]any
	if len(d.ToolCalls) > 0 {
		json.Unmarshal(d.ToolCalls, &calls) // validated with the configuration
		for i, c := range calls {
			if _, ok := c["index"]; !ok {
				c["index"] = i
			}
		}
	} else {
		calls = toolCalls(d.ToolCalling, req, n)
	}
	text := d.Reply
	generated := d.Chunks > 0 && d.ChunkSize > 0
	if doc, ok := d.schemaAnswer(req, n); ok {
		text, generated, calls = doc, false, nil
	} else if !generated && text == "" && len(calls) == 0 {
		if last, _ := msgs[len(msgs)-1].(map[string]any); last["role"] == "tool" {
			text = toolResultsText(msgs)
		} else {
			text = lastUserText(msgs) + attachmentLine(msgs)
		}
	}
	var pieces []string
	if generated {
		pieces = generate(text, d.Chunks, d.ChunkSize)
		text = strings.Join(pieces, "")
	} else {
		pieces = split(text, d.Chunks, d.ChunkSize)
	}
	choices, _ := choiceCount(req) // checked by checkChat
	prompt := max(1, countWords(req["messages"]))
	completion := choices * len(strings.Fields(text))
	opts, _ := req["stream_options"].(map[string]any)
	include, _ := opts["include_usage"].(bool)
	return &answer{
		d: d, id: fmt.Sprintf("chatcmpl-emulator-%d", n), created: time.Now().Unix(), n: choices,
		text: text, pieces: pieces, calls: calls, includeUsage: include,
		usage: map[string]int{"prompt_tokens": prompt, "completion_tokens": completion,
			"total_tokens": prompt + completion},
	}
}

// finishReason is "tool_calls" for a tool-calling deployment, else "stop".
func (a *answer) finishReason() string {
	if len(a.calls) > 0 {
		return "tool_calls"
	}
	return "stop"
}

// block is the non-streaming response. An assistant message with tool calls and no text has
// "content": null, as OpenAI sends it.
func (a *answer) block() map[string]any {
	msg := map[string]any{"role": "assistant", "content": a.text}
	if len(a.calls) > 0 {
		calls := make([]map[string]any, len(a.calls))
		for i, c := range a.calls {
			calls[i] = maps.Clone(c)
			delete(calls[i], "index") // block answers carry no index
			if a.d.LegacyToolType {
				calls[i]["type"] = "functionfunction" // "function" from both chunks, concatenated
			}
		}
		msg["tool_calls"] = calls
		if a.text == "" {
			msg["content"] = nil
		}
	}
	if len(a.d.CustomContent) > 0 {
		msg["custom_content"] = json.RawMessage(a.d.CustomContent)
	}
	choices := make([]any, a.n)
	for i := range choices {
		choices[i] = map[string]any{"index": i, "finish_reason": a.finishReason(), "message": msg}
	}
	return map[string]any{
		"id": a.id, "object": "chat.completion", "created": a.created, "model": a.d.ID,
		"choices": choices, "usage": a.usage,
	}
}

// chunk is one streamed event of choice index with delta and, on the last one, finish_reason;
// usage is added when not nil.
func (a *answer) chunk(index int, delta map[string]any, finish any, usage map[string]int) []byte {
	return a.event([]any{map[string]any{"index": index, "delta": delta, "finish_reason": finish}}, usage)
}

// event is a chat.completion.chunk with choices and usage: the usage when not nil, else null
// when the client asked for include_usage, else none.
func (a *answer) event(choices []any, usage map[string]int) []byte {
	c := map[string]any{
		"id": a.id, "object": "chat.completion.chunk", "created": a.created, "model": a.d.ID,
		"choices": choices,
	}
	if usage != nil {
		c["usage"] = usage
	} else if a.includeUsage {
		c["usage"] = nil
	}
	b, _ := json.Marshal(c)
	return b
}

// stream sends the answer as SSE events, applying the deployment's delay and faults. It stops
// when the client goes away. Events are flushed one by one when the deployment paces them;
// otherwise they leave as the write buffer fills, which keeps bulk streams cheap to serve.
func (a *answer) stream(ctx context.Context, w http.ResponseWriter) {
	d := a.d
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	paced := d.ChunkDelay > 0
	send := func(data []byte) {
		w.Write([]byte("data: "))
		w.Write(data)
		w.Write([]byte("\n\n"))
		if paced {
			flush()
		}
	}
	cut := func() {
		flush()
		panic(http.ErrAbortHandler) // the server drops the connection mid-response
	}
	if d.Replay != "" {
		replay(ctx, w, d)
		return
	}
	first := map[string]any{"role": "assistant"}
	if len(a.calls) > 0 && a.text == "" {
		first["content"] = nil
	}
	if len(d.CustomContent) > 0 {
		first["custom_content"] = json.RawMessage(d.CustomContent)
	}
	deltas := a.toolCallDeltas()
	for c := range a.n {
		send(a.chunk(c, first, nil, nil))
	}
	flush()
	for _, delta := range deltas {
		for c := range a.n {
			send(a.chunk(c, delta, nil, nil))
		}
	}
	// Content chunks differ only in their text: marshal each choice's envelope once.
	type envelope struct{ prefix, suffix []byte }
	envelopes := make([]envelope, a.n)
	for c := range envelopes {
		e := a.chunk(c, map[string]any{"content": "\x00"}, nil, nil)
		envelopes[c].prefix, envelopes[c].suffix, _ = bytes.Cut(e, []byte(`"\u0000"`))
	}
	buf := make([]byte, 0, 256)
	for i, p := range a.pieces {
		if d.StreamError != nil && d.StreamError.After == i {
			a.streamError(send)
			return
		}
		if d.CutAfter > 0 && d.CutAfter == i {
			cut()
		}
		if !sleep(ctx, time.Duration(d.ChunkDelay)) {
			return
		}
		text, _ := json.Marshal(p)
		for _, e := range envelopes {
			buf = append(append(append(buf[:0], e.prefix...), text...), e.suffix...)
			send(buf)
		}
	}
	if d.StreamError != nil && d.StreamError.After >= len(a.pieces) {
		a.streamError(send)
		return
	}
	if d.CutAfter > 0 {
		cut()
	}
	for c := range a.n {
		var usage map[string]int
		if c == a.n-1 && !a.includeUsage {
			usage = a.usage
		}
		send(a.chunk(c, map[string]any{}, a.finishReason(), usage))
	}
	if a.includeUsage {
		send(a.event([]any{}, a.usage))
	}
	send([]byte("[DONE]"))
}

// toolCallDeltas streams the tool calls as OpenAI does: per call, a delta with its id, name and
// the first half of its arguments, then one with the rest of the arguments, merged by index.
// With LegacyToolType the second delta repeats the call's type.
func (a *answer) toolCallDeltas() []map[string]any {
	var out []map[string]any
	for _, c := range a.calls {
		fn, _ := c["function"].(map[string]any)
		args, _ := fn["arguments"].(string)
		half := len(args) / 2
		for half < len(args) && !utf8.RuneStart(args[half]) {
			half++
		}
		head := maps.Clone(c)
		head["function"] = map[string]any{"name": fn["name"], "arguments": args[:half]}
		rest := map[string]any{"index": c["index"], "function": map[string]any{"arguments": args[half:]}}
		if a.d.LegacyToolType {
			rest["type"] = c["type"]
		}
		out = append(out, map[string]any{"tool_calls": []any{head}}, map[string]any{"tool_calls": []any{rest}})
	}
	return out
}

// streamError sends the configured mid-stream error event and [DONE], as aidial-sdk does.
func (a *answer) streamError(send func([]byte)) {
	se := a.d.StreamError
	body := errorBody{Message: se.Message, Type: se.Type, Code: se.Code}
	if body.Type == "" {
		body.Type = "runtime_error"
	}
	b, _ := json.Marshal(map[string]errorBody{"error": body})
	send(b)
	send([]byte("[DONE]"))
}

// replay sends the deployment's SSE transcript event by event, waiting ChunkDelay before each.
func replay(ctx context.Context, w http.ResponseWriter, d *deployment) {
	b, err := os.ReadFile(d.Replay)
	if err != nil {
		fmt.Fprintf(w, "data: {\"error\":{\"message\":%q}}\n\n", "replay: "+err.Error())
		return
	}
	flusher, _ := w.(http.Flusher)
	for event := range bytes.SplitAfterSeq(b, []byte("\n\n")) {
		if !sleep(ctx, time.Duration(d.ChunkDelay)) {
			return
		}
		w.Write(event)
		if flusher != nil {
			flusher.Flush()
		}
	}
}

// sleep waits for d or until ctx ends, and reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// foreignAttachment returns the first relative DIAL file URL attached to msgs (in
// custom_content attachments or image_url parts) that lies outside the caller's bucket, as Core
// refuses to forward attachments the caller cannot read.
func foreignAttachment(msgs any, c *caller) string {
	list, _ := msgs.([]any)
	var urls []string
	for _, m := range list {
		m, _ := m.(map[string]any)
		cc, _ := m["custom_content"].(map[string]any)
		atts, _ := cc["attachments"].([]any)
		for _, a := range atts {
			a, _ := a.(map[string]any)
			if u, ok := a["url"].(string); ok {
				urls = append(urls, u)
			}
		}
		parts, _ := m["content"].([]any)
		for _, p := range parts {
			p, _ := p.(map[string]any)
			img, _ := p["image_url"].(map[string]any)
			if u, ok := img["url"].(string); ok {
				urls = append(urls, u)
			}
		}
	}
	for _, u := range urls {
		if rest, ok := strings.CutPrefix(u, "files/"); ok {
			if bucket, _, _ := strings.Cut(rest, "/"); bucket != c.bucket {
				return u
			}
		}
	}
	return ""
}

// lastUserText is the text of the last user message: its string content, or its text parts
// joined.
func lastUserText(msgs []any) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		m, _ := msgs[i].(map[string]any)
		if m["role"] != "user" {
			continue
		}
		return contentText(m["content"])
	}
	return ""
}

// contentText is the text of a message content: a string, or the text of its parts.
func contentText(content any) string {
	switch c := content.(type) {
	case string:
		return c
	case []any:
		var sb strings.Builder
		for _, part := range c {
			if p, ok := part.(map[string]any); ok && p["type"] == "text" {
				s, _ := p["text"].(string)
				sb.WriteString(s)
			}
		}
		return sb.String()
	}
	return ""
}

// countWords counts the words of every message content, the emulator's token count.
func countWords(msgs any) int {
	list, _ := msgs.([]any)
	n := 0
	for _, m := range list {
		if m, ok := m.(map[string]any); ok {
			n += len(strings.Fields(contentText(m["content"])))
		}
	}
	return n
}

// split cuts text into stream pieces whose concatenation is text: into chunks near-equal
// pieces, into pieces of at most size bytes, or by default into words with their leading
// spaces. Pieces never split a UTF-8 sequence.
func split(text string, chunks, size int) []string {
	if text == "" {
		return nil
	}
	if chunks > 0 {
		size = max(1, (len(text)+chunks-1)/chunks)
	}
	var out []string
	if size > 0 {
		for len(text) > 0 {
			n := min(size, len(text))
			for n < len(text) && !utf8.RuneStart(text[n]) {
				n++
			}
			out = append(out, text[:n])
			text = text[n:]
		}
		return out
	}
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' && text[i-1] != ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	return append(out, text[start:])
}

// generate makes chunks pieces of size bytes each, cycling through source (or the filler text).
func generate(source string, chunks, size int) []string {
	if source == "" {
		source = filler
	}
	cycle := strings.Repeat(source, size/len(source)+2)
	out := make([]string, chunks)
	for i := range out {
		off := (i * size) % len(source)
		out[i] = cycle[off : off+size]
	}
	return out
}

// serveEmbeddings answers POST …/embeddings with deterministic unit vectors derived from each
// input's SHA-256, as floats or, with encoding_format "base64", little-endian float32s.
func (e *Emulator) serveEmbeddings(w http.ResponseWriter, r *http.Request, d *deployment, n int) {
	req := readRequest(w, r)
	if req == nil || d.fault(w, n) {
		return
	}
	if d.EmbeddingDimensions == 0 {
		jsonError(w, http.StatusBadRequest, errorBody{Message: "Deployment " + d.ID + " is not an embeddings model",
			Type: "invalid_request_error"})
		return
	}
	inputs, ok := embeddingInputs(req["input"])
	if !ok {
		jsonError(w, http.StatusBadRequest, errorBody{Message: "input must be a string or an array",
			Type: "invalid_request_error", Param: "input"})
		return
	}
	base64Format := req["encoding_format"] == "base64"
	data := make([]any, len(inputs))
	tokens := 0
	for i, in := range inputs {
		vec := embed(in, d.EmbeddingDimensions)
		tokens += max(1, len(strings.Fields(in)))
		var emb any = vec
		if base64Format {
			buf := make([]byte, 4*len(vec))
			for j, f := range vec {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(float32(f)))
			}
			emb = base64.StdEncoding.EncodeToString(buf)
		}
		data[i] = map[string]any{"index": i, "object": "embedding", "embedding": emb}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "model": d.ID, "data": data,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}})
}

// embeddingInputs normalises an embeddings input (a string, strings, tokens or token lists)
// to one string per vector.
func embeddingInputs(v any) ([]string, bool) {
	switch in := v.(type) {
	case string:
		return []string{in}, true
	case []any:
		if len(in) == 0 {
			return nil, false
		}
		if _, tokens := in[0].(json.Number); tokens {
			b, _ := json.Marshal(in)
			return []string{string(b)}, true
		}
		out := make([]string, len(in))
		for i, x := range in {
			switch x := x.(type) {
			case string:
				out[i] = x
			case []any:
				b, _ := json.Marshal(x)
				out[i] = string(b)
			default:
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// embed derives a unit vector of dims components from text.
func embed(text string, dims int) []float64 {
	vec := make([]float64, dims)
	var norm float64
	for i := range vec {
		h := sha256.Sum256([]byte(strconv.Itoa(i) + "\x00" + text))
		vec[i] = float64(int32(binary.LittleEndian.Uint32(h[:4]))) / math.MaxInt32
		norm += vec[i] * vec[i]
	}
	norm = math.Sqrt(norm)
	for i := range vec {
		vec[i] /= norm
	}
	return vec
}
