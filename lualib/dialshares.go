package lualib

import (
	"bytes"
	"encoding/json"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
)

// Shares is client.shares: sharing the caller's resources with other users through
// invitations (/v1/ops/resource/share/*). Resources are given as URL strings or {url,
// permissions} tables.
type Shares struct {
	cl *Client
}

// String is what tostring shows.
func (s *Shares) String() string { return "dial.shares" }

// Create is shares:create{resources, invitationType?, maxAcceptedUsers?}: Core's answer,
// {invitationLink = "/v1/invitations/<id>"}; the link (or its id) is what another user
// accepts.
func (s *Shares) Create(L *luar.LState) int {
	var req dial.ShareRequest
	decodeArg(L.LState, 1, &req)
	return s.cl.pushRaw(L, func() (json.RawMessage, error) { return s.cl.c.CreateShare(Context(L.LState), req) })
}

// List is shares:list{with = "me"|"others", resourceTypes = {…}}: {resources = {metadata…}},
// the accepted shares with the caller ("me", the default) or by the caller ("others").
func (s *Shares) List(L *luar.LState) int {
	var req dial.ListSharesRequest
	if L.Get(1) != lua.LNil {
		decodeArg(L.LState, 1, &req)
	}
	return s.cl.pushRaw(L, func() (json.RawMessage, error) { return s.cl.c.ListShares(Context(L.LState), req) })
}

// linkList is the body of shares:discard and shares:revoke.
type linkList struct {
	Resources []dial.SharedResource `json:"resources"`
}

// Discard is shares:discard{resources}: gives up resources shared with the caller.
func (s *Shares) Discard(L *luar.LState) int {
	var req linkList
	decodeArg(L.LState, 1, &req)
	urls := make([]string, len(req.Resources))
	for i, r := range req.Resources {
		urls[i] = r.URL
	}
	return s.cl.pushDone(L, func() error { return s.cl.c.DiscardShares(Context(L.LState), urls) })
}

// Revoke is shares:revoke{resources}: takes the caller's resources back from everyone.
func (s *Shares) Revoke(L *luar.LState) int {
	var req linkList
	decodeArg(L.LState, 1, &req)
	return s.cl.pushDone(L, func() error { return s.cl.c.RevokeShares(Context(L.LState), req.Resources) })
}

// Invitations is client.invitations: the invitations of /v1/invitations, by id or link.
type Invitations struct {
	cl *Client
}

// String is what tostring shows.
func (i *Invitations) String() string { return "dial.invitations" }

// List is invitations:list(): {invitations = {…}}, the caller's open invitations.
func (i *Invitations) List(L *luar.LState) int {
	return i.cl.pushRaw(L, func() (json.RawMessage, error) { return i.cl.c.Invitations(Context(L.LState)) })
}

// Get is invitations:get(id_or_link): the invitation, {id, resources, createdAt, expireAt}.
func (i *Invitations) Get(L *luar.LState) int {
	id := L.CheckString(1)
	return i.cl.pushRaw(L, func() (json.RawMessage, error) { return i.cl.c.Invitation(Context(L.LState), id) })
}

// Accept is invitations:accept(id_or_link): the invitation's resources become readable.
func (i *Invitations) Accept(L *luar.LState) int {
	id := L.CheckString(1)
	return i.cl.pushDone(L, func() error { return i.cl.c.AcceptInvitation(Context(L.LState), id) })
}

// Delete is invitations:delete(id_or_link): deletes one of the caller's invitations.
func (i *Invitations) Delete(L *luar.LState) int {
	id := L.CheckString(1)
	return i.cl.pushDone(L, func() error { return i.cl.c.DeleteInvitation(Context(L.LState), id) })
}

// Permissions is client.permissions: per-request permission grants.
type Permissions struct {
	cl *Client
}

// String is what tostring shows.
func (p *Permissions) String() string { return "dial.permissions" }

// Grant is permissions:grant{resources, receiver, permissions?}: gives the deployment receiver
// access to resources (URLs or {url, permissions}; permissions defaults to {"READ"}) for the
// current request. Only an application's per-request key may grant.
func (p *Permissions) Grant(L *luar.LState) int {
	var req struct {
		Resources   []dial.SharedResource `json:"resources"`
		Receiver    string                `json:"receiver"`
		Permissions []string              `json:"permissions"`
	}
	decodeArg(L.LState, 1, &req)
	for i := range req.Resources {
		if len(req.Resources[i].Permissions) == 0 {
			req.Resources[i].Permissions = req.Permissions
		}
	}
	g := dial.PermissionGrant{Resources: req.Resources, Receiver: req.Receiver}
	return p.cl.pushDone(L, func() error { return p.cl.c.GrantPermissions(Context(L.LState), g) })
}

// decodeArg decodes the table argument n into v by its wire names, raising an argument error
// for a key v does not know or a value of the wrong type.
func decodeArg(L *lua.LState, n int, v any) {
	raw, err := ToJSON(L, L.CheckTable(n))
	if err != nil {
		L.ArgError(n, err.Error())
	}
	if string(raw) == "[]" {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		L.ArgError(n, err.Error())
	}
}

// pushRaw runs call and pushes its JSON answer as plain tables, or the failure triple.
func (c *Client) pushRaw(L *luar.LState, call func() (json.RawMessage, error)) int {
	defer c.m.enter(L.LState)()
	raw, err := call()
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	return c.m.pushJSON(L.LState, raw)
}

// pushDone runs call and pushes true, or the failure triple.
func (c *Client) pushDone(L *luar.LState, call func() error) int {
	defer c.m.enter(L.LState)()
	if err := call(); err != nil {
		return c.m.fail(L.LState, err)
	}
	L.Push(lua.LTrue)
	return 1
}
