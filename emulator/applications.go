package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Custom applications are application resources stored under /v1/applications/{bucket}/…
// (snake_case JSON, as Core's Application class), listed by GET /openai/applications beside
// the configured ones (as Core with applications.includeCustomApps), and callable at
// /openai/deployments/applications/{bucket}/…/chat/completions.
//
// An application with a "function" (code run by Core's deployment manager) has a deploy state
// in function.status: UNDEPLOYED when saved, DEPLOYING after POST /v1/ops/application/deploy,
// UNDEPLOYING after …/undeploy. The emulator finishes a pending transition when the
// application is next read (its GET, a listing, logs or a chat), so a client that polls sees
// one pending answer and then the result, and no test waits on a clock:
//
//   - DEPLOYING becomes DEPLOYED, with an endpoint, when the function's source folder holds a
//     file, and FAILED with error "Source folder is empty" otherwise (Core's text);
//   - UNDEPLOYING becomes UNDEPLOYED.
//
// A deployed function answers chat completions as an echo deployment does; an application
// with an endpoint of its own is answered the same way (the emulator does not call out).

// Function statuses, as Core names them.
const (
	statusUndeployed  = "UNDEPLOYED"
	statusDeploying   = "DEPLOYING"
	statusDeployed    = "DEPLOYED"
	statusUndeploying = "UNDEPLOYING"
	statusFailed      = "FAILED"
)

// appState serializes every change to custom applications, so that reading an application,
// changing it and storing it back is atomic, and keeps the deployed functions' logs.
type appState struct {
	mu   sync.Mutex
	logs map[string][]string // log lines by function id
}

// app is a stored application decoded as a JSON object, with its location and version.
type app struct {
	res  resource
	obj  map[string]any
	etag string
}

// function returns the application's function object, or nil.
func (a *app) function() map[string]any {
	f, _ := a.obj["function"].(map[string]any)
	return f
}

// status is the function's status, "" for an application without one.
func (a *app) status() string {
	s, _ := a.function()["status"].(string)
	return s
}

// routeApplication serves the requests about custom applications and reports whether path
// was one of them.
func (e *Emulator) routeApplication(w http.ResponseWriter, r *http.Request, c *caller, path string) bool {
	get := r.Method == http.MethodGet
	switch {
	case strings.HasPrefix(path, "v1/applications/"):
		e.serveAppResource(w, r, c, strings.TrimPrefix(path, "v1/applications/"))
	case r.Method == http.MethodPost && strings.HasPrefix(path, "v1/ops/application/"):
		e.serveAppOp(w, r, c, strings.TrimPrefix(path, "v1/ops/application/"))
	case get && path == "openai/applications":
		e.serveAppList(w, c)
	case get && e.isCustomApp(path, "openai/applications/", ""):
		e.serveAppListing(w, c, strings.TrimPrefix(path, "openai/applications/"))
	case get && e.isCustomApp(path, "openai/deployments/", ""):
		e.serveAppListing(w, c, strings.TrimPrefix(path, "openai/deployments/"))
	case r.Method == http.MethodPost && e.isCustomApp(path, "openai/deployments/", "/chat/completions"):
		e.serveAppChat(w, r, c, strings.TrimSuffix(strings.TrimPrefix(path, "openai/deployments/"), "/chat/completions"))
	default:
		return false
	}
	return true
}

// isCustomApp reports whether path is prefix, an application URL and suffix, the URL not
// being the id of a configured deployment (configuration may name one that way).
func (e *Emulator) isCustomApp(path, prefix, suffix string) bool {
	id, ok1 := strings.CutPrefix(path, prefix)
	id, ok2 := strings.CutSuffix(id, suffix)
	if !ok1 || !ok2 || !strings.HasPrefix(id, "applications/") {
		return false
	}
	unescaped, err := url.PathUnescape(id)
	return err != nil || e.deployments[unescaped] == nil
}

