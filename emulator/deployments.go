package emulator

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
)

// created is the timestamp Core lists for deployments without one (2023-01-01).
const created = 1672534800

// DefaultFeatures are the feature flags Core lists for a deployment that sets none; every key is
// always present in a listing.
func DefaultFeatures() map[string]bool {
	return map[string]bool{
		"rate": false, "tokenize": false, "truncate_prompt": false, "configuration": false,
		"system_prompt": true, "tools": false, "seed": false, "url_attachments": false,
		"folder_attachments": false, "allow_resume": true, "accessible_by_per_request_key": true,
		"content_parts": false, "temperature": true, "addons": false, "chat_completion": true,
		"responses_api": false, "mcp": false, "cache": false, "auto_caching": false,
		"parallel_tool_calls": false, "max_tokens_supported": true,
		"max_completion_tokens_supported": false, "custom_temperature_supported": true,
		"assistant_attachments_in_request": false, "skills_supported": false,
	}
}

// deployment is a configured deployment with its listing entry prepared.
type deployment struct {
	Deployment
	object  string         // "model" or "application"
	listing map[string]any // the snake_case JSON Core lists
	limits  *Limits        // the limits listed and enforced, or nil
	pricing *Pricing       // a model's pricing, nil for an application
}

// addDeployment registers d as a model or an application.
func (e *Emulator) addDeployment(d Deployment, object string) {
	var pricing *Pricing // a model's
	features := DefaultFeatures()
	if d.EmbeddingDimensions > 0 {
		features["chat_completion"] = false
	}
	maps.Copy(features, d.Features)
	name := d.DisplayName
	if name == "" {
		name = d.ID
	}
	l := map[string]any{
		"id": d.ID, object: d.ID, "object": object, "display_name": name,
		"reference": d.ID, "owner": "organization-owner", "status": "succeeded",
		"created_at": created, "updated_at": created, "features": features,
		"input_attachment_types": []string{"*/*"}, "description_keywords": []string{},
		"max_retry_attempts": 1, "interfaces": []string{"chat"},
	}
	if d.Description != "" {
		l["description"] = d.Description
	}
	if d.IconURL != "" {
		l["icon_url"] = d.IconURL
	}
	if d.Defaults != nil {
		l["defaults"] = d.Defaults
	}
	if object == "model" {
		caps := map[string]any{"scale_types": []string{"standard"}, "completion": false,
			"chat_completion": d.EmbeddingDimensions == 0, "embeddings": d.EmbeddingDimensions > 0,
			"fine_tune": false, "inference": false}
		l["lifecycle_status"] = "generally-available"
		l["capabilities"] = caps
		l["tokenizer_model"] = d.ID
		pricing = &defaultPricing
		if d.Pricing != nil {
			pricing = d.Pricing
		}
		l["pricing"] = pricing
		if d.EmbeddingDimensions > 0 {
			l["embedding_dimensions"] = d.EmbeddingDimensions
			l["interfaces"] = []string{"embedding"}
		}
	}
	limits := d.Limits
	if limits == nil && object == "model" {
		limits = &defaultModelLimits
	}
	if limits != nil {
		l["limits"] = limits
	}
	dep := &deployment{Deployment: d, object: object, listing: l, limits: limits, pricing: pricing}
	e.deployments[d.ID] = dep
	e.ordered = append(e.ordered, dep)
}

// serveList answers GET /openai/deployments, /openai/models and /openai/applications with the
// deployments of kind object the caller may see.
func (e *Emulator) serveList(w http.ResponseWriter, c *caller, object string) {
	data := []map[string]any{}
	for _, d := range e.ordered {
		if d.object == object && c.mayUse(d.ID) {
			data = append(data, d.listing)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "object": "list"})
}

// lookup finds the deployment named by an escaped id (segments may be percent-encoded).
// It answers 404 or 403 itself and returns nil when the request is done.
func (e *Emulator) lookup(w http.ResponseWriter, c *caller, escaped string, object string) *deployment {
	id, err := url.PathUnescape(escaped)
	d := e.deployments[id]
	if err != nil || d == nil || (object != "" && d.object != object) {
		if object == "" {
			plain(w, http.StatusNotFound, "Unknown deployment: "+id)
		} else {
			plain(w, http.StatusNotFound, "")
		}
		return nil
	}
	if !c.mayUse(id) {
		plain(w, http.StatusForbidden, "Forbidden deployment: "+id)
		return nil
	}
	return d
}

// serveGet answers GET /openai/models/{id} and /openai/applications/{id}.
func (e *Emulator) serveGet(w http.ResponseWriter, c *caller, escaped, object string) {
	if d := e.lookup(w, c, escaped, object); d != nil {
		writeJSON(w, http.StatusOK, d.listing)
	}
}

// serveDeployment answers everything under /openai/deployments/: GET of one deployment (model
// or application), chat completions and embeddings. Ids may contain '/', so the operation is
// recognised by its suffix.
func (e *Emulator) serveDeployment(w http.ResponseWriter, r *http.Request, c *caller, rest string) {
	for _, op := range []string{"/chat/completions", "/embeddings"} {
		if id, ok := strings.CutSuffix(rest, op); ok && r.Method == http.MethodPost {
			d := e.lookup(w, c, id, "")
			if d == nil {
				return
			}
			n := e.countRequest(d.ID)
			if op == "/embeddings" {
				e.serveEmbeddings(w, r, d, n)
			} else {
				e.serveChat(w, r, c, d, n)
			}
			return
		}
	}
	if r.Method != http.MethodGet {
		plain(w, http.StatusBadGateway, "No route")
		return
	}
	if d := e.lookup(w, c, rest, ""); d != nil {
		writeJSON(w, http.StatusOK, d.listing)
	}
}

// serveConfiguration answers GET /v1/deployments/{id}/configuration: the schema, or an empty
// 200 body when the deployment has none, as Core does.
func (e *Emulator) serveConfiguration(w http.ResponseWriter, c *caller, escaped string) {
	d := e.lookup(w, c, escaped, "")
	if d == nil {
		return
	}
	if len(d.Configuration) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(json.RawMessage(d.Configuration))
}
