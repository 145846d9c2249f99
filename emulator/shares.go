package emulator

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// invitationTTL is Core's default invitation lifetime (invitations.ttlInSeconds).
const invitationTTL = 259_200 * time.Second

// sharedLink is Core's SharedResource: a URL and its permissions.
type sharedLink struct {
	URL         string   `json:"url"`
	Permissions []string `json:"permissions,omitempty"`
}

// invitation is Core's Invitation.
type invitation struct {
	ID        string       `json:"id"`
	Resources []sharedLink `json:"resources"`
	CreatedAt int64        `json:"createdAt"`
	ExpireAt  int64        `json:"expireAt"`
	owner     string       // bucket of the author
}

// shareState holds invitations and the access accepted invitations give.
type shareState struct {
	mu          sync.Mutex
	invitations map[string]*invitation
	// access maps a receiver's bucket to the URLs (items, or folders ending in '/') shared
	// with it and their permissions.
	access map[string]map[string][]string
}

func newShareState() *shareState {
	return &shareState{invitations: map[string]*invitation{}, access: map[string]map[string][]string{}}
}

// ownPermissions are an identity's permissions on the resources of its own bucket. Callers
// must not change the slice.
var ownPermissions = []string{"READ", "WRITE", "SHARE"}

// permissions returns what c may do with res, as Core's AccessService looks it up: everything
// in c's own bucket, otherwise the union of the permissions shared with c on res and on every
// folder above it (sorted; nil when nothing is shared).
func (e *Emulator) permissions(c *caller, res resource) []string {
	if res.bucket == c.bucket {
		return ownPermissions
	}
	u := res.url()
	st := e.shares
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for link, perms := range st.access[c.bucket] {
		if link == u || strings.HasSuffix(link, "/") && strings.HasPrefix(u, link) {
			out = union(out, perms)
		}
	}
	return out
}

// permissionsOf returns the lookup of c's permissions that metadata answers with.
func (e *Emulator) permissionsOf(c *caller) func(resource) []string {
	return func(res resource) []string { return e.permissions(c, res) }
}

// mayRead reports whether c may read res: it is in c's bucket, or shared with c (the item or
// a folder above it) with READ.
func (e *Emulator) mayRead(c *caller, res resource) bool {
	return slices.Contains(e.permissions(c, res), "READ")
}

// serveSharing answers the sharing endpoints: /v1/ops/resource/share/{create,list,discard,
// revoke}, /v1/invitations[/{id}], per-request grants, subscriptions, and reads of resources
// shared with the caller. It reports whether path was one of them.
func (e *Emulator) serveSharing(w http.ResponseWriter, r *http.Request, c *caller, path string) bool {
	post := r.Method == http.MethodPost
	switch {
	case post && path == "v1/ops/resource/subscribe":
		e.serveSubscribe(w, r, c)
	case post && path == "v1/ops/resource/per-request-permissions/grant":
		e.serveGrant(w, r, c)
	case post && strings.HasPrefix(path, "v1/ops/resource/share/"):
		return e.serveShareOp(w, r, c, strings.TrimPrefix(path, "v1/ops/resource/share/"))
	case path == "v1/invitations" && r.Method == http.MethodGet:
		e.serveInvitations(w, c)
	case strings.HasPrefix(path, "v1/invitations/") && isBucketName(strings.TrimPrefix(path, "v1/invitations/")):
		return e.serveInvitation(w, r, c, strings.TrimPrefix(path, "v1/invitations/"))
	case r.Method == http.MethodGet:
		return e.serveSharedRead(w, r, c, path)
	default:
		return false
	}
	return true
}

// serveSharedRead serves GET /v1/{type}/{bucket}/{path} (a download) and GET
// /v1/metadata/{type}/{bucket}/{path} (an item's metadata or a folder's listing) of a resource
// in another identity's bucket that c may read: Core checks READ the same way for both. Other
// requests, and resources c may not read, are left to the storage, which answers them as
// Core does (403 "You don't have an access to").
func (e *Emulator) serveSharedRead(w http.ResponseWriter, r *http.Request, c *caller, path string) bool {
	p, ok := strings.CutPrefix(path, "v1/")
	if !ok {
		return false
	}
	p, metadata := strings.CutPrefix(p, "metadata/")
	typ, rest, ok := resourcePath(p)
	if !ok {
		return false
	}
	bucket, rel, _ := strings.Cut(rest, "/")
	if bucket == c.bucket {
		return false
	}
	res, err := parseResourcePath(typ, bucket, rel)
	if err != nil || !e.mayRead(c, res) {
		return false
	}
	if metadata {
		e.store.serveMetadata(w, r, res, e.permissionsOf(c))
	} else {
		e.store.serveDownload(w, r, res)
	}
	return true
}

// readBody reads a request body of at most maxResourceSize bytes.
func readBody(r *http.Request) []byte {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxResourceSize))
	if err != nil {
		return nil
	}
	return b
}