// serveAppResource handles GET, PUT and DELETE on /v1/applications/{bucket}/{path}.
func (e *Emulator) serveAppResource(w http.ResponseWriter, r *http.Request, c *caller, rest string) {
	switch r.Method {
	case http.MethodGet, http.MethodPut, http.MethodDelete:
	default:
		plain(w, http.StatusBadGateway, "No route")
		return
	}
	res, ok := e.store.resolve(w, c, "applications", rest)
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet:
		if !res.folder {
			e.advance(res)
		}
		e.store.serveDownload(w, r, res)
	case http.MethodPut:
		e.putApp(w, r, res)
	default:
		e.deleteApp(w, r, res)
	}
}

// putApp stores an application the way Core's ApplicationService.putApplication does: the
// name is set from the URL, a function is checked and keeps the identity and deploy state of
// the function it replaces.
func (e *Emulator) putApp(w http.ResponseWriter, r *http.Request, res resource) {
	_, obj, ok := readJSONBody(w, r, res)
	if !ok {
		return
	}
	if msg := prepareApp(res, obj); msg != "" {
		plain(w, http.StatusBadRequest, msg)
		return
	}
	e.apps.mu.Lock()
	defer e.apps.mu.Unlock()
	old, err := e.loadApp(res)
	if err != nil && err != errNotFound {
		answerStoreError(w, err, "", "")
		return
	}
	if f, _ := obj["function"].(map[string]any); f != nil {
		keepFunction(res, obj, f, old)
	}
	ver, err := e.storeApp(res, parseConditions(r), obj)
	if err != nil {
		answerStoreError(w, err, "", "")
		return
	}
	w.Header().Set("ETag", ver.etag)
	storageJSON(w, "application/json", itemMetadata(res, ver, true))
}

// featureEndpoints are the members of "features" that Core fills from a deployed function.
var featureEndpoints = []string{"rate_endpoint", "tokenize_endpoint", "truncate_prompt_endpoint", "configuration_endpoint"}

// prepareApp checks and completes an application about to be stored at res, as Core's
// prepareApplication, and returns Core's 400 message for a bad one.
func prepareApp(res resource, obj map[string]any) string {
	f, hasFunction := obj["function"].(map[string]any)
	if obj["endpoint"] == nil && !hasFunction {
		return "Application endpoint or function must be provided"
	}
	obj["name"] = res.url()
	delete(obj, "user_roles")
	obj["forward_auth_token"] = false
	if obj["reference"] == nil {
		obj["reference"] = newUUID()
	}
	if !hasFunction {
		return ""
	}
	features, _ := obj["features"].(map[string]any)
	if features == nil {
		features = map[string]any{}
		obj["features"] = features
	}
	delete(obj, "endpoint")
	for _, k := range featureEndpoints {
		delete(features, k)
	}
	f["author_bucket"] = res.bucket
	delete(f, "error")
	if s, _ := f["runtime"].(string); s == "" {
		return "Application function runtime must be provided"
	}
	if f["env"] == nil {
		f["env"] = map[string]any{}
	}
	mapping, _ := f["mapping"].(map[string]any)
	if mapping == nil {
		return "Application function mapping must be provided"
	}
	for _, m := range []struct{ key, msg string }{
		{"chat_completion", "Application completion mapping is missing/invalid"},
		{"rate", "Application rate mapping is invalid"},
		{"tokenize", "Application tokenize mapping is invalid"},
		{"truncate_prompt", "Application truncate_prompt mapping is invalid"},
		{"configuration", "Application configuration mapping is invalid"},
	} {
		v, present := mapping[m.key]
		s, _ := v.(string)
		if (present || m.key == "chat_completion") && !strings.HasPrefix(s, "/") {
			return m.msg
		}
	}
	src, _ := f["source_folder"].(string)
	if src == "" {
		return "Application function source folder must be provided"
	}
	folder, err := parseResourceURL(src)
	if err != nil || !folder.folder || folder.typ != "files" || folder.bucket != res.bucket {
		return "Application function sources must be a valid file folder: " + src
	}
	f["source_folder"] = folder.url()
	return ""
}

