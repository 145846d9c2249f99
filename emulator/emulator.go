// Package emulator is an in-memory DIAL Core: the server every test of this project talks to
// over loopback HTTP, the server `dialua serve` runs, and the offline default of `dialua run`.
//
// It follows DIAL Core's wire behaviour where a client can observe it: the authentication
// matrix and its plain-text 401 bodies, snake_case deployment listings with every feature flag,
// chat completions in block and SSE form, per-identity storage buckets with multipart upload,
// MD5 ETags, conditional requests, folder metadata with paging, copy and move, Core's path
// validation errors, and 502 "No route" for unknown paths.
//
// Deployments are configured (see [Deployment]) to echo, to answer with fixed text, to stream
// slowly, or to fail: HTTP errors with Retry-After, an error event in the middle of a stream, a
// cut connection. Package emulatortest starts one on a loopback port for a test.
package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Version is reported by GET /version.
const Version = "0.45.0-dialua-emulator"

// Emulator is a DIAL Core emulator. It is an [http.Handler] serving the API at the root path;
// mount it under a prefix with [http.StripPrefix]. It is safe for concurrent use.
type Emulator struct {
	cfg         Config
	keys        map[string]*caller // by API key
	tokens      map[string]*caller // by bearer token
	deployments map[string]*deployment
	ordered     []*deployment // models then applications, in configuration order
	store       *storage
	apps        appState // custom applications (applications.go)

	toolsets     map[string]*toolset
	toolsetOrder []string
	shares       *shareState
	events       *eventHub

	mu       sync.Mutex
	requests map[string]int // chat and embeddings requests per deployment id
	usage    usageBook      // what callers used of rate limits
}

// caller is an authenticated identity.
type caller struct {
	bucket  string
	roles   []string
	allowed map[string]bool // nil allows every deployment
	project string
	limits  map[string]RateLimit // by deployment id
	appdata string               // an application key's data folder, "" for others
	// perRequest marks a per-request key (see [Identity.PerRequest]).
	perRequest bool
}

// mayUse reports whether c may call or see deployment id.
func (c *caller) mayUse(id string) bool {
	return c.allowed == nil || c.allowed[id]
}

// New builds an Emulator from cfg. It fails on an inconsistent configuration or when the data
// directory cannot be opened. Call Close to release the storage.
func New(cfg Config) (*Emulator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.MaxUploadSize == 0 {
		cfg.MaxUploadSize = defaultUploadSize
	}
	if cfg.HeartbeatPeriod == 0 {
		cfg.HeartbeatPeriod = defaultHeartbeat
	}
	e := &Emulator{
		cfg:         cfg,
		keys:        map[string]*caller{},
		tokens:      map[string]*caller{},
		deployments: map[string]*deployment{},
		requests:    map[string]int{},
	}
	for _, id := range cfg.Keys {
		e.keys[id.Key] = newCaller(id)
	}
	for _, id := range cfg.Tokens {
		e.tokens[id.Key] = newCaller(id)
	}
	for _, d := range cfg.Deployments {
		e.addDeployment(d, "model")
	}
	for _, d := range cfg.Applications {
		e.addDeployment(d, "application")
	}
	store, err := newStorage(cfg)
	if err != nil {
		return nil, err
	}
	e.store = store
	e.toolsets = map[string]*toolset{}
	for _, t := range cfg.Toolsets {
		e.addToolset(t)
	}
	e.shares = newShareState()
	e.events = newEventHub()
	store.onChange = e.events.publish
	return e, nil
}

func newCaller(id Identity) *caller {
	c := &caller{bucket: id.Bucket, roles: id.Roles, project: "emulator", perRequest: id.PerRequest}
	if c.bucket == "" {
		sum := sha256.Sum256([]byte(id.Key))
		c.bucket = "B" + hex.EncodeToString(sum[:12])
	}
	c.limits = id.Limits
	if id.Application != "" {
		c.appdata = c.bucket + "/appdata/" + url.PathEscape(id.Application)
	}
	if c.roles == nil {
		c.roles = []string{"default"}
	}
	if len(id.Deployments) > 0 {
		c.allowed = map[string]bool{}
		for _, d := range id.Deployments {
			c.allowed[d] = true
		}
	}
	return c
}

// Bucket returns the storage bucket of API key, or "" when the emulator accepts no such key.
func (e *Emulator) Bucket(key string) string {
	if c := e.keys[key]; c != nil {
		return c.bucket
	}
	return ""
}

// Close releases the storage. The handler must not be used afterwards.
func (e *Emulator) Close() error {
	return e.store.close()
}

// Requests returns how many chat completion and embeddings requests deployment id has
// received, failed ones included. Tests use it to count a client's retry attempts.
func (e *Emulator) Requests(id string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests[id]
}

// countRequest records one request for id and returns its 1-based ordinal.
func (e *Emulator) countRequest(id string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests[id]++
	return e.requests[id]
}

// ServeHTTP answers one request the way DIAL Core would.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag, Retry-After, X-Upstream-Attempts")
	if r.ProtoMajor != 1 || r.ProtoMinor != 1 {
		plain(w, http.StatusHTTPVersionNotSupported, "HTTP version is not supported")
		return
	}
	path := r.URL.EscapedPath()
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodPatch:
	case http.MethodOptions:
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusOK)
		return
	default:
		plain(w, http.StatusMethodNotAllowed, "")
		return
	}
	switch path {
	case "/health":
		w.WriteHeader(http.StatusOK)
		return
	case "/version":
		plain(w, http.StatusOK, Version)
		return
	}
	c, status, msg := e.authenticate(r)
	if c == nil {
		plain(w, status, msg)
		return
	}
	e.route(w, r, c, strings.TrimLeft(path, "/"))
}