// readLinks decodes the array field of a body, [{url, permissions}], into links with
// canonical URLs (permissions default to READ) and their resources, or answers 400 with msg
// (Core's "No resources provided" when the array is empty).
func (e *Emulator) readLinks(w http.ResponseWriter, body []byte, field, msg string) ([]sharedLink, []resource, bool) {
	var req map[string]json.RawMessage
	var links []sharedLink
	err := json.Unmarshal(body, &req)
	if err == nil && req[field] != nil {
		err = json.Unmarshal(req[field], &links)
	}
	if err != nil {
		plain(w, http.StatusBadRequest, msg)
		return nil, nil, false
	}
	if len(links) == 0 {
		plain(w, http.StatusBadRequest, "No resources provided")
		return nil, nil, false
	}
	res := make([]resource, len(links))
	for i, l := range links {
		if res[i], err = e.store.parseURL(l.URL); err != nil {
			plain(w, http.StatusBadRequest, err.Error())
			return nil, nil, false
		}
		links[i].URL = res[i].url()
		if len(l.Permissions) == 0 {
			links[i].Permissions = []string{"READ"}
		}
	}
	return links, res, true
}

// serveShareOp answers POST /v1/ops/resource/share/{op} with Core's ShareController messages.
func (e *Emulator) serveShareOp(w http.ResponseWriter, r *http.Request, c *caller, op string) bool {
	switch op {
	case "create":
		links, res, ok := e.readLinks(w, readBody(r), "resources", "Can't initiate share request. Incorrect body")
		if !ok {
			return true
		}
		seen := map[string]bool{}
		for i, rs := range res {
			switch {
			case rs.bucket != c.bucket:
				plain(w, http.StatusBadRequest, "Resource "+rs.url()+" does not belong to the user")
				return true
			case seen[links[i].URL]:
				plain(w, http.StatusBadRequest, "Duplicated resource: "+rs.url())
				return true
			}
			seen[links[i].URL] = true
		}
		inv := e.shares.create(c.bucket, links)
		writeJSON(w, http.StatusOK, map[string]string{"invitationLink": "/v1/invitations/" + inv.ID})
	case "list":
		var req struct {
			ResourceTypes []string `json:"resourceTypes"`
			With          string   `json:"with"`
		}
		if json.Unmarshal(readBody(r), &req) != nil {
			plain(w, http.StatusBadRequest, "Can't list shared resources. Incorrect body")
			return true
		}
		writeJSON(w, http.StatusOK, map[string]any{"resources": e.shares.list(c.bucket, req.With == "others", req.ResourceTypes)})
	case "discard":
		links, _, ok := e.readLinks(w, readBody(r), "resources", "Can't DISCARD shared resources. Incorrect body")
		if ok {
			e.shares.discard(c.bucket, links)
			plain(w, http.StatusOK, "")
		}
	case "revoke":
		links, res, ok := e.readLinks(w, readBody(r), "resources", "Can't REVOKE shared resources. Incorrect body")
		if !ok {
			return true
		}
		for _, rs := range res {
			if rs.bucket != c.bucket {
				plain(w, http.StatusBadRequest, "You are only allowed to revoke access from own resources")
				return true
			}
		}
		e.shares.revoke(links)
		plain(w, http.StatusOK, "")
	default:
		return false
	}
	return true
}

// create stores a new invitation of owner to links.
func (st *shareState) create(owner string, links []sharedLink) *invitation {
	now := time.Now()
	inv := &invitation{ID: rand.Text(), Resources: links, CreatedAt: now.UnixMilli(),
		ExpireAt: now.Add(invitationTTL).UnixMilli(), owner: owner}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.invitations[inv.ID] = inv
	return inv
}

// get returns the invitation id unless it is missing or expired (an expired one is removed).
// st.mu must be held.
func (st *shareState) get(id string) *invitation {
	inv := st.invitations[id]
	if inv != nil && time.Now().UnixMilli() > inv.ExpireAt {
		delete(st.invitations, id)
		return nil
	}
	return inv
}

// list returns the metadata of the resources shared with bucket, or by it (others), of the
// given Core resource types, sorted by URL.
func (st *shareState) list(bucket string, others bool, types []string) []any {
	st.mu.Lock()
	perms := map[string][]string{}
	for receiver, links := range st.access {
		for u, p := range links {
			switch {
			case !others && receiver == bucket:
				perms[u] = p
			case others && strings.SplitN(u, "/", 3)[1] == bucket:
				perms[u] = union(perms[u], p)
			}
		}
	}
	st.mu.Unlock()
	out := []any{}
	for _, u := range slices.Sorted(maps.Keys(perms)) {
		res, err := parseResourceURL(u)
		if err != nil || !slices.Contains(types, resourceTypes[res.typ]) {
			continue
		}
		if res.folder {
			m := folderMetadata(res)
			m.Permissions = perms[u]
			out = append(out, m)
			continue
		}
		out = append(out, &itemJSON{Name: res.name(), ParentPath: nullString(res.parentPath()),
			Bucket: res.bucket, URL: u, NodeType: "ITEM", ResourceType: resourceTypes[res.typ],
			Permissions: perms[u]})
	}
	return out
}