// keepFunction gives the new function f of obj its identity: a fresh id and the UNDEPLOYED
// state when the application had no function, else the old function's id, status, error and
// target folder, and the old endpoint.
func keepFunction(res resource, obj, f map[string]any, old *app) {
	if old == nil || old.function() == nil {
		id := newUUID()
		f["id"] = id
		f["status"] = statusUndeployed
		f["target_folder"] = "files/" + res.bucket + "/deployments/" + id + "/"
		return
	}
	of := old.function()
	for _, k := range []string{"id", "author_bucket", "status", "target_folder", "error"} {
		if v, ok := of[k]; ok {
			f[k] = v
		}
	}
	if v, ok := old.obj["endpoint"]; ok {
		obj["endpoint"] = v
	}
}

// deleteApp removes an application unless its function is deployed or pending.
func (e *Emulator) deleteApp(w http.ResponseWriter, r *http.Request, res resource) {
	if res.folder {
		plain(w, http.StatusBadRequest, "Folder not allowed: "+res.url())
		return
	}
	e.apps.mu.Lock()
	defer e.apps.mu.Unlock()
	a, err := e.loadApp(res)
	if err == nil && isActive(a.status()) {
		plain(w, http.StatusConflict, "Application must be undeployed: "+res.url())
		return
	}
	e.store.serveDelete(w, r, res)
}

// isActive reports whether a function in status s is deployed or on its way in or out.
func isActive(s string) bool {
	return s == statusDeploying || s == statusDeployed || s == statusUndeploying
}

