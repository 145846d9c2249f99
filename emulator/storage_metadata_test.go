package emulator_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stURLs returns the url of every node of a folder listing.
func stURLs(t testing.TB, m map[string]any) []string {
	t.Helper()
	items, ok := m["items"].([]any)
	require.True(t, ok, "items must be an array: %v", m["items"])
	urls := make([]string, len(items))
	for i, it := range items {
		urls[i] = it.(map[string]any)["url"].(string)
	}
	return urls
}

func TestMetadataItemAndFolders(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket
	meta := "/v1/metadata/files/" + b + "/"

	root := stDo(t, srv, http.MethodGet, meta, nil)
	require.Equal(t, 200, root.status)
	assert.JSONEq(t, `{"name":null,"parentPath":null,"bucket":"`+b+`","url":"files/`+b+`/",
		"nodeType":"FOLDER","resourceType":"FILE","items":[]}`, root.body, "empty root")

	for _, p := range []string{"b.txt", "a/x.txt", "a/y/z.txt", "a.txt", "c/d/e.txt"} {
		require.Equal(t, 200, stUpload(t, srv, b+"/"+p, p, "text/plain").status)
	}

	item := stDo(t, srv, http.MethodGet, meta+"a/y/z.txt", nil)
	require.Equal(t, 200, item.status)
	assert.Equal(t, "application/json", item.header.Get("Content-Type"))
	m := stJSON(t, item.body)
	assert.Equal(t, md5hex("a/y/z.txt"), m["etag"], "a single item has its etag")
	assert.Equal(t, "a/y", m["parentPath"])
	assert.EqualValues(t, 9, m["contentLength"])
	assert.Equal(t, "text/plain", m["contentType"])
	assert.NotContains(t, m, "items")

	root = stDo(t, srv, http.MethodGet, meta, nil)
	m = stJSON(t, root.body)
	// Full-path order: "a.txt" < "a/" because '.' < '/'.
	assert.Equal(t, []string{"files/" + b + "/a.txt", "files/" + b + "/a/", "files/" + b + "/b.txt",
		"files/" + b + "/c/"}, stURLs(t, m))
	assert.NotContains(t, m, "nextToken")
	items := m["items"].([]any)
	assert.JSONEq(t, `{"name":"a","parentPath":null,"bucket":"`+b+`","url":"files/`+b+`/a/",
		"nodeType":"FOLDER","resourceType":"FILE","items":null}`, mustJSON(t, items[1]),
		"child folders have items:null")
	child := items[0].(map[string]any)
	assert.NotContains(t, child, "etag", "listed items carry no etag")
	assert.Contains(t, child, "createdAt")
	assert.Contains(t, child, "updatedAt")
	assert.EqualValues(t, 5, child["contentLength"])
	assert.Nil(t, child["parentPath"])

	sub := stJSON(t, stDo(t, srv, http.MethodGet, meta+"a/y/", nil).body)
	assert.Equal(t, "y", sub["name"])
	assert.Equal(t, "a", sub["parentPath"])
	assert.Equal(t, []string{"files/" + b + "/a/y/z.txt"}, stURLs(t, sub))

	missing := stDo(t, srv, http.MethodGet, meta+"nope/", nil)
	assert.Equal(t, 404, missing.status)
	assert.Empty(t, missing.body)
	missing = stDo(t, srv, http.MethodGet, meta+"a/nope.txt", nil)
	assert.Equal(t, 404, missing.status)
	assert.Empty(t, missing.body)
	asItem := stDo(t, srv, http.MethodGet, meta+"a", nil)
	assert.Equal(t, 404, asItem.status, "a folder addressed as an item does not exist")

	// Folders are virtual: deleting the last item removes them.
	require.Equal(t, 200, stDo(t, srv, http.MethodDelete, "/v1/files/"+b+"/c/d/e.txt", nil).status)
	assert.Equal(t, 404, stDo(t, srv, http.MethodGet, meta+"c/", nil).status)
	assert.Equal(t, 404, stDo(t, srv, http.MethodGet, meta+"c/d/", nil).status)
	assert.NotContains(t, stURLs(t, stJSON(t, stDo(t, srv, http.MethodGet, meta, nil).body)), "files/"+b+"/c/")

	accept := stDo(t, srv, http.MethodGet, meta, nil, "Accept", "application/vnd.dial.metadata+json")
	assert.Equal(t, "application/vnd.dial.metadata+json", accept.header.Get("Content-Type"))

	perms := stJSON(t, stDo(t, srv, http.MethodGet, meta+"?permissions=true", nil).body)
	assert.Equal(t, []any{"READ", "WRITE", "SHARE"}, perms["permissions"])
	assert.Equal(t, []any{"READ", "WRITE", "SHARE"}, perms["items"].([]any)[0].(map[string]any)["permissions"])
	assert.NotContains(t, m, "permissions", "only on request")
}

