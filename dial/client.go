package dial

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Client is a DIAL client bound to one DIAL server and one set of credentials. Create it with
// [NewClient], or with [Pool.NewClient] to share connections with other clients. A Client is
// safe for concurrent use by multiple goroutines; its configuration cannot change after
// creation.
type Client struct {
	cfg     config
	base    *url.URL // scheme, host and path ending in '/'
	baseStr string   // base.String(), ending in '/'
	hc      *http.Client
	pool    *Pool           // nil for a standalone client
	own     *http.Transport // the transport this client created and closes, if any
	closed  atomic.Bool
	bucket  bucketCache
	// sleep waits between attempts; tests replace it to observe waits without waiting.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewClient returns a client for the DIAL server at baseURL: the server root, such as
// "https://dial.example.com" or "http://127.0.0.1:8080/dial" (request paths are joined onto
// its path). It fails when baseURL is not an absolute http or https URL, when it carries user
// information, a query or a fragment, when an option is invalid, or when no credential option
// is given. It reads no environment variables.
//
// The client creates its own transport; call [Client.Close] to release its idle connections
// when done. Use a [Pool] to share connections among clients.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	return newClient(baseURL, nil, opts)
}

func newClient(baseURL string, pool *Pool, opts []Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if cfg.apiKey == nil && cfg.bearer == nil {
		return nil, errors.New("dial: no credentials: use WithAPIKey, WithAPIKeyFunc, WithBearerToken or WithBearerTokenFunc")
	}
	if cfg.secrets == nil {
		cfg.secrets = &Secrets{}
	}
	cfg.secrets.Add(cfg.staticSecrets...)
	c := &Client{cfg: cfg, base: base, baseStr: base.String(), pool: pool, sleep: sleepCtx}
	var transport http.RoundTripper
	switch {
	case cfg.httpClient != nil:
		if cfg.connectSet {
			return nil, errors.New("dial: WithConnectTimeout cannot be combined with WithHTTPClient")
		}
		if pool != nil {
			return nil, errors.New("dial: WithHTTPClient cannot be used with a Pool client")
		}
		hc := *cfg.httpClient
		hc.CheckRedirect = refuseRedirect
		c.hc = &hc
		return c, nil
	case pool != nil:
		if cfg.connectSet {
			return nil, errors.New("dial: WithConnectTimeout cannot be used with a Pool client; set PoolOptions.ConnectTimeout")
		}
		transport = pool.transport
	default:
		c.own = newTransport(PoolOptions{ConnectTimeout: cfg.connectTimeout}.withDefaults())
		transport = c.own
	}
	c.hc = &http.Client{Transport: transport, CheckRedirect: refuseRedirect}
	return c, nil
}

// refuseRedirect makes the http.Client return a redirect response as it is: credentials must
// not be replayed to another location (Go forwards custom headers such as Api-Key on
// redirects). The client then reports the 3xx status as an [APIError].
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// CheckBaseURL reports whether s can be the root URL of a DIAL server, as [NewClient] needs
// it: http or https, a host, no user information, query or fragment, and not DIAL's
// OpenAI-compatible prefix ".../openai" (the root the OpenAI SDKs take), which would make every
// request miss. The error is a [URLError] matching [ErrInvalidURL].
func CheckBaseURL(s string) error {
	_, err := parseBaseURL(s)
	return err
}

// parseBaseURL validates a server root URL and returns it with a path ending in '/'.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, &URLError{URL: displayURL(s), Reason: "cannot parse base URL", Err: ErrInvalidURL}
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalidURL(s, "base URL must start with http:// or https://")
	case u.Host == "":
		return nil, invalidURL(s, "base URL has no host")
	case u.User != nil:
		return nil, invalidURL(s, "base URL must not carry credentials; pass an API key or a bearer token")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, invalidURL(s, "base URL must not have a query or fragment")
	case strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/openai"):
		root := u.Scheme + "://" + u.Host + strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/openai")
		return nil, invalidURL(s, "ends in /openai: use the server root, %s (the client adds /openai itself)", root)
	}
	p := u.EscapedPath()
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return url.Parse(u.Scheme + "://" + u.Host + p)
}

