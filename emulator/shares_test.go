package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
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

// TestSharedMetadata checks that READ shared on an item or a folder covers its metadata as it
// covers its download, as Core's AccessControlBaseController checks both: the receiver reads
// them after accepting, with its own permissions; an identity it was not shared with, and the
// receiver after the owner revokes, get Core's 403.
func TestSharedMetadata(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	home := "files/" + srv.Bucket + "/"
	item, folder := home+"reports/q3.txt", home+"team/"
	for _, p := range []string{item, folder + "a.txt"} {
		require.Equal(t, 200, stUpload(t, srv, strings.TrimPrefix(p, "files/"), "numbers", "text/plain").status)
	}
	as := func(key, method, path, body string) stResult {
		return stDoKey(t, key, method, srv.URL+path, strings.NewReader(body))
	}
	share := func(url string) {
		t.Helper()
		r := stDo(t, srv, http.MethodPost, "/v1/ops/resource/share/create",
			strings.NewReader(`{"resources":[{"url":"`+url+`"}]}`))
		require.Equal(t, 200, r.status, r.body)
		link, _ := stJSON(t, r.body)["invitationLink"].(string)
		r = as(emulator.SecondKey, http.MethodGet, link+"?accept=true", "")
		require.Equal(t, 200, r.status, r.body)
	}
	forbidden := func(key, url, why string) {
		t.Helper()
		r := as(key, http.MethodGet, "/v1/metadata/"+url, "")
		assert.Equal(t, 403, r.status, why)
		assert.Equal(t, "You don't have an access to: "+url, r.body, why)
	}

	forbidden(emulator.SecondKey, item, "not shared yet")
	share(item)
	r := as(emulator.SecondKey, http.MethodGet, "/v1/metadata/"+item+"?permissions=true", "")
	require.Equal(t, 200, r.status, r.body)
	m := stJSON(t, r.body)
	assert.Equal(t, item, m["url"])
	assert.Equal(t, srv.Bucket, m["bucket"])
	assert.Equal(t, md5hex("numbers"), m["etag"])
	assert.EqualValues(t, len("numbers"), m["contentLength"])
	assert.Equal(t, []any{"READ"}, m["permissions"], "the receiver's permissions, not the owner's")
	own := stJSON(t, stDo(t, srv, http.MethodGet, "/v1/metadata/"+item+"?permissions=true", nil).body)
	assert.Equal(t, []any{"READ", "WRITE", "SHARE"}, own["permissions"])
	forbidden(emulator.RestrictedKey, item, "shared with another identity")
	forbidden(emulator.SecondKey, home+"reports/", "sharing an item shares nothing above it")

	share(folder)
	r = as(emulator.SecondKey, http.MethodGet, "/v1/metadata/"+folder+"?permissions=true", "")
	require.Equal(t, 200, r.status, r.body)
	m = stJSON(t, r.body)
	assert.Equal(t, []any{"READ"}, m["permissions"])
	items, _ := m["items"].([]any)
	require.Len(t, items, 1, r.body)
	child, _ := items[0].(map[string]any)
	assert.Equal(t, folder+"a.txt", child["url"])
	assert.Equal(t, []any{"READ"}, child["permissions"], "shared through the folder above it")
	r = as(emulator.SecondKey, http.MethodGet, "/v1/metadata/"+folder+"a.txt", "")
	assert.Equal(t, 200, r.status, r.body)
	r = as(emulator.SecondKey, http.MethodGet, "/v1/"+folder, "")
	assert.Equal(t, 400, r.status, "READ passes, then a folder is not downloaded")
	assert.Equal(t, "Can't download a folder", r.body)
	forbidden(emulator.RestrictedKey, folder, "shared with another identity")

	for _, url := range []string{item, folder} {
		r = stDo(t, srv, http.MethodPost, "/v1/ops/resource/share/revoke",
			strings.NewReader(`{"resources":[{"url":"`+url+`"}]}`))
		require.Equal(t, 200, r.status, r.body)
		forbidden(emulator.SecondKey, url, "revoked")
	}
	forbidden(emulator.SecondKey, folder+"a.txt", "revoked with its folder")
}
