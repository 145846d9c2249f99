package dial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// SharedResource is one resource of a share, a revocation or a per-request grant: its storage
// URL and, optionally, the permissions given ("READ", "WRITE"; Core's default is read). In
// JSON it is {"url", "permissions"}; a bare JSON string is read as the URL.
type SharedResource struct {
	URL         string   `json:"url"`
	Permissions []string `json:"permissions,omitempty"`
}

// UnmarshalJSON accepts {"url", "permissions"} or a URL string.
func (r *SharedResource) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*r = SharedResource{URL: s}
		return nil
	}
	type plain SharedResource
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(r))
}

// ShareRequest is the body of POST /v1/ops/resource/share/create.
type ShareRequest struct {
	// Resources are the caller's own items or folders (a folder URL ends in '/').
	Resources []SharedResource `json:"resources"`
	// InvitationType is Core's invitation type; empty lets Core choose ("LINK").
	InvitationType string `json:"invitationType,omitempty"`
	// MaxAcceptedUsers bounds how many users may accept the invitation; zero: no bound.
	MaxAcceptedUsers int `json:"maxAcceptedUsers,omitempty"`
}

// ListSharesRequest is the body of POST /v1/ops/resource/share/list.
type ListSharesRequest struct {
	// ResourceTypes filters by Core's resource types ("FILE", "CONVERSATION", "PROMPT",
	// "APPLICATION", "TOOL_SET"); empty means [DefaultShareTypes].
	ResourceTypes []string `json:"resourceTypes"`
	// With is "me" for the resources shared with the caller (the default) or "others" for
	// those the caller shared.
	With string `json:"with"`
}

// DefaultShareTypes are the resource types [Client.ListShares] asks for when the request
// names none.
var DefaultShareTypes = []string{"FILE", "CONVERSATION", "PROMPT", "APPLICATION"}

// CreateShare creates an invitation to the resources of req and returns Core's answer,
// {"invitationLink": "/v1/invitations/<id>"}; [InvitationID] extracts the id. Another user
// accepts it with [Client.AcceptInvitation]. Resource URLs may be relative or absolute on
// the client's server; they are sent in Core's relative form.
func (c *Client) CreateShare(ctx context.Context, req ShareRequest, opts ...CallOption) (json.RawMessage, error) {
	if len(req.Resources) == 0 {
		return nil, errors.New("dial: CreateShare: no resources")
	}
	rs, err := c.normalizeShared(req.Resources)
	if err != nil {
		return nil, err
	}
	req.Resources = rs
	return c.postOp(ctx, "v1/ops/resource/share/create", req, opts)
}

// ListShares returns Core's {"resources": [metadata…]}: the resources shared with the caller
// or, with With "others", by the caller, once accepted.
func (c *Client) ListShares(ctx context.Context, req ListSharesRequest, opts ...CallOption) (json.RawMessage, error) {
	if len(req.ResourceTypes) == 0 {
		req.ResourceTypes = DefaultShareTypes
	}
	if req.With == "" {
		req.With = "me"
	}
	return c.postOp(ctx, "v1/ops/resource/share/list", req, opts)
}

// DiscardShares gives up access to resources others shared with the caller.
func (c *Client) DiscardShares(ctx context.Context, urls []string, opts ...CallOption) error {
	rs := make([]SharedResource, len(urls))
	for i, u := range urls {
		rs[i].URL = u
	}
	return c.linkOp(ctx, "discard", rs, opts)
}

// RevokeShares takes the access to the caller's resources away from every user they were
// shared with (only the permissions named, when a resource names some).
func (c *Client) RevokeShares(ctx context.Context, resources []SharedResource, opts ...CallOption) error {
	return c.linkOp(ctx, "revoke", resources, opts)
}

// linkOp posts {"resources": […]} to share/discard or share/revoke.
func (c *Client) linkOp(ctx context.Context, op string, resources []SharedResource, opts []CallOption) error {
	if len(resources) == 0 {
		return fmt.Errorf("dial: %s shares: no resources", op)
	}
	rs, err := c.normalizeShared(resources)
	if err != nil {
		return err
	}
	_, err = c.postOp(ctx, "v1/ops/resource/share/"+op, map[string]any{"resources": rs}, opts)
	return err
}

