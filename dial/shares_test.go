package dial

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// TestShareAcceptRevoke walks Core's sharing flow between two keys: an invitation to a file,
// accepted by the second key, which then reads the file and its metadata until the owner
// revokes it.
func TestShareAcceptRevoke(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	owner, _ := newTestClient(t, srv)
	other, err := NewClient(srv.URL, WithAPIKey(emulator.SecondKey), WithMaxRetries(0))
	require.NoError(t, err)
	ctx := t.Context()
	url := filesHome(t, owner) + "reports/q3.txt"
	_, err = owner.UploadFile(ctx, url, strings.NewReader("numbers"))
	require.NoError(t, err)

	_, err = other.DownloadFile(ctx, url)
	assert.Equal(t, 403, statusOf(err), "not shared yet")
	_, err = other.FileMetadata(ctx, url)
	assert.Equal(t, 403, statusOf(err), "no metadata before sharing")

	link, err := owner.CreateShare(ctx, ShareRequest{Resources: []SharedResource{{URL: url}}})
	require.NoError(t, err)
	var created struct {
		InvitationLink string `json:"invitationLink"`
	}
	require.NoError(t, json.Unmarshal(link, &created))
	require.True(t, strings.HasPrefix(created.InvitationLink, "/v1/invitations/"), created.InvitationLink)
	id := InvitationID(created.InvitationLink)

	inv, err := other.Invitation(ctx, created.InvitationLink)
	require.NoError(t, err)
	assert.Contains(t, string(inv), `"url":"`+url+`"`)
	mine, err := owner.Invitations(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(mine), id)

	err = owner.AcceptInvitation(ctx, id)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "Resource "+url+" already belong to you", apiErr.Message)

	require.NoError(t, other.AcceptInvitation(ctx, id))
	assert.Equal(t, "numbers", download(t, other, url))
	meta, err := other.FileMetadata(ctx, url)
	require.NoError(t, err, "READ covers the metadata")
	assert.Equal(t, url, meta.URL)
	assert.Equal(t, int64(len("numbers")), meta.ContentLength)
	withMe, err := other.ListShares(ctx, ListSharesRequest{})
	require.NoError(t, err)
	assert.Contains(t, string(withMe), `"url":"`+url+`"`)
	assert.Contains(t, string(withMe), `"permissions":["READ"]`)
	byMe, err := owner.ListShares(ctx, ListSharesRequest{With: "others"})
	require.NoError(t, err)
	assert.Contains(t, string(byMe), `"url":"`+url+`"`)

	err = other.RevokeShares(ctx, []SharedResource{{URL: url}})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "You are only allowed to revoke access from own resources", apiErr.Message)

	require.NoError(t, owner.RevokeShares(ctx, []SharedResource{{URL: url}}))
	_, err = other.DownloadFile(ctx, url)
	assert.Equal(t, 403, statusOf(err), "revoked")
	_, err = other.FileMetadata(ctx, url)
	assert.Equal(t, 403, statusOf(err), "revoked metadata")
	_, err = owner.Invitation(ctx, id)
	require.ErrorIs(t, err, ErrNotFound, "revoking the only resource removes the invitation")
}