// mustJSON re-encodes a decoded JSON value.
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestMetadataPagingAndRecursion(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket
	var want []string
	for i := range 25 {
		p := fmt.Sprintf("dir/f%02d.txt", i)
		require.Equal(t, 200, stUpload(t, srv, b+"/"+p, p, "").status)
		want = append(want, "files/"+b+"/"+p)
	}
	require.Equal(t, 200, stUpload(t, srv, b+"/dir/sub/deep/g.txt", "g", "").status)
	require.Equal(t, 200, stUpload(t, srv, b+"/dir/sub/h.txt", "h", "").status)
	require.Equal(t, 200, stUpload(t, srv, b+"/other.txt", "o", "").status)

	// Page through the folder 10 at a time.
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		q := "?limit=10"
		if token != "" {
			q += "&token=" + url.QueryEscape(token)
		}
		r := stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/dir/"+q, nil)
		require.Equal(t, 200, r.status, r.body)
		m := stJSON(t, r.body)
		urls := stURLs(t, m)
		assert.LessOrEqual(t, len(urls), 10)
		got = append(got, urls...)
		next, ok := m["nextToken"].(string)
		if !ok {
			break
		}
		token = next
	}
	assert.Equal(t, append(append([]string{}, want...), "files/"+b+"/dir/sub/"), got)

	// Recursive: only items, the whole subtree, paged.
	got = nil
	token = ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		q := "?recursive=true&limit=7"
		if token != "" {
			q += "&token=" + token
		}
		m := stJSON(t, stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/dir/"+q, nil).body)
		for _, it := range m["items"].([]any) {
			assert.Equal(t, "ITEM", it.(map[string]any)["nodeType"])
		}
		got = append(got, stURLs(t, m)...)
		next, ok := m["nextToken"].(string)
		if !ok {
			break
		}
		token = next
	}
	assert.Equal(t, append(append([]string{}, want...), "files/"+b+"/dir/sub/deep/g.txt",
		"files/"+b+"/dir/sub/h.txt"), got)

	def := stJSON(t, stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/?recursive=true", nil).body)
	assert.Len(t, stURLs(t, def), 28, "default limit 100")

	zero := stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/dir/?limit=0", nil)
	require.Equal(t, 200, zero.status)
	assert.Empty(t, stURLs(t, stJSON(t, zero.body)))
	assert.Equal(t, 200, stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/?limit=1000", nil).status)
	r := stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/?token=not*base64", nil)
	assert.Equal(t, 400, r.status, "tokens are opaque; a made-up one is refused")
	for _, bad := range []string{"-1", "1001", "ten", ""} {
		r := stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/?limit="+bad, nil)
		assert.Equal(t, 400, r.status, bad)
		assert.Equal(t, "Limit is out of allowed range: [0, 1000]", r.body)
	}
}

func TestCopyAndMove(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket
	op := func(name, body string) stResult {
		return stDo(t, srv, http.MethodPost, "/v1/ops/resource/"+name, strings.NewReader(body),
			"Content-Type", "application/json")
	}
	req := func(src, dst string, overwrite bool) string {
		return fmt.Sprintf(`{"sourceUrl":%q,"destinationUrl":%q,"overwrite":%v}`, src, dst, overwrite)
	}
	f := func(p string) string { return "files/" + b + "/" + p }
	require.Equal(t, 200, stUpload(t, srv, b+"/draft/a.txt", "A", "text/markdown").status)
	require.Equal(t, 200, stUpload(t, srv, b+"/b.txt", "B", "").status)

	r := op("copy", req(f("draft/a.txt"), f("final/a%20copy.txt"), false))
	require.Equal(t, 200, r.status, r.body)
	assert.Empty(t, r.body)
	d := stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/final/a%20copy.txt", nil)
	assert.Equal(t, "A", d.body)
	assert.Equal(t, "text/markdown", d.header.Get("Content-Type"))
	assert.Equal(t, md5hex("A"), d.header.Get("ETag"))
	assert.Equal(t, 200, stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/draft/a.txt", nil).status,
		"copy keeps the source")

	r = op("move", req(f("draft/a.txt"), f("b.txt"), false))
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "Can't move resource "+f("draft/a.txt")+" to "+f("b.txt")+
		", because destination resource already exists", r.body)
	r = op("move", req(f("draft/a.txt"), f("b.txt"), true))
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, "A", stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/b.txt", nil).body)
	assert.Equal(t, 404, stDo(t, srv, http.MethodGet, "/v1/files/"+b+"/draft/a.txt", nil).status)
	assert.Equal(t, 404, stDo(t, srv, http.MethodGet, "/v1/metadata/files/"+b+"/draft/", nil).status,
		"the moved item's folder is gone")

	other := "files/" + emulator.SecondBucket + "/x.txt"
	tests := []struct {
		name, op, body string
		status         int
		msg            string
	}{
		{"bad copy body", "copy", "{", 400, "bad request body"},
		{"bad move body", "move", "[]", 400, "Can't initiate move resource request. Incorrect body provided"},
		{"no source", "copy", `{"destinationUrl":"` + f("x") + `"}`, 400, "sourceUrl must be provided"},
		{"no destination", "move", `{"sourceUrl":"` + f("x") + `"}`, 400, "destinationUrl must be provided"},
		{"copy type mismatch", "copy", req(f("b.txt"), "prompts/"+b+"/p", false), 400,
			"source and destination resources must have same type"},
		{"move type mismatch", "move", req(f("b.txt"), "conversations/"+b+"/c", false), 400,
			"source and destination resources must be the same type"},
		{"copy same url", "copy", req(f("b.txt"), f("b.txt"), true), 400,
			"source and destination resources must have different urls"},
		{"move same url", "move", req(f("b.txt"), "files/"+b+"/%62.txt", true), 400,
			"source and destination resources cannot be the same"},
		{"copy folder", "copy", req(f("final/"), f("x/"), false), 400, "Copying folders is not supported"},
		{"move folder", "move", req(f("final/"), f("x.txt"), false), 400, "Moving folders is not supported"},
		{"copy missing", "copy", req(f("nope.txt"), f("x.txt"), false), 400,
			"Source resource does not exist: " + f("nope.txt")},
		{"move missing", "move", req(f("nope.txt"), f("x.txt"), false), 400,
			"Source resource " + f("nope.txt") + " does not exist"},
		{"invalid path", "copy", req(f("a//b"), f("x.txt"), false), 400, "Invalid path provided a//b"},
		{"invalid bucket", "copy", req("files/Nope1/a", f("x.txt"), false), 400,
			"Url has invalid bucket: files/Nope1/a"},
		{"short url", "copy", req("files", f("x.txt"), false), 400, "Url has less than two segments: files"},
		{"copy from another bucket", "copy", req(other, f("x.txt"), false), 403, "No read access to source resource"},
		{"move from another bucket", "move", req(other, f("x.txt"), false), 403,
			"No read and write access to source resource"},
		{"copy to another bucket", "copy", req(f("b.txt"), other, false), 403,
			"No write access to destination resource"},
		{"unknown operation", "rename", "{}", 502, "No route"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := op(tc.op, tc.body)
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.msg, r.body)
		})
	}
}