// Invitations returns GET /v1/invitations, {"invitations": […]}: the caller's open invitations.
func (c *Client) Invitations(ctx context.Context, opts ...CallOption) (json.RawMessage, error) {
	return c.DoJSON(ctx, http.MethodGet, "v1/invitations", nil, opts...)
}

// Invitation returns one invitation by id (or by its link, "/v1/invitations/<id>").
func (c *Client) Invitation(ctx context.Context, id string, opts ...CallOption) (json.RawMessage, error) {
	p, err := invitationPath(id)
	if err != nil {
		return nil, err
	}
	return c.DoJSON(ctx, http.MethodGet, p, nil, opts...)
}

// AcceptInvitation accepts an invitation by id or link: its resources become readable by
// the caller and are listed by [Client.ListShares].
func (c *Client) AcceptInvitation(ctx context.Context, id string, opts ...CallOption) error {
	p, err := invitationPath(id)
	if err != nil {
		return err
	}
	_, err = c.DoJSON(ctx, http.MethodGet, p+"?accept=true", nil, opts...)
	return err
}

// DeleteInvitation deletes one of the caller's invitations; access already given stays.
func (c *Client) DeleteInvitation(ctx context.Context, id string, opts ...CallOption) error {
	p, err := invitationPath(id)
	if err != nil {
		return err
	}
	_, err = c.DoJSON(ctx, http.MethodDelete, p, nil, opts...)
	return err
}

// InvitationID returns the id of an invitation link such as "/v1/invitations/abc" (or of a
// CreateShare answer's invitationLink), or the argument itself when it has no '/'.
func InvitationID(link string) string {
	link = strings.TrimRight(link, "/")
	return link[strings.LastIndexByte(link, '/')+1:]
}

// invitationPath is the request path of an invitation id or link. Core's ids are letters and
// digits.
func invitationPath(id string) (string, error) {
	id = InvitationID(id)
	if id == "" {
		return "", invalidURL(id, "empty invitation id")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", invalidURL(id, "an invitation id has only letters and digits")
		}
	}
	return "v1/invitations/" + id, nil
}

// PermissionGrant is the body of POST /v1/ops/resource/per-request-permissions/grant.
type PermissionGrant struct {
	// Resources are the resources to give, with their permissions (default "READ").
	Resources []SharedResource `json:"resourcePermissions"`
	// Receiver is the deployment that receives the permissions.
	Receiver string `json:"receiver"`
}

// GrantPermissions gives the deployment g.Receiver access to resources for the current
// request. Core accepts it only from a per-request key (the key an application gets for one
// call); other credentials get a 403.
func (c *Client) GrantPermissions(ctx context.Context, g PermissionGrant, opts ...CallOption) error {
	if g.Receiver == "" {
		return errors.New("dial: GrantPermissions: no receiver")
	}
	if len(g.Resources) == 0 {
		return errors.New("dial: GrantPermissions: no resources")
	}
	rs, err := c.normalizeShared(g.Resources)
	if err != nil {
		return err
	}
	for i := range rs {
		if len(rs[i].Permissions) == 0 {
			rs[i].Permissions = []string{"READ"}
		}
	}
	g.Resources = rs
	_, err = c.postOp(ctx, "v1/ops/resource/per-request-permissions/grant", g, opts)
	return err
}

// normalizeShared returns resources with their URLs in Core's relative form.
func (c *Client) normalizeShared(resources []SharedResource) ([]SharedResource, error) {
	out := make([]SharedResource, len(resources))
	for i, r := range resources {
		u, err := c.ParseStorageURL(r.URL)
		if err != nil {
			return nil, err
		}
		out[i] = SharedResource{URL: u.String(), Permissions: r.Permissions}
	}
	return out, nil
}

// postOp posts body as JSON to path and returns the answer as received (nil when empty).
func (c *Client) postOp(ctx context.Context, path string, body any, opts []CallOption) (json.RawMessage, error) {
	b, err := marshalBody(body)
	if err != nil {
		return nil, err
	}
	return c.DoJSON(ctx, http.MethodPost, path, b, opts...)
}
