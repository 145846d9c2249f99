package emulator

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// Server is an emulator listening on a loopback port for one test.
type Server struct {
	// URL is the base URL clients use, including the path prefix: "http://127.0.0.1:PORT/dial".
	URL string
	// Key is an API key the server accepts ([DefaultKey] unless the configuration has no such key).
	Key string
	// Bucket is the storage bucket of Key.
	Bucket string
	// Emulator is the handler behind the server.
	Emulator *Emulator

	overrides   *http.ServeMux
	connections atomic.Int64
}

// ServerOption changes how [NewServer] builds its server.
type ServerOption func(*serverOptions)

type serverOptions struct {
	cfg    Config
	prefix string
}

// WithConfig replaces the default configuration.
func WithConfig(cfg Config) ServerOption {
	return func(o *serverOptions) { o.cfg = cfg }
}

// WithDeployments adds deployments to the configuration.
func WithDeployments(ds ...Deployment) ServerOption {
	return func(o *serverOptions) { o.cfg.Deployments = append(o.cfg.Deployments, ds...) }
}

// WithPrefix mounts the API under prefix ("/dial" by default; "" for the root). A non-empty
// prefix catches clients that build absolute paths instead of joining onto the base URL.
func WithPrefix(prefix string) ServerOption {
	return func(o *serverOptions) { o.prefix = "/" + strings.Trim(prefix, "/") }
}

// NewServer starts an emulator on a loopback port with [DefaultConfig] changed by opts. The
// server and its storage are closed when the test ends. It fails the test on a bad configuration.
func NewServer(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	o := serverOptions{cfg: DefaultConfig(), prefix: "/dial"}
	for _, opt := range opts {
		opt(&o)
	}
	if o.prefix == "/" {
		o.prefix = ""
	}
	e, err := New(o.cfg)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	s := &Server{Emulator: e, overrides: http.NewServeMux()}
	for _, id := range o.cfg.Keys {
		if s.Key == "" || id.Key == DefaultKey {
			s.Key, s.Bucket = id.Key, e.keys[id.Key].bucket
		}
	}
	ts := httptest.NewUnstartedServer(http.StripPrefix(o.prefix, http.HandlerFunc(s.serve)))
	ts.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.connections.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		e.Close()
	})
	s.URL = ts.URL + o.prefix
	return s
}

// serve sends a request to an override registered with Handle, or else to the emulator.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.overrides.Handler(r); pattern != "" {
		s.overrides.ServeHTTP(w, r)
		return
	}
	s.Emulator.ServeHTTP(w, r)
}

// Handle registers h for pattern (an [http.ServeMux] pattern relative to the prefix, such as
// "POST /openai/deployments/x/chat/completions"). It takes precedence over the emulator and does
// no authentication. Register overrides before the test sends requests to them.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.overrides.Handle(pattern, h)
}

// Connections returns the number of TCP connections the server has accepted.
func (s *Server) Connections() int {
	return int(s.connections.Load())
}

// JSON answers every request with status and body as application/json.
func JSON(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	})
}

// SSEFile answers every request with the SSE transcript in file, sent as it is.
func SSEFile(file string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		b, err := os.ReadFile(file)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(b)
	})
}

// Fail answers the first n requests with status (and Retry-After when retryAfter > 0, in
// seconds) and passes later ones to next. It is safe for concurrent use.
func Fail(n int, status int, retryAfter int, next http.Handler) http.Handler {
	var count atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) > int64(n) {
			next.ServeHTTP(w, r)
			return
		}
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		}
		jsonError(w, status, errorBody{Message: http.StatusText(status), Code: strconv.Itoa(status)})
	})
}
