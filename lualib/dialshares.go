package lualib

import (
	"bytes"
	"encoding/json"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// sharesHandle is client.shares: sharing the caller's resources with other users through
// invitations (/v1/ops/resource/share/*). Resources are given as URL strings or {url,
// permissions} tables.
type sharesHandle struct {
	cl *clientHandle
}

// String is what tostring shows.
func (s *sharesHandle) String() string { return "dial.shares" }

// Create is shares:create{resources, invitationType?, maxAcceptedUsers?}: Core's answer,
// {invitationLink = "/v1/invitations/<id>"}; the link (or its id) is what another user
// accepts.
func (s *sharesHandle) Create(L *luar.LState) int {
	var req dial.ShareRequest
	decodeArg(L.LState, 1, &req)
	return s.cl.pushCall(L, func() (json.RawMessage, error) { return s.cl.c.CreateShare(luabridge.Context(L.LState), req) })
}

// List is shares:list{with = "me"|"others", resourceTypes = {…}}: {resources = {metadata…}},
// the accepted shares with the caller ("me", the default) or by the caller ("others").
func (s *sharesHandle) List(L *luar.LState) int {
	var req dial.ListSharesRequest
	if L.Get(1) != lua.LNil {
		decodeArg(L.LState, 1, &req)
	}
	return s.cl.pushCall(L, func() (json.RawMessage, error) { return s.cl.c.ListShares(luabridge.Context(L.LState), req) })
}

// linkList is the body of shares:discard and shares:revoke.
type linkList struct {
	Resources []dial.SharedResource `json:"resources"`
}

// Discard is shares:discard{resources}: gives up resources shared with the caller.
func (s *sharesHandle) Discard(L *luar.LState) int {
	var req linkList
	decodeArg(L.LState, 1, &req)
	urls := make([]string, len(req.Resources))
	for i, r := range req.Resources {
		urls[i] = r.URL
	}
	return s.cl.pushDone(L, func() error { return s.cl.c.DiscardShares(luabridge.Context(L.LState), urls) })
}

// Revoke is shares:revoke{resources}: takes the caller's resources back from everyone.
func (s *sharesHandle) Revoke(L *luar.LState) int {
	var req linkList
	decodeArg(L.LState, 1, &req)
	return s.cl.pushDone(L, func() error { return s.cl.c.RevokeShares(luabridge.Context(L.LState), req.Resources) })
}

// invitationsHandle is client.invitations: the invitations of /v1/invitations, by id or link.
type invitationsHandle struct {
	cl *clientHandle
}

// String is what tostring shows.
func (i *invitationsHandle) String() string { return "dial.invitations" }

// List is invitations:list(): {invitations = {…}}, the caller's open invitations.
func (i *invitationsHandle) List(L *luar.LState) int {
	return i.cl.pushCall(L, func() (json.RawMessage, error) { return i.cl.c.Invitations(luabridge.Context(L.LState)) })
}

// Get is invitations:get(id_or_link): the invitation, {id, resources, createdAt, expireAt}.
func (i *invitationsHandle) Get(L *luar.LState) int {
	id := L.CheckString(1)
	return i.cl.pushCall(L, func() (json.RawMessage, error) { return i.cl.c.Invitation(luabridge.Context(L.LState), id) })
}

// Accept is invitations:accept(id_or_link): the invitation's resources become readable.
func (i *invitationsHandle) Accept(L *luar.LState) int {
	id := L.CheckString(1)
	return i.cl.pushDone(L, func() error { return i.cl.c.AcceptInvitation(luabridge.Context(L.LState), id) })
}

// Delete is invitations:delete(id_or_link): deletes one of the caller's invitations.
func (i *invitationsHandle) Delete(L *luar.LState) int {
	id := L.CheckString(1)
	return i.cl.pushDone(L, func() error { return i.cl.c.DeleteInvitation(luabridge.Context(L.LState), id) })
}

// permissionsHandle is client.permissions: per-request permission grants.
type permissionsHandle struct {
	cl *clientHandle
}

// String is what tostring shows.
func (p *permissionsHandle) String() string { return "dial.permissions" }

// Grant is permissions:grant{resources, receiver, permissions?}: gives the deployment receiver
// access to resources (URLs or {url, permissions}; permissions defaults to {"READ"}) for the
// current request. Only an application's per-request key may grant.
func (p *permissionsHandle) Grant(L *luar.LState) int {
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
	return p.cl.pushDone(L, func() error { return p.cl.c.GrantPermissions(luabridge.Context(L.LState), g) })
}

// decodeArg decodes the table argument n into v by its wire names, raising an argument error
// for a key v does not know or a value of the wrong type.
func decodeArg(L *lua.LState, n int, v any) {
	raw, err := luabridge.ToJSON(L, L.CheckTable(n))
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

// pushCall runs call and pushes its JSON answer as plain tables, or the failure triple.
func (c *clientHandle) pushCall(L *luar.LState, call func() (json.RawMessage, error)) int {
	defer c.m.enter(L.LState)()
	raw, err := call()
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	return c.m.pushJSON(L.LState, raw)
}

// pushDone runs call and pushes true, or the failure triple.
func (c *clientHandle) pushDone(L *luar.LState, call func() error) int {
	defer c.m.enter(L.LState)()
	if err := call(); err != nil {
		return c.m.fail(L.LState, err)
	}
	L.Push(lua.LTrue)
	return 1
}
