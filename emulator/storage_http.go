package emulator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// metadataMIME is the content type Core answers metadata with when the client accepts it.
const metadataMIME = "application/vnd.dial.metadata+json"

// serveResource handles GET, PUT and DELETE on /v1/{typ}/{rest}, rest being the escaped
// "<bucket>/<path>". Files are uploaded as multipart and downloaded with their content type;
// conversations and prompts are JSON bodies, read back without a Content-Type.
func (s *storage) serveResource(w http.ResponseWriter, r *http.Request, c *caller, typ, rest string) {
	switch r.Method {
	case http.MethodGet, http.MethodPut, http.MethodDelete:
	default:
		plain(w, http.StatusBadGateway, "No route")
		return
	}
	res, ok := s.resolve(w, c, typ, rest)
	if !ok {
		return
	}
	switch {
	case r.Method == http.MethodDelete:
		s.serveDelete(w, r, res)
	case r.Method == http.MethodGet:
		s.serveDownload(w, r, res)
	case typ == "files":
		s.serveUpload(w, r, res)
	default:
		s.servePutJSON(w, r, res)
	}
}

// resolve turns the escaped "<bucket>/<path>" of a request on typ into a resource the caller
// may use, in Core's order: the bucket must exist (400 "Url has invalid bucket"), the path
// must be valid (400), and the bucket must be the caller's (403). Otherwise it answers the
// request itself and returns false.
func (s *storage) resolve(w http.ResponseWriter, c *caller, typ, rest string) (resource, bool) {
	url := typ + "/" + rest
	bucket, rel, found := strings.Cut(rest, "/")
	if !found {
		plain(w, http.StatusBadGateway, "No route")
		return resource{}, false
	}
	if !isBucketName(bucket) || !s.buckets[bucket] {
		plain(w, http.StatusBadRequest, "Url has invalid bucket: "+url)
		return resource{}, false
	}
	res, err := parseResourcePath(typ, bucket, rel)
	if err != nil {
		perr := err.(*storeError)
		plain(w, perr.status, perr.msg)
		return resource{}, false
	}
	if bucket != c.bucket {
		plain(w, http.StatusForbidden, "You don't have an access to: "+url)
		return resource{}, false
	}
	return res, true
}

// answerStoreError answers a store error: Core's status and message for a *storeError (a 304
// with the current ETag), notFound for errNotFound, and 500 with fallback otherwise.
func answerStoreError(w http.ResponseWriter, err error, notFound, fallback string) {
	var serr *storeError
	switch {
	case errors.As(err, &serr) && serr.status == http.StatusNotModified:
		w.Header().Set("ETag", serr.etag)
		w.WriteHeader(http.StatusNotModified)
	case serr != nil:
		plain(w, serr.status, serr.msg)
	case errors.Is(err, errNotFound):
		plain(w, http.StatusNotFound, notFound)
	default:
		plain(w, http.StatusInternalServerError, fallback)
	}
}

// serveDownload streams an item with Content-Length and ETag. A file keeps its stored
// Content-Type; a conversation or prompt is sent without one, as Core does. Range is ignored.
func (s *storage) serveDownload(w http.ResponseWriter, r *http.Request, res resource) {
	file := res.typ == "files"
	if res.folder {
		if file {
			plain(w, http.StatusBadRequest, "Can't download a folder")
		} else {
			plain(w, http.StatusBadRequest, "Folder not allowed: "+res.url())
		}
		return
	}
	notFound := ""
	if !file {
		notFound = "Not found: " + res.url()
	}
	e, rc, err := s.open(res, parseConditions(r))
	if err != nil {
		answerStoreError(w, err, notFound, "Failed to download file: "+res.url())
		return
	}
	defer rc.Close()
	h := w.Header()
	if file {
		h.Set("Content-Type", e.contentType)
	} else {
		h["Content-Type"] = nil
	}
	h.Set("Content-Length", strconv.FormatInt(e.length, 10))
	h.Set("ETag", e.etag)
	w.WriteHeader(http.StatusOK)
	io.CopyBuffer(w, onlyReader{rc}, make([]byte, copyBufferSize))
}