// discard removes links from what is shared with bucket.
func (st *shareState) discard(bucket string, links []sharedLink) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, l := range links {
		delete(st.access[bucket], l.URL)
	}
}

// revoke takes the permissions of links away from every receiver and from open invitations.
func (st *shareState) revoke(links []sharedLink) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, l := range links {
		for _, m := range st.access {
			if left := without(m[l.URL], l.Permissions); len(left) > 0 {
				m[l.URL] = left
			} else {
				delete(m, l.URL)
			}
		}
		for id, inv := range st.invitations {
			inv.Resources = slices.DeleteFunc(inv.Resources, func(s sharedLink) bool { return s.URL == l.URL })
			if len(inv.Resources) == 0 {
				delete(st.invitations, id)
			}
		}
	}
}

// serveInvitations answers GET /v1/invitations: the caller's open invitations.
func (e *Emulator) serveInvitations(w http.ResponseWriter, c *caller) {
	st := e.shares
	st.mu.Lock()
	list := []invitation{}
	for _, id := range slices.Sorted(maps.Keys(st.invitations)) {
		if inv := st.get(id); inv != nil && inv.owner == c.bucket {
			cp := *inv // encoded after unlocking, while a revoke may change the original
			cp.Resources = slices.Clone(inv.Resources)
			list = append(list, cp)
		}
	}
	st.mu.Unlock()
	slices.SortStableFunc(list, func(a, b invitation) int { return int(a.CreatedAt - b.CreatedAt) })
	writeJSON(w, http.StatusOK, map[string]any{"invitations": list})
}

// serveInvitation answers GET /v1/invitations/{id}[?accept=true] and DELETE, with Core's
// InvitationController messages.
func (e *Emulator) serveInvitation(w http.ResponseWriter, r *http.Request, c *caller, id string) bool {
	st := e.shares
	st.mu.Lock()
	defer st.mu.Unlock()
	inv := st.get(id)
	switch {
	case r.Method == http.MethodDelete:
		switch {
		case inv == nil:
			plain(w, http.StatusNotFound, "No invitation found for ID"+id)
		case inv.owner != c.bucket:
			plain(w, http.StatusForbidden, "You are not invitation owner")
		default:
			delete(st.invitations, id)
			plain(w, http.StatusOK, "")
		}
	case r.Method != http.MethodGet:
		return false
	case inv == nil:
		plain(w, http.StatusNotFound, "No invitation found for ID "+id)
	case r.URL.Query().Get("accept") != "true":
		writeJSON(w, http.StatusOK, inv)
	default:
		for _, l := range inv.Resources {
			if strings.SplitN(l.URL, "/", 3)[1] == c.bucket {
				plain(w, http.StatusBadRequest, "Resource "+l.URL+" already belong to you")
				return true
			}
		}
		m := st.access[c.bucket]
		if m == nil {
			m = map[string][]string{}
			st.access[c.bucket] = m
		}
		for _, l := range inv.Resources {
			m[l.URL] = union(m[l.URL], l.Permissions)
		}
		plain(w, http.StatusOK, "")
	}
	return true
}

// serveGrant answers POST /v1/ops/resource/per-request-permissions/grant: only a per-request
// key may grant, a receiver is required, and every resource must be one the caller may read.
func (e *Emulator) serveGrant(w http.ResponseWriter, r *http.Request, c *caller) {
	if !c.perRequest {
		plain(w, http.StatusForbidden, "Forbidden: per-request key required")
		return
	}
	var req struct {
		Receiver string `json:"receiver"`
	}
	body := readBody(r)
	if json.Unmarshal(body, &req) != nil {
		plain(w, http.StatusBadRequest, "Can't grant permissions. Incorrect body")
		return
	}
	_, res, ok := e.readLinks(w, body, "resourcePermissions", "Can't grant permissions. Incorrect body")
	if !ok {
		return
	}
	if req.Receiver == "" {
		plain(w, http.StatusBadRequest, "receiver must be provided")
		return
	}
	for _, rs := range res {
		if !e.mayRead(c, rs) {
			plain(w, http.StatusForbidden, "You don't have an access to: "+rs.url())
			return
		}
	}
	plain(w, http.StatusOK, "")
}

// union returns the sorted union of two permission lists.
func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// without returns the permissions of a not in b; an empty b removes all.
func without(a, b []string) []string {
	if len(b) == 0 {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(a), func(p string) bool { return slices.Contains(b, p) })
}