func TestShareErrorsAndDiscard(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	owner, _ := newTestClient(t, srv)
	other, err := NewClient(srv.URL, WithAPIKey(emulator.SecondKey), WithMaxRetries(0))
	require.NoError(t, err)
	ctx := t.Context()
	folder := filesHome(t, owner) + "team/"
	_, err = owner.UploadFile(ctx, folder+"a.txt", strings.NewReader("A"))
	require.NoError(t, err)

	_, err = owner.CreateShare(ctx, ShareRequest{})
	require.ErrorContains(t, err, "no resources")
	_, err = other.CreateShare(ctx, ShareRequest{Resources: []SharedResource{{URL: folder}}})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Resource "+folder+" does not belong to the user", apiErr.Message)
	_, err = owner.CreateShare(ctx, ShareRequest{Resources: []SharedResource{{URL: folder}, {URL: folder}}})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Duplicated resource: "+folder, apiErr.Message)

	link, err := owner.CreateShare(ctx, ShareRequest{Resources: []SharedResource{{URL: folder}}})
	require.NoError(t, err)
	var created struct{ InvitationLink string }
	require.NoError(t, json.Unmarshal(link, &created))
	id := InvitationID(created.InvitationLink)
	require.NoError(t, other.AcceptInvitation(ctx, id))
	assert.Equal(t, "A", download(t, other, folder+"a.txt"), "a shared folder shares what is under it")

	err = other.DeleteInvitation(ctx, id)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 403, apiErr.StatusCode)
	assert.Equal(t, "You are not invitation owner", apiErr.Message)
	require.NoError(t, owner.DeleteInvitation(ctx, id))
	err = other.AcceptInvitation(ctx, id)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "No invitation found for ID "+id, apiErr.Message)
	assert.Equal(t, "A", download(t, other, folder+"a.txt"), "deleting the invitation keeps accepted access")

	require.NoError(t, other.DiscardShares(ctx, []string{folder}))
	_, err = other.DownloadFile(ctx, folder+"a.txt")
	assert.Equal(t, 403, statusOf(err), "discarded")

	_, err = owner.Invitation(ctx, "not-an-id")
	require.ErrorIs(t, err, ErrInvalidURL)
}

func TestGrantPermissions(t *testing.T) {
	t.Parallel()
	cfg := emulator.DefaultConfig()
	cfg.Keys = append(cfg.Keys, emulator.Identity{Key: "per-request", Bucket: "AppBucket", PerRequest: true})
	srv := emulatortest.NewServer(t, emulatortest.WithConfig(cfg))
	var sent []byte
	srv.Handle("POST /v1/ops/resource/per-request-permissions/grant", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(sent))
		srv.Emulator.ServeHTTP(w, r)
	}))
	ctx := t.Context()
	user, _ := newTestClient(t, srv)
	err := user.GrantPermissions(ctx, PermissionGrant{Receiver: "my-app",
		Resources: []SharedResource{{URL: "files/AppBucket/x.png"}}})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 403, apiErr.StatusCode, "only a per-request key may grant")

	app, err := NewClient(srv.URL, WithAPIKey("per-request"))
	require.NoError(t, err)
	require.NoError(t, app.GrantPermissions(ctx, PermissionGrant{Receiver: "my-app",
		Resources: []SharedResource{{URL: "files/AppBucket/img%201.png"}}}))
	assert.JSONEq(t, `{"resourcePermissions":[{"url":"files/AppBucket/img%201.png","permissions":["READ"]}],"receiver":"my-app"}`,
		string(sent), "the body of the reference client, READ by default")
	err = app.GrantPermissions(ctx, PermissionGrant{Receiver: "my-app",
		Resources: []SharedResource{{URL: "files/" + emulator.DefaultBucket + "/secret.txt"}}})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 403, apiErr.StatusCode)
	require.ErrorContains(t, app.GrantPermissions(ctx, PermissionGrant{Resources: []SharedResource{{URL: "files/AppBucket/a"}}}), "no receiver")
}

func TestSharedResourceJSON(t *testing.T) {
	t.Parallel()
	var rs []SharedResource
	require.NoError(t, json.Unmarshal([]byte(`["files/b/a.txt", {"url": "files/b/c/", "permissions": ["READ", "WRITE"]}]`), &rs))
	assert.Equal(t, []SharedResource{{URL: "files/b/a.txt"}, {URL: "files/b/c/", Permissions: []string{"READ", "WRITE"}}}, rs)
	require.ErrorContains(t, json.Unmarshal([]byte(`[{"uri": "x"}]`), &rs), "unknown field")
}

// statusOf returns the HTTP status of an *APIError, or 0.
func statusOf(err error) int {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}