// serveUpload stores the file part of a multipart PUT, streaming it into the store.
func (s *storage) serveUpload(w http.ResponseWriter, r *http.Request, res resource) {
	switch {
	case res.folder:
		plain(w, http.StatusBadRequest, "File name is missing")
		return
	case res.dotted():
		plain(w, http.StatusBadRequest, "Resource name and/or parent folders must not end with .(dot)")
		return
	case r.ContentLength > s.maxUpload:
		uploadTooLarge(w)
		return
	}
	cond := parseConditions(r)
	if serr := s.precheck(res, cond); serr != nil {
		answerStoreError(w, serr, "", "")
		return
	}
	boundary, msg := multipartBoundary(r.Header.Get("Content-Type"))
	if msg != "" {
		plain(w, http.StatusBadRequest, msg)
		return
	}
	body := &limitedBody{r: r.Body, left: s.maxUpload}
	e, err := s.write(res, cond, func(dst io.Writer) (string, error) {
		ct, err := copyMultipartFile(dst, body, boundary)
		if body.exceeded { // also when only what follows the closing boundary was too much
			return "", errTooLarge
		}
		return ct, err
	})
	switch {
	case errors.Is(err, errTooLarge):
		uploadTooLarge(w)
	case errors.Is(err, errNoFile):
		plain(w, http.StatusBadRequest, "File is missing in the multipart request")
	case errors.Is(err, errMultipart):
		plain(w, http.StatusBadRequest, "Failed to upload file: "+res.url())
	case err != nil:
		answerStoreError(w, err, "", "Failed to upload file: "+res.url())
	default:
		w.Header().Set("ETag", e.etag)
		storageJSON(w, "application/json", itemMetadata(res, e, true))
	}
}

// uploadTooLarge answers 413 and closes the connection instead of reading the rest of the body.
func uploadTooLarge(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	plain(w, http.StatusRequestEntityTooLarge, "Request body is too large")
}

// servePutJSON stores a conversation or prompt: a JSON object of at most maxResourceSize
// bytes, kept as sent.
func (s *storage) servePutJSON(w http.ResponseWriter, r *http.Request, res resource) {
	body, _, ok := readJSONBody(w, r, res)
	if !ok {
		return
	}
	e, err := s.write(res, parseConditions(r), func(dst io.Writer) (string, error) {
		_, err := dst.Write(body)
		return "application/json", err
	})
	if err != nil {
		answerStoreError(w, err, "", "")
		return
	}
	w.Header().Set("ETag", e.etag)
	storageJSON(w, "application/json", itemMetadata(res, e, true))
}

// readJSONBody reads the JSON object a PUT stores at the item res and returns it as sent and
// decoded. A folder, a name ending in '.', a body over maxResourceSize or one that is not a
// JSON object is answered with Core's error, and ok is false.
func readJSONBody(w http.ResponseWriter, r *http.Request, res resource) (body []byte, obj map[string]any, ok bool) {
	switch {
	case res.folder:
		plain(w, http.StatusBadRequest, "Folder not allowed: "+res.url())
		return nil, nil, false
	case res.dotted():
		plain(w, http.StatusBadRequest, "Resource name and/or parent folders must not end with .(dot)")
		return nil, nil, false
	case r.ContentLength > maxResourceSize:
		w.Header().Set("Connection", "close")
		plain(w, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("Resource size: %d exceeds max limit: %d", r.ContentLength, maxResourceSize))
		return nil, nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResourceSize+1))
	if err != nil {
		plain(w, http.StatusBadRequest, "Failed to read request body")
		return nil, nil, false
	}
	if len(body) > maxResourceSize {
		n, _ := io.Copy(io.Discard, r.Body)
		plain(w, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("Resource size: %d exceeds max limit: %d", int64(len(body))+n, maxResourceSize))
		return nil, nil, false
	}
	if err := json.Unmarshal(body, &obj); err != nil {
		plain(w, http.StatusBadRequest, "Failed to parse json: "+err.Error())
		return nil, nil, false
	}
	return body, obj, true
}

