package emulator

import "net/http"

// storage is the per-bucket resource store behind /v1/files, /v1/metadata and /v1/ops/resource.
type storage struct{}

// newStorage opens the storage of cfg: in memory, or in cfg.DataDir when set.
func newStorage(cfg Config) (*storage, error) { return &storage{}, nil }

func (s *storage) close() error { return nil }

// serveResource handles GET, PUT and DELETE on /v1/{typ}/{rest}, rest being the escaped
// "<bucket>/<path>".
func (s *storage) serveResource(w http.ResponseWriter, r *http.Request, c *caller, typ, rest string) {
	plain(w, http.StatusBadGateway, "No route")
}

// serveMetadata handles GET /v1/metadata/{typ}/{rest}.
func (s *storage) serveMetadata(w http.ResponseWriter, r *http.Request, c *caller, typ, rest string) {
	plain(w, http.StatusBadGateway, "No route")
}

// serveOp handles POST /v1/ops/resource/{op}: "copy" and "move".
func (s *storage) serveOp(w http.ResponseWriter, r *http.Request, c *caller, op string) {
	plain(w, http.StatusBadGateway, "No route")
}