// serveAppOp handles POST /v1/ops/application/{deploy,undeploy,logs} with a {"url": …} body.
func (e *Emulator) serveAppOp(w http.ResponseWriter, r *http.Request, c *caller, op string) {
	if op != "deploy" && op != "undeploy" && op != "logs" {
		plain(w, http.StatusBadGateway, "No route")
		return
	}
	var link struct {
		URL string `json:"url"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResourceSize))
	if err == nil {
		err = json.Unmarshal(body, &link)
	}
	if err != nil {
		plain(w, http.StatusBadRequest, "Failed to parse json: "+err.Error())
		return
	}
	res, err := parseResourceURL(link.URL)
	if err != nil || res.typ != "applications" {
		plain(w, http.StatusBadRequest, "Invalid application: "+link.URL)
		return
	}
	if res.bucket != c.bucket {
		plain(w, http.StatusForbidden, "Forbidden operation for application: "+res.url())
		return
	}
	if res.folder {
		plain(w, http.StatusBadRequest, "Invalid application url: "+res.url())
		return
	}
	if op == "logs" {
		e.serveLogs(w, res)
		return
	}
	e.apps.mu.Lock()
	defer e.apps.mu.Unlock()
	a, ok := e.loadFunctionApp(w, res)
	if !ok {
		return
	}
	f := a.function()
	if op == "deploy" {
		if isActive(a.status()) {
			plain(w, http.StatusConflict, "Application must be undeployed: "+res.url())
			return
		}
		f["status"] = statusDeploying
		delete(f, "error")
	} else {
		if a.status() != statusDeployed {
			plain(w, http.StatusConflict, "Application is not deployed: "+res.url())
			return
		}
		clearEndpoints(a.obj)
		f["status"] = statusUndeploying
	}
	if _, err := e.storeApp(res, conditions{}, a.obj); err != nil {
		answerStoreError(w, err, "", "")
		return
	}
	writeJSON(w, http.StatusOK, a.obj)
}

// loadFunctionApp loads the application at res, which must have a function; otherwise it
// answers Core's 404 or 409 and returns false. The caller holds e.apps.mu.
func (e *Emulator) loadFunctionApp(w http.ResponseWriter, res resource) (*app, bool) {
	a, err := e.loadApp(res)
	switch {
	case err == errNotFound:
		plain(w, http.StatusNotFound, "Application is not found: "+res.url())
	case err != nil:
		answerStoreError(w, err, "", "")
	case a.function() == nil:
		plain(w, http.StatusConflict, "Application does not have function: "+res.url())
	default:
		return a, true
	}
	return nil, false
}

// clearEndpoints removes what a deployed function set: the endpoint and the feature endpoints.
func clearEndpoints(obj map[string]any) {
	delete(obj, "endpoint")
	if features, _ := obj["features"].(map[string]any); features != nil {
		for _, k := range featureEndpoints {
			delete(features, k)
		}
	}
}

// serveLogs answers the logs of a deployed function: {"logs":[{"instance","content"}]}.
func (e *Emulator) serveLogs(w http.ResponseWriter, res resource) {
	e.advance(res)
	e.apps.mu.Lock()
	defer e.apps.mu.Unlock()
	a, ok := e.loadFunctionApp(w, res)
	if !ok {
		return
	}
	if a.status() != statusDeployed {
		plain(w, http.StatusConflict, "Application is not deployed: "+res.url())
		return
	}
	id, _ := a.function()["id"].(string)
	content := strings.Join(e.apps.logs[id], "")
	writeJSON(w, http.StatusOK, map[string]any{"logs": []map[string]string{{"instance": id + "-0", "content": content}}})
}

// advance finishes a pending deploy or undeploy of the application at res (see the package
// notes above). A missing application is left alone.
func (e *Emulator) advance(res resource) {
	e.apps.mu.Lock()
	defer e.apps.mu.Unlock()
	a, err := e.loadApp(res)
	if err != nil {
		return
	}
	f := a.function()
	id, _ := f["id"].(string)
	switch a.status() {
	case statusDeploying:
		src, _ := f["source_folder"].(string)
		files := e.sourceFiles(src)
		if files == 0 {
			f["status"], f["error"] = statusFailed, "Source folder is empty"
			break
		}
		f["status"] = statusDeployed
		mapping, _ := f["mapping"].(map[string]any)
		path, _ := mapping["chat_completion"].(string)
		a.obj["endpoint"] = "http://" + id + ".functions.emulator" + path
		e.appendLog(id, fmt.Sprintf("deployed %s from %s (%d files)\n", res.url(), src, files))
	case statusUndeploying:
		f["status"] = statusUndeployed
		delete(e.apps.logs, id)
	default:
		return
	}
	e.storeApp(res, conditions{}, a.obj) // a failure leaves the transition for the next read
}

// sourceFiles counts the files under the folder URL src.
func (e *Emulator) sourceFiles(src string) int {
	folder, err := parseResourceURL(src)
	if err != nil || !folder.folder {
		return 0
	}
	page, _, _ := e.store.list(folder, true, "", 1000)
	return len(page)
}

// appendLog adds a line to the log of function id. The caller holds e.apps.mu.
func (e *Emulator) appendLog(id, line string) {
	if e.apps.logs == nil {
		e.apps.logs = map[string][]string{}
	}
	e.apps.logs[id] = append(e.apps.logs[id], line)
}

// loadApp reads the application stored at res. A missing one is errNotFound.
func (e *Emulator) loadApp(res resource) (*app, error) {
	ver, rc, err := e.store.open(res, conditions{})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var obj map[string]any
	if err := json.NewDecoder(rc).Decode(&obj); err != nil {
		return nil, err
	}
	return &app{res: res, obj: obj, etag: ver.etag}, nil
}

// storeApp stores obj at res under cond.
func (e *Emulator) storeApp(res resource, cond conditions, obj map[string]any) (*itemVersion, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return e.store.write(res, cond, func(dst io.Writer) (string, error) {
		_, err := dst.Write(data)
		return "application/json", err
	})
}

// newUUID returns a random version 4 UUID, as Core generates references and function ids.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