// authenticate applies Core's credential matrix: an Api-Key header (any case) or a bearer
// token, a bearer value retried as an API key, an empty "Bearer" ignored beside a key.
func (e *Emulator) authenticate(r *http.Request) (c *caller, status int, msg string) {
	key := r.Header.Get("Api-Key")
	auth := r.Header.Get("Authorization")
	token, isBearer := "", false
	if len(auth) >= 6 && strings.EqualFold(auth[:6], "bearer") {
		token, isBearer = strings.TrimSpace(auth[6:]), true
	}
	if isBearer && token == "" {
		auth = "" // a bare "Bearer" is ignored, as Core does for the OpenAI SDKs
	}
	switch {
	case key == "" && auth == "":
		return nil, http.StatusUnauthorized, "At least API-KEY or Authorization header must be provided"
	case auth == "":
		if c := e.keys[key]; c != nil {
			return c, 0, ""
		}
		return nil, http.StatusUnauthorized, "Unknown api key"
	case key == "" || key == token:
		if !isBearer {
			return nil, http.StatusUnauthorized, "Bad Authorization header"
		}
		if c := e.tokens[token]; c != nil {
			return c, 0, ""
		}
		if c := e.keys[token]; c != nil {
			return c, 0, ""
		}
		return nil, http.StatusUnauthorized, "Unknown api key"
	default:
		return nil, http.StatusBadRequest, "Provided API key is not per request key"
	}
}

// route dispatches an authenticated request on its escaped path (without the leading '/').
// Routing is by hand rather than with http.ServeMux, which would clean and redirect the very
// paths ('..', '//') whose validation errors the emulator must reproduce.
func (e *Emulator) route(w http.ResponseWriter, r *http.Request, c *caller, path string) {
	if e.routeApplication(w, r, c, path) || e.serveToolsets(w, r, c, path) || e.serveSharing(w, r, c, path) {
		return
	}
	get := r.Method == http.MethodGet
	switch {
	case get && path == "openai/deployments", get && path == "openai/models":
		e.serveList(w, c, "model")
	case get && path == "openai/applications":
		e.serveList(w, c, "application")
	case strings.HasPrefix(path, "openai/deployments/"):
		e.serveDeployment(w, r, c, strings.TrimPrefix(path, "openai/deployments/"))
	case get && strings.HasPrefix(path, "openai/models/"):
		e.serveGet(w, c, strings.TrimPrefix(path, "openai/models/"), "model")
	case get && strings.HasPrefix(path, "openai/applications/"):
		e.serveGet(w, c, strings.TrimPrefix(path, "openai/applications/"), "application")
	case get && strings.HasPrefix(path, "v1/deployments/") && strings.HasSuffix(path, "/configuration"):
		e.serveConfiguration(w, c, strings.TrimSuffix(strings.TrimPrefix(path, "v1/deployments/"), "/configuration"))
	case get && path == "v1/bucket":
		writeJSON(w, http.StatusOK, c.bucketInfo())
	case r.Method == http.MethodPost && strings.HasPrefix(path, "v1/deployments/") && strings.HasSuffix(path, "/tokenize"):
		e.serveTokens(w, r, c, strings.TrimSuffix(strings.TrimPrefix(path, "v1/deployments/"), "/tokenize"), "tokenize")
	case r.Method == http.MethodPost && strings.HasPrefix(path, "v1/deployments/") && strings.HasSuffix(path, "/truncate_prompt"):
		e.serveTokens(w, r, c, strings.TrimSuffix(strings.TrimPrefix(path, "v1/deployments/"), "/truncate_prompt"), "truncate_prompt")
	case get && strings.HasPrefix(path, "v1/deployments/") && strings.HasSuffix(path, "/limits"):
		e.serveLimits(w, c, strings.TrimSuffix(strings.TrimPrefix(path, "v1/deployments/"), "/limits"))
	case get && (path == "v1/user/limits" || path == "v1/user/usage"):
		e.serveUserLimits(w, c, path == "v1/user/usage")
	case get && path == "v1/user/info":
		writeJSON(w, http.StatusOK, map[string]any{"roles": c.roles, "project": c.project})
	case r.Method == http.MethodPost && strings.HasPrefix(path, "v1/ops/resource/"):
		e.store.serveOp(w, r, c, strings.TrimPrefix(path, "v1/ops/resource/"))
	case strings.HasPrefix(path, "v1/metadata/"):
		if typ, rest, ok := resourcePath(strings.TrimPrefix(path, "v1/metadata/")); ok && get {
			if res, ok := e.store.resolve(w, c, typ, rest); ok {
				e.store.serveMetadata(w, r, res, e.permissionsOf(c))
			}
			return
		}
		plain(w, http.StatusBadGateway, "No route")
	case strings.HasPrefix(path, "v1/"):
		if typ, rest, ok := resourcePath(strings.TrimPrefix(path, "v1/")); ok && r.Method != http.MethodHead {
			e.store.serveResource(w, r, c, typ, rest)
			return
		}
		plain(w, http.StatusBadGateway, "No route")
	default:
		plain(w, http.StatusBadGateway, "No route")
	}
}

// resourceTypes are the storage families routed to the storage, by URL word.
var resourceTypes = map[string]string{
	"files":         "FILE",
	"conversations": "CONVERSATION",
	"prompts":       "PROMPT",
	"applications":  "APPLICATION",
}

// resourcePath splits "files/<bucket>/<path>" into the type word and "<bucket>/<path>".
func resourcePath(p string) (typ, rest string, ok bool) {
	typ, rest, found := strings.Cut(p, "/")
	if _, known := resourceTypes[typ]; !known || !found {
		return "", "", false
	}
	return typ, rest, true
}
