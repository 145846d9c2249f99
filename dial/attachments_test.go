package dial

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingTransport counts the requests it forwards, by method.
type countingTransport struct {
	mu sync.Mutex
	n  map[string]int
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.mu.Lock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[r.Method]++
	t.mu.Unlock()
	return testutil.HTTPClient.Transport.RoundTrip(r)
}

func (t *countingTransport) count(method string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n[method]
}

// countingClient is a client of srv whose requests are counted.
func countingClient(t *testing.T, srv *emulatortest.Server, opts ...Option) (*Client, *countingTransport) {
	ct := &countingTransport{}
	c, _ := newTestClient(t, srv, append([]Option{WithHTTPClient(&http.Client{Transport: ct})}, opts...)...)
	return c, ct
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// A local file is uploaded once, content-addressed: attaching it again, even from another
// run, uploads nothing; the chat message carries it in custom_content and the echo
// deployment reports what it received.
func TestAttachUploadsOnce(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, ct := countingClient(t, srv)
	dir := t.TempDir()
	png := writeFile(t, dir, "my photo.png", "not really a png")
	pdf := writeFile(t, dir, "report.bin", "%PDF-1.4")

	srcs := []AttachmentSource{
		{Path: png},
		{Path: pdf, Type: "application/pdf", Title: "Q3 report"},
		{URL: "files/" + srv.Bucket + "/team/notes.txt"},
		{URL: "https://example.com/a/q3%20report.pdf?sig=x%2Fy"},
	}
	atts, err := c.Attach(t.Context(), srcs)
	require.NoError(t, err)
	require.Len(t, atts, 4)
	assert.Equal(t, 2, ct.count(http.MethodPut))
	assert.Equal(t, "image/png", atts[0].Type)
	assert.Equal(t, "my photo.png", atts[0].Title)
	assert.Regexp(t, `^files/`+srv.Bucket+`/dialua-attachments/[0-9a-f]{32}/my%20photo\.png$`, atts[0].URL)
	assert.Equal(t, "application/pdf", atts[1].Type)
	assert.Equal(t, "Q3 report", atts[1].Title)
	assert.Equal(t, Attachment{URL: "files/" + srv.Bucket + "/team/notes.txt", Type: "text/plain; charset=utf-8", Title: "notes.txt"}, atts[2])
	assert.Equal(t, Attachment{URL: srcs[3].URL, Type: "application/pdf", Title: "q3 report.pdf"}, atts[3])
	assert.Equal(t, "not really a png", download(t, c, atts[0].URL))

	again, ct2 := countingClient(t, srv)
	atts2, err := again.Attach(t.Context(), srcs)
	require.NoError(t, err)
	assert.Equal(t, atts, atts2)
	assert.Equal(t, 0, ct2.count(http.MethodPut), "a rerun uploads nothing")
	assert.Equal(t, 3, ct2.count(http.MethodGet), "the bucket, then each file's metadata")

	msg := Message{Role: RoleUser, Content: "look"}
	require.NoError(t, again.AttachFiles(t.Context(), &msg, png))
	resp, err := again.Chat(t.Context(), "echo", ChatRequest{Messages: []Message{msg}})
	require.NoError(t, err)
	assert.Equal(t, "look\n[attachments: my photo.png <"+atts[0].URL+"> (image/png)]", resp.Text())
}

// A changed file gets a new address, so it is uploaded again.
func TestAttachChangedFileUploadsAgain(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, ct := countingClient(t, srv)
	p := writeFile(t, t.TempDir(), "a.txt", "one")
	first, err := c.Attach(t.Context(), []AttachmentSource{{Path: p}})
	require.NoError(t, err)
	writeFile(t, filepath.Dir(p), "a.txt", "two")
	second, err := c.Attach(t.Context(), []AttachmentSource{{Path: p}})
	require.NoError(t, err)
	assert.NotEqual(t, first[0].URL, second[0].URL)
	assert.Equal(t, 2, ct.count(http.MethodPut))
}

func TestAttachErrors(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	c, ct := countingClient(t, srv)
	_, err := c.Attach(t.Context(), []AttachmentSource{{}})
	assert.ErrorContains(t, err, "exactly one of a path and a url")
	_, err = c.Attach(t.Context(), []AttachmentSource{{Path: "a", URL: "b"}})
	assert.ErrorContains(t, err, "exactly one of a path and a url")
	_, err = c.Attach(t.Context(), []AttachmentSource{{Path: filepath.Join(t.TempDir(), "missing.png")}})
	assert.ErrorIs(t, err, os.ErrNotExist)
	refused := func(string) (*os.File, error) { return nil, os.ErrPermission }
	_, err = c.Attach(t.Context(), []AttachmentSource{{Path: "x.png", Open: refused}})
	assert.ErrorIs(t, err, os.ErrPermission)
	assert.Equal(t, 0, ct.count(http.MethodPut))
}

// AttachToLastUser adds to the last user message only, keeping every other member.
func TestAttachToLastUser(t *testing.T) {
	t.Parallel()
	body := json.RawMessage(`{"temperature":0,"messages":[{"role":"user","content":"a"},` +
		`{"role":"assistant","content":"b"},{"role":"user","content":"c <&>","custom_content":{"attachments":[{"url":"x"}]}},` +
		`{"role":"assistant","content":"d"}]}`)
	out, err := AttachToLastUser(body, []Attachment{{URL: "files/b/y.png", Type: "image/png", Title: "y.png"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"temperature":0,"messages":[{"role":"user","content":"a"},`+
		`{"role":"assistant","content":"b"},{"role":"user","content":"c <&>","custom_content":{"attachments":[{"url":"x"},`+
		`{"url":"files/b/y.png","type":"image/png","title":"y.png"}]}},{"role":"assistant","content":"d"}]}`, string(out))
	parts := json.RawMessage(`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},` +
		`{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}],"x_extra":{"k":1}}]}`)
	out, err = AttachToLastUser(parts, []Attachment{{URL: "u"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"messages":[{"role":"user","content":[{"type":"text","text":"a"},`+
		`{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}],"x_extra":{"k":1},`+
		`"custom_content":{"attachments":[{"url":"u"}]}}]}`, string(out), "content parts and other members are kept")
	same, err := AttachToLastUser(body, nil)
	require.NoError(t, err)
	assert.Equal(t, body, same)
	_, err = AttachToLastUser(json.RawMessage(`{"messages":[{"role":"system","content":"s"}]}`), []Attachment{{URL: "u"}})
	assert.ErrorContains(t, err, "no user message")
}
