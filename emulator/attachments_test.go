package emulator_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dialua/dialua/emulator/emulatortest"
)

// An echo answer lists the attachments of the last user message, and only of that one.
func TestEchoListsAttachments(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	a := `{"url":"files/` + srv.Bucket + `/a.png","type":"image/png","title":"a.png"}`
	_, _, body := chat(t, srv, "echo", `{"messages":[{"role":"user","content":"old","custom_content":{"attachments":[`+a+`]}},`+
		`{"role":"assistant","content":"ok"},{"role":"user","content":"new"}]}`)
	assert.Contains(t, body, `"content":"new"`)
	_, _, body = chat(t, srv, "echo", `{"messages":[{"role":"user","content":"look","custom_content":{"attachments":[`+a+`,`+
		`{"url":"https://example.com/b.pdf","type":"application/pdf","title":"b"}]}}]}`)
	assert.Contains(t, body, `"content":"look\n[attachments: a.png \u003cfiles/`+srv.Bucket+`/a.png\u003e (image/png), b \u003chttps://example.com/b.pdf\u003e (application/pdf)]"`)
}
