package emulator

import (
	"net/http"
	"net/url"
)

// serveAppList answers GET /openai/applications: the configured applications the caller may
// use, then the custom applications in the caller's bucket and in the public bucket.
func (e *Emulator) serveAppList(w http.ResponseWriter, c *caller) {
	data := []map[string]any{}
	for _, d := range e.ordered {
		if d.object == "application" && c.mayUse(d.ID) {
			data = append(data, d.listing)
		}
	}
	for _, bucket := range []string{c.bucket, "public"} {
		root := resource{typ: "applications", bucket: bucket, folder: true}
		page, _, _ := e.store.list(root, true, "", 1000)
		for _, n := range page {
			res := resourceFromKey(n.key)
			e.advance(res)
			if a, err := e.loadApp(res); err == nil {
				data = append(data, applicationData(a))
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "object": "list"})
}

// findApp resolves the escaped id of a custom application ("applications/<bucket>/<path>") that
// the caller may use, after finishing its pending transition. Otherwise it answers 404 with
// notFound followed by the id, or 403, and returns nil.
func (e *Emulator) findApp(w http.ResponseWriter, c *caller, escaped, notFound string) *app {
	id, _ := url.PathUnescape(escaped)
	res, err := parseResourceURL(escaped)
	if err != nil || res.folder || res.typ != "applications" {
		plain(w, http.StatusNotFound, notFound+id)
		return nil
	}
	if res.bucket != c.bucket && res.bucket != "public" {
		plain(w, http.StatusForbidden, "Forbidden deployment: "+id)
		return nil
	}
	e.advance(res)
	a, err := e.loadApp(res)
	if err != nil {
		plain(w, http.StatusNotFound, notFound+id)
		return nil
	}
	return a
}

// serveAppListing answers GET /openai/applications/{id} and /openai/deployments/{id} for a
// custom application.
func (e *Emulator) serveAppListing(w http.ResponseWriter, c *caller, escaped string) {
	if a := e.findApp(w, c, escaped, "Application is not found: "); a != nil {
		writeJSON(w, http.StatusOK, applicationData(a))
	}
}

// serveAppChat answers a chat completion sent to a custom application: 503 with an empty body
// while it has no endpoint (a function not deployed), as Core does, else an echo answer. A
// deployed function logs each request.
func (e *Emulator) serveAppChat(w http.ResponseWriter, r *http.Request, c *caller, escaped string) {
	a := e.findApp(w, c, escaped, "Unknown deployment: ")
	if a == nil {
		return
	}
	if a.obj["endpoint"] == nil {
		plain(w, http.StatusServiceUnavailable, "")
		return
	}
	name := a.res.url()
	if id, _ := a.function()["id"].(string); id != "" {
		e.apps.mu.Lock()
		e.appendLog(id, "POST /chat/completions\n")
		e.apps.mu.Unlock()
	}
	d := &deployment{Deployment: Deployment{ID: name}, object: "application"}
	e.serveChat(w, r, c, d, e.countRequest(name))
}

// appDataFields are the members of a stored application that Core's ApplicationData lists
// under the same name.
var appDataFields = []string{"display_name", "display_version", "icon_url", "description",
	"input_attachment_types", "max_input_attachments", "defaults", "description_keywords",
	"reference", "function", "application_type_schema_id", "application_properties"}

// applicationData is the listing entry of a custom application, as Core's
// ApplicationUtil.mapApplication: its id is its URL.
func applicationData(a *app) map[string]any {
	name := a.res.url()
	features := DefaultFeatures()
	if f, ok := a.obj["features"].(map[string]any); ok {
		for k, v := range f {
			if b, ok := v.(bool); ok {
				features[k] = b
			}
		}
	}
	l := map[string]any{
		"id": name, "application": name, "object": "application", "reference": name,
		"owner": "organization-owner", "status": "succeeded", "created_at": created,
		"updated_at": created, "features": features, "interfaces": []string{"chat"},
	}
	for _, k := range appDataFields {
		if v, ok := a.obj[k]; ok && v != nil {
			l[k] = v
		}
	}
	return l
}