func TestConversationsAndPrompts(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	b := srv.Bucket
	conv := `{"id":"c1","name":"Chat","model":{"id":"gpt-4o"},"messages":[]}`
	for _, typ := range []struct{ word, kind string }{{"conversations", "CONVERSATION"}, {"prompts", "PROMPT"}} {
		t.Run(typ.word, func(t *testing.T) {
			t.Parallel()
			base := "/v1/" + typ.word + "/" + b + "/"
			r := stDo(t, srv, http.MethodPut, base+"folder/my%20item", strings.NewReader(conv),
				"Content-Type", "application/json")
			require.Equal(t, 200, r.status, r.body)
			assert.Equal(t, md5hex(conv), r.header.Get("ETag"))
			m := stJSON(t, r.body)
			assert.Equal(t, "my item", m["name"])
			assert.Equal(t, typ.word+"/"+b+"/folder/my%20item", m["url"])
			assert.Equal(t, typ.kind, m["resourceType"])
			assert.NotContains(t, m, "contentLength")
			assert.NotContains(t, m, "contentType")

			g := stDo(t, srv, http.MethodGet, base+"folder/my%20item", nil)
			require.Equal(t, 200, g.status)
			assert.Equal(t, conv, g.body)
			assert.Empty(t, g.header.Get("Content-Type"), "Core sends the JSON as a plain string")
			assert.Equal(t, md5hex(conv), g.header.Get("ETag"))

			l := stJSON(t, stDo(t, srv, http.MethodGet, "/v1/metadata/"+typ.word+"/"+b+"/?recursive=true", nil).body)
			assert.Equal(t, []string{typ.word + "/" + b + "/folder/my%20item"}, stURLs(t, l))
			assert.Equal(t, typ.kind, l["resourceType"])

			for _, tc := range []struct {
				method, path, body string
				status             int
				msg                string
			}{
				{http.MethodPut, "folder/", conv, 400, "Folder not allowed: " + typ.word + "/" + b + "/folder/"},
				{http.MethodGet, "folder/", "", 400, "Folder not allowed: " + typ.word + "/" + b + "/folder/"},
				{http.MethodPut, "x.", conv, 400, "Resource name and/or parent folders must not end with .(dot)"},
				{http.MethodGet, "missing", "", 404, "Not found: " + typ.word + "/" + b + "/missing"},
				{http.MethodDelete, "missing", "", 404, "Not found: " + typ.word + "/" + b + "/missing"},
				{http.MethodPut, "bad", "not json", 400, ""},
				{http.MethodPut, "folder/my%20item", conv, 412, "Resource already exists"},
			} {
				hdr := []string{"If-None-Match", "*"}
				r := stDo(t, srv, tc.method, base+tc.path, strings.NewReader(tc.body), hdr...)
				assert.Equal(t, tc.status, r.status, tc.method+" "+tc.path)
				if tc.msg != "" {
					assert.Equal(t, tc.msg, r.body)
				} else {
					assert.True(t, strings.HasPrefix(r.body, "Failed to parse json: "), r.body)
				}
			}
			mm := stDo(t, srv, http.MethodGet, "/v1/metadata/"+typ.word+"/"+b+"/nope", nil)
			assert.Equal(t, 404, mm.status)
			assert.Equal(t, "Not found: "+typ.word+"/"+b+"/nope", mm.body)
			mm = stDo(t, srv, http.MethodGet, "/v1/metadata/"+typ.word+"/"+b+"/?limit=5000", nil)
			assert.Equal(t, 400, mm.status)
			assert.Equal(t, "Bad query parameters. Limit must be in [0, 1000] range. "+
				"Recursive must be true/false", mm.body)

			d := stDo(t, srv, http.MethodDelete, base+"folder/my%20item", nil, "If-Match", md5hex(conv))
			assert.Equal(t, 200, d.status)
		})
	}

	// A declared Content-Length over 64 MiB is refused before the body is read.
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "PUT %s/v1/prompts/%s/big HTTP/1.1\r\nHost: %s\r\nApi-Key: %s\r\n"+
		"Content-Length: 67108865\r\n\r\n{", u.Path, b, u.Host, srv.Key)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, 413, resp.StatusCode)
	assert.Equal(t, "Resource size: 67108865 exceeds max limit: 67108864", string(body))
}