// serveDelete removes an item: 200 with an empty body, 404 "Not found: <url>".
func (s *storage) serveDelete(w http.ResponseWriter, r *http.Request, res resource) {
	if res.folder {
		plain(w, http.StatusBadRequest, "Folder not allowed: "+res.url())
		return
	}
	if err := s.delete(res, parseConditions(r)); err != nil {
		answerStoreError(w, err, "Not found: "+res.url(), "")
		return
	}
	plain(w, http.StatusOK, "")
}

// serveMetadata answers GET /v1/metadata/{typ}/{bucket}/{path} of res, which the caller may
// read: an item's metadata, or a folder's listing paged with limit (0–1000, default 100) and
// token, recursive or not. With ?permissions=true every resource described carries perms(it),
// the caller's permissions on it.
func (s *storage) serveMetadata(w http.ResponseWriter, r *http.Request, res resource, perms func(resource) []string) {
	q := r.URL.Query()
	limit := 100
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 || n > 1000 {
			if res.typ == "files" {
				plain(w, http.StatusBadRequest, "Limit is out of allowed range: [0, 1000]")
			} else {
				plain(w, http.StatusBadRequest,
					"Bad query parameters. Limit must be in [0, 1000] range. Recursive must be true/false")
			}
			return
		}
		limit = n
	}
	notFound := ""
	if res.typ != "files" {
		notFound = "Not found: " + res.url()
	}
	if !strings.EqualFold(q.Get("permissions"), "true") {
		perms = func(resource) []string { return nil }
	}
	var body any
	if !res.folder {
		e := s.item(res)
		if e == nil {
			plain(w, http.StatusNotFound, notFound)
			return
		}
		m := itemMetadata(res, e, true)
		m.Permissions = perms(res)
		body = m
	} else {
		after := ""
		if tok := q.Get("token"); tok != "" {
			b, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				plain(w, http.StatusBadRequest, "Invalid token: "+tok)
				return
			}
			after = string(b)
		}
		recursive := strings.EqualFold(q.Get("recursive"), "true")
		page, more, exists := s.list(res, recursive, after, limit)
		if !exists {
			plain(w, http.StatusNotFound, notFound)
			return
		}
		m := folderMetadata(res)
		m.Items = make([]any, 0, len(page))
		for _, n := range page {
			child := resourceFromKey(n.key)
			if n.item == nil {
				cm := folderMetadata(child)
				cm.Permissions = perms(child)
				m.Items = append(m.Items, cm)
				continue
			}
			cm := itemMetadata(child, n.item, false)
			cm.Permissions = perms(child)
			m.Items = append(m.Items, cm)
		}
		if more {
			m.NextToken = base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1].key))
		}
		m.Permissions = perms(res)
		body = m
	}
	ct := "application/json"
	if strings.Contains(r.Header.Get("Accept"), metadataMIME) {
		ct = metadataMIME
	}
	storageJSON(w, ct, body)
}

