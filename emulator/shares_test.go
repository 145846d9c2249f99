package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dialua/dialua/emulator/emulatortest"
)

// TestSharingAndSubscribeErrors checks Core's 400 answers to malformed sharing and
// subscription bodies.
func TestSharingAndSubscribeErrors(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	post := func(path, body string) stResult {
		return stDo(t, srv, http.MethodPost, path, strings.NewReader(body))
	}
	home := "files/" + srv.Bucket + "/"
	for _, tc := range []struct{ path, body, msg string }{
		{"/v1/ops/resource/share/create", `[`, "Can't initiate share request. Incorrect body"},
		{"/v1/ops/resource/share/create", `{"resources":[]}`, "No resources provided"},
		{"/v1/ops/resource/share/list", `{`, "Can't list shared resources. Incorrect body"},
		{"/v1/ops/resource/share/revoke", `{"resources":5}`, "Can't REVOKE shared resources. Incorrect body"},
		{"/v1/ops/resource/share/discard", `{}`, "No resources provided"},
		{"/v1/ops/resource/subscribe", `{`, "Invalid body provided"},
		{"/v1/ops/resource/subscribe", `{"resources":[]}`, "resources list must be provided"},
		{"/v1/ops/resource/subscribe", `{"resources":[{"url":"` + home + `"}]}`, "resource folder is not supported: " + home},
	} {
		r := post(tc.path, tc.body)
		assert.Equal(t, 400, r.status, tc.path+" "+tc.body)
		assert.Equal(t, tc.msg, r.body, tc.path+" "+tc.body)
	}
	assert.Equal(t, 502, stDo(t, srv, http.MethodGet, "/v1/invitations/not-an-id", nil).status,
		"Core's route wants letters and digits")
	r := stDo(t, srv, http.MethodDelete, "/v1/invitations/abc", nil)
	assert.Equal(t, 404, r.status)
	assert.Equal(t, "No invitation found for IDabc", r.body, "Core's text, without its space")
}