// BaseURL returns the server root the client talks to, ending in '/'.
func (c *Client) BaseURL() string { return c.baseStr }

// APIURL returns the root of DIAL's /v1 API, baseURL + "v1/". Absolute storage URLs start with
// it.
func (c *Client) APIURL() string { return c.baseStr + "v1/" }

// Close marks the client closed: later calls fail with [ErrClosed]. A client made by
// [NewClient] also closes its idle connections; a [Pool] client leaves the pool's
// connections to [Pool.Close]. Streams and downloads already open keep working until closed.
// Close is idempotent and returns nil.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
	return nil
}

// PoolOptions configures the transport a [Pool] shares among its clients. Zero fields take
// the documented defaults; negative values are treated as zero.
type PoolOptions struct {
	// MaxConnsPerHost bounds the connections (idle plus active) to one host; zero means no
	// limit. Requests beyond it wait for a free connection.
	MaxConnsPerHost int
	// MaxIdleConnsPerHost bounds the keep-alive connections kept per host (default 100).
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes keep-alive connections unused for this long (default 90 s; DIAL
	// Core itself closes them after 300 s).
	IdleConnTimeout time.Duration
	// ConnectTimeout bounds TCP connection and TLS handshake (default [DefaultConnectTimeout]).
	ConnectTimeout time.Duration
	// TLSClientConfig customises TLS (private CAs, client certificates); nil uses Go's
	// defaults. It is cloned.
	TLSClientConfig *tls.Config
	// Proxy selects a proxy per request; nil connects directly. Pass
	// http.ProxyFromEnvironment to honour HTTPS_PROXY (this package reads no environment
	// itself).
	Proxy func(*http.Request) (*url.URL, error)
	// Gate, when not nil, paces every request attempt of every client of the pool and spreads
	// a server's request to slow down over all of them (see [Gate], [NewRateGate]).
	Gate Gate
}

func (o PoolOptions) withDefaults() PoolOptions {
	o.MaxConnsPerHost = max(o.MaxConnsPerHost, 0)
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = 100
	}
	if o.IdleConnTimeout <= 0 {
		o.IdleConnTimeout = 90 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	return o
}

// newTransport builds the HTTP/1.1 keep-alive transport of a client or pool. DIAL Core only
// speaks HTTP/1.1.
func newTransport(o PoolOptions) *http.Transport {
	d := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 o.Proxy,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   o.ConnectTimeout,
		MaxConnsPerHost:       o.MaxConnsPerHost,
		MaxIdleConnsPerHost:   o.MaxIdleConnsPerHost,
		IdleConnTimeout:       o.IdleConnTimeout,
		ExpectContinueTimeout: time.Second,
	}
	if o.TLSClientConfig != nil {
		t.TLSClientConfig = o.TLSClientConfig.Clone()
	}
	return t
}

// Pool shares one HTTP transport, and so its keep-alive connections, among many clients, each
// with its own base URL, credentials, api-version and caches. A Pool is safe for concurrent
// use.
type Pool struct {
	transport *http.Transport
	gate      Gate
	closed    atomic.Bool
}

// NewPool returns a pool whose transport is configured by opts.
func NewPool(opts PoolOptions) *Pool {
	return &Pool{transport: newTransport(opts.withDefaults()), gate: opts.Gate}
}

// NewClient returns a client that sends its requests through the pool's transport. It takes
// the same arguments as [NewClient], except [WithHTTPClient] and [WithConnectTimeout], which
// belong to the pool. Closing the client does not close the pool.
func (p *Pool) NewClient(baseURL string, opts ...Option) (*Client, error) {
	if p.closed.Load() {
		return nil, fmt.Errorf("dial: pool: %w", ErrClosed)
	}
	return newClient(baseURL, p, opts)
}

// Close closes the pool's idle connections; later calls of its clients fail with
// [ErrClosed]. Requests in flight finish normally. Close is idempotent and returns nil.
func (p *Pool) Close() error {
	if !p.closed.Swap(true) {
		p.transport.CloseIdleConnections()
	}
	return nil
}

// isClosed reports whether the client or its pool is closed.
func (c *Client) isClosed() bool {
	return c.closed.Load() || (c.pool != nil && c.pool.closed.Load())
}
