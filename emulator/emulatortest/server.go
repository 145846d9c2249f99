// Package emulatortest starts a DIAL Core emulator on a loopback port for a test, and provides
// handlers that override its answers (fixed JSON, an SSE transcript, failures before success) or
// hold requests back until several have arrived.
// It keeps the test harness out of the emulator package as net/http/httptest does for net/http.
package emulatortest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dialua/dialua/emulator"
)

// Server is an emulator listening on a loopback port for one test.
type Server struct {
	// URL is the base URL clients use, including the path prefix: "http://127.0.0.1:PORT/dial".
	URL string
	// Key is an API key the server accepts ([emulator.DefaultKey] unless the configuration has no such key).
	Key string
	// Bucket is the storage bucket of Key.
	Bucket string
	// Emulator is the handler behind the server.
	Emulator *emulator.Emulator

	overrides   *http.ServeMux
	connections atomic.Int64
}

// ServerOption changes how [NewServer] builds its server.
type ServerOption func(*serverOptions)

type serverOptions struct {
	cfg    emulator.Config
	prefix string
}

// WithConfig replaces the default configuration.
func WithConfig(cfg emulator.Config) ServerOption {
	return func(o *serverOptions) { o.cfg = cfg }
}

// WithDeployments adds deployments to the configuration.
func WithDeployments(ds ...emulator.Deployment) ServerOption {
	return func(o *serverOptions) { o.cfg.Deployments = append(o.cfg.Deployments, ds...) }
}

// WithPrefix mounts the API under prefix ("/dial" by default; "" for the root). A non-empty
// prefix catches clients that build absolute paths instead of joining onto the base URL.
func WithPrefix(prefix string) ServerOption {
	return func(o *serverOptions) { o.prefix = "/" + strings.Trim(prefix, "/") }
}

// NewServer starts an emulator on a loopback port with [emulator.DefaultConfig] changed by opts. The
// server and its storage are closed when the test ends. It fails the test on a bad configuration.
func NewServer(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	o := serverOptions{cfg: emulator.DefaultConfig(), prefix: "/dial"}
	for _, opt := range opts {
		opt(&o)
	}
	if o.prefix == "/" {
		o.prefix = ""
	}
	e, err := emulator.New(o.cfg)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	s := &Server{Emulator: e, overrides: http.NewServeMux()}
	for _, id := range o.cfg.Keys {
		if s.Key == "" || id.Key == emulator.DefaultKey {
			s.Key, s.Bucket = id.Key, e.Bucket(id.Key)
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
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(failure{Error: failureBody{Message: http.StatusText(status), Code: strconv.Itoa(status)}})
	})
}

// Barrier holds each of the first n requests until the nth has arrived, then passes them all to
// next at once (n ≥ 1); later requests pass straight through. A held request whose context ends is
// answered 503 without reaching next. It is safe for concurrent use, and lets a test send n
// requests that reach next together without sleeping.
func Barrier(n int, next http.Handler) http.Handler {
	var arrived atomic.Int64
	open := make(chan struct{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == int64(n) {
			close(open)
		}
		select {
		case <-open:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
			http.Error(w, "barrier: the request ended before the others arrived", http.StatusServiceUnavailable)
		}
	})
}

// failure is Core's OpenAI-compatible error envelope as [Fail] sends it.
type failure struct {
	Error failureBody `json:"error"`
}

type failureBody struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}