// storageJSON answers 200 with v as JSON of content type ct. Unlike writeJSON it keeps '&', '<'
// and '>' as they are, as Core does, since they occur in resource URLs.
func storageJSON(w http.ResponseWriter, ct string, v any) {
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// serveOp handles POST /v1/ops/resource/{op}: "copy" and "move" of one item, within or across
// the caller's own buckets, with Core's 400 and 403 messages.
func (s *storage) serveOp(w http.ResponseWriter, r *http.Request, c *caller, op string) {
	move := op == "move"
	if op != "copy" && !move {
		plain(w, http.StatusBadGateway, "No route")
		return
	}
	msg := func(forCopy, forMove string) string {
		if move {
			return forMove
		}
		return forCopy
	}
	var req struct {
		SourceURL      *string `json:"sourceUrl"`
		DestinationURL *string `json:"destinationUrl"`
		Overwrite      bool    `json:"overwrite"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResourceSize))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	switch {
	case err != nil:
		plain(w, http.StatusBadRequest,
			msg("bad request body", "Can't initiate move resource request. Incorrect body provided"))
		return
	case req.SourceURL == nil:
		plain(w, http.StatusBadRequest, "sourceUrl must be provided")
		return
	case req.DestinationURL == nil:
		plain(w, http.StatusBadRequest, "destinationUrl must be provided")
		return
	}
	src, err := s.parseURL(*req.SourceURL)
	if err != nil {
		plain(w, http.StatusBadRequest, err.Error())
		return
	}
	dst, err := s.parseURL(*req.DestinationURL)
	if err != nil {
		plain(w, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case src.typ != dst.typ:
		plain(w, http.StatusBadRequest, msg("source and destination resources must have same type",
			"source and destination resources must be the same type"))
		return
	case src.url() == dst.url():
		plain(w, http.StatusBadRequest, msg("source and destination resources must have different urls",
			"source and destination resources cannot be the same"))
		return
	case src.bucket != c.bucket:
		plain(w, http.StatusForbidden, msg("No read access to source resource",
			"No read and write access to source resource"))
		return
	case dst.bucket != c.bucket:
		plain(w, http.StatusForbidden, "No write access to destination resource")
		return
	case src.folder || dst.folder:
		plain(w, http.StatusBadRequest,
			msg("Copying folders is not supported", "Moving folders is not supported"))
		return
	}
	if err := s.transfer(src, dst, req.Overwrite, move); err != nil {
		answerStoreError(w, err, "", err.Error())
		return
	}
	plain(w, http.StatusOK, "")
}

// parseURL parses a resource URL of a request body; its bucket must exist.
func (s *storage) parseURL(url string) (resource, error) {
	res, err := parseResourceURL(url)
	if err != nil {
		return resource{}, err
	}
	if !s.buckets[res.bucket] {
		return resource{}, pathBadRequest("Url has invalid bucket: " + url)
	}
	return res, nil
}

// itemJSON is Core's ResourceItemMetadata, and FileMetadata with contentLength and
// contentType. name, parentPath, bucket, url, nodeType and resourceType are always sent.
type itemJSON struct {
	Name          string   `json:"name"`
	ParentPath    *string  `json:"parentPath"`
	Bucket        string   `json:"bucket"`
	URL           string   `json:"url"`
	NodeType      string   `json:"nodeType"`
	ResourceType  string   `json:"resourceType"`
	Etag          string   `json:"etag,omitempty"`
	CreatedAt     int64    `json:"createdAt,omitempty"`
	UpdatedAt     int64    `json:"updatedAt,omitempty"`
	Author        string   `json:"author,omitempty"`
	ContentLength *int64   `json:"contentLength,omitempty"`
	ContentType   string   `json:"contentType,omitempty"`
	Permissions   []string `json:"permissions,omitempty"`
}

// folderJSON is Core's ResourceFolderMetadata: the listed folder has items (possibly []), a
// child folder has "items":null; the root has "name":null and every folder at the bucket's top
// level "parentPath":null.
type folderJSON struct {
	Name         *string  `json:"name"`
	ParentPath   *string  `json:"parentPath"`
	Bucket       string   `json:"bucket"`
	URL          string   `json:"url"`
	NodeType     string   `json:"nodeType"`
	ResourceType string   `json:"resourceType"`
	Items        []any    `json:"items"`
	NextToken    string   `json:"nextToken,omitempty"`
	Permissions  []string `json:"permissions,omitempty"`
}

// itemMetadata describes version e of item res; withEtag is false inside listings, where Core
// leaves the etag out.
func itemMetadata(res resource, e *itemVersion, withEtag bool) *itemJSON {
	m := &itemJSON{
		Name:         res.name(),
		ParentPath:   nullString(res.parentPath()),
		Bucket:       res.bucket,
		URL:          res.url(),
		NodeType:     "ITEM",
		ResourceType: resourceTypes[res.typ],
		CreatedAt:    e.createdAt,
		UpdatedAt:    e.updatedAt,
		Author:       e.author,
	}
	if withEtag {
		m.Etag = e.etag
	}
	if res.typ == "files" {
		n := e.length
		m.ContentLength, m.ContentType = &n, e.contentType
	}
	return m
}

// folderMetadata describes folder res without items.
func folderMetadata(res resource) *folderJSON {
	return &folderJSON{
		Name:         nullString(res.name()),
		ParentPath:   nullString(res.parentPath()),
		Bucket:       res.bucket,
		URL:          res.url(),
		NodeType:     "FOLDER",
		ResourceType: resourceTypes[res.typ],
	}
}

// nullString returns nil for "" so that the field is sent as null.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
