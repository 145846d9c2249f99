package dial

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// Option configures a [Client] in [NewClient] or [Pool.NewClient]. An option that gets an
// invalid value makes the constructor return an error; options are applied in order, so a
// later option overrides an earlier one of the same kind.
type Option func(*config) error

// CredentialFunc returns a credential for one request attempt. It is called before every
// attempt, retries included, so it can hand out refreshed tokens; it must be safe for
// concurrent use when the client is. An error, or an empty string, fails the request with
// [ErrCredentials] without sending it.
type CredentialFunc func(ctx context.Context) (string, error)

// config is what options build.
type config struct {
	apiKey         CredentialFunc
	bearer         CredentialFunc
	staticSecrets  []string // the static credentials, added to secrets
	secrets        *Secrets
	apiVersion     string
	httpClient     *http.Client
	maxRetries     int
	retryWaitMin   time.Duration
	retryWaitMax   time.Duration
	timeout        time.Duration
	connectTimeout time.Duration
	connectSet     bool
	headers        http.Header
	userAgent      string
	obs            observers
	maxLine        int
	cache          *Cache
}

// Defaults of the options below.
const (
	// DefaultTimeout is the idle timeout of [WithTimeout].
	DefaultTimeout = 600 * time.Second
	// DefaultConnectTimeout bounds connection set-up (TCP and TLS) of the transport a client
	// or pool creates.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultUserAgent is sent unless [WithUserAgent] says otherwise.
	DefaultUserAgent = "dialua-dial/1"
	// defaultMaxLine bounds one SSE line: 64 MiB, DIAL Core's default resource size limit, so
	// an event carrying a base64 attachment fits.
	defaultMaxLine = 64 << 20
)

func defaultConfig() config {
	c := config{
		maxRetries:     defaultMaxRetries,
		retryWaitMin:   defaultRetryWaitMin,
		retryWaitMax:   defaultRetryWaitMax,
		timeout:        DefaultTimeout,
		connectTimeout: DefaultConnectTimeout,
		headers:        http.Header{},
		userAgent:      DefaultUserAgent,
		maxLine:        defaultMaxLine,
	}
	c.obs.set(nil, nil)
	return c
}

// staticCredential returns a CredentialFunc that always returns s.
func staticCredential(s string) CredentialFunc {
	return func(context.Context) (string, error) { return s, nil }
}

// WithAPIKey authenticates with a DIAL API key, sent as the Api-Key header. The key must not
// be empty. It may be combined with a bearer token, as DIAL allows.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("dial: WithAPIKey: empty key")
		}
		if err := checkHeaderValue(key); err != nil {
			return fmt.Errorf("dial: WithAPIKey: %w", err)
		}
		c.apiKey = staticCredential(key)
		c.staticSecrets = append(c.staticSecrets, key)
		return nil
	}
}

// WithAPIKeyFunc authenticates with an API key obtained from f before every request attempt.
func WithAPIKeyFunc(f CredentialFunc) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("dial: WithAPIKeyFunc: nil function")
		}
		c.apiKey = f
		return nil
	}
}

// WithBearerToken authenticates with a JWT, sent as "Authorization: Bearer <token>". The
// token must not be empty.
func WithBearerToken(token string) Option {
	return func(c *config) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("dial: WithBearerToken: empty token")
		}
		if err := checkHeaderValue(token); err != nil {
			return fmt.Errorf("dial: WithBearerToken: %w", err)
		}
		c.bearer = staticCredential(token)
		c.staticSecrets = append(c.staticSecrets, token)
		return nil
	}
}

// WithBearerTokenFunc authenticates with a bearer token obtained from f before every request
// attempt.
func WithBearerTokenFunc(f CredentialFunc) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("dial: WithBearerTokenFunc: nil function")
		}
		c.bearer = f
		return nil
	}
}

// WithSecrets makes the client share s: it adds its static credentials to s when it is
// created and every value its credential functions return before it sends it, and masks every
// value of s in the errors it returns. Without it a client masks its own credentials only.
func WithSecrets(s *Secrets) Option {
	return func(c *config) error {
		if s == nil {
			return errors.New("dial: WithSecrets: nil set")
		}
		c.secrets = s
		return nil
	}
}

// WithAPIVersion sets the api-version query parameter sent with chat completions and
// embeddings ("2024-02-01", for example). Without it the parameter is omitted; [APIVersion]
// overrides it per call.
func WithAPIVersion(v string) Option {
	return func(c *config) error {
		if strings.TrimSpace(v) == "" {
			return errors.New("dial: WithAPIVersion: empty version")
		}
		c.apiVersion = v
		return nil
	}
}

// WithHTTPClient sends requests through hc instead of a client built by this package. The
// client is copied and its CheckRedirect replaced so that redirects are never followed
// (credentials must not travel to another location). hc's Timeout, if set, is a total limit
// that also cuts long streams; prefer [WithTimeout]. [WithConnectTimeout] cannot be combined
// with it. [Client.Close] does not close hc's connections.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("dial: WithHTTPClient: nil client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithMaxRetries sets how many times a failed request is retried (default 2, so 3 attempts).
// Zero disables retries; n must not be negative.
func WithMaxRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("dial: WithMaxRetries: negative count %d", n)
		}
		c.maxRetries = n
		return nil
	}
}

// WithRetryWait sets the bounds of the wait between attempts (default 0.5 s and 8 s). The
// wait doubles from lo on each retry up to hi, with jitter; a Retry-After from the server is
// used instead, capped at hi. WithRetryWait(0, 0) retries without waiting.
func WithRetryWait(lo, hi time.Duration) Option {
	return func(c *config) error {
		if lo < 0 || hi < lo {
			return fmt.Errorf("dial: WithRetryWait: need 0 <= min <= max, got %v and %v", lo, hi)
		}
		c.retryWaitMin, c.retryWaitMax = lo, hi
		return nil
	}
}

// WithTimeout sets the idle timeout (default 10 minutes): an attempt fails with [ErrTimeout]
// when no data moves for d, whether the client is waiting for response headers, for the next
// event of a stream, or for the next bytes of a download or upload. It is not a total
// deadline, so a long stream that keeps producing chunks is never cut; use the context for
// that. Zero disables the idle timeout; d must not be negative.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("dial: WithTimeout: negative duration %v", d)
		}
		c.timeout = d
		return nil
	}
}

// WithConnectTimeout bounds TCP connection and TLS handshake (default 10 s). It applies to
// the transport [NewClient] creates; clients of a [Pool] take it from [PoolOptions], and it
// cannot be combined with [WithHTTPClient].
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("dial: WithConnectTimeout: need a positive duration, got %v", d)
		}
		c.connectTimeout = d
		c.connectSet = true
		return nil
	}
}

// WithHeader adds a header to every request, such as X-CONVERSATION-ID or X-JOB-TITLE.
// Credential headers (Api-Key, Authorization) are refused: use the credential options, which
// keep credentials out of logs and errors.
func WithHeader(key, value string) Option {
	return func(c *config) error {
		name, err := checkHeader(key, value)
		if err != nil {
			return fmt.Errorf("dial: WithHeader: %w", err)
		}
		c.headers.Add(name, value)
		return nil
	}
}

// WithUserAgent replaces the User-Agent header (default [DefaultUserAgent]).
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("dial: WithUserAgent: empty value")
		}
		if err := checkHeaderValue(ua); err != nil {
			return fmt.Errorf("dial: WithUserAgent: %w", err)
		}
		c.userAgent = ua
		return nil
	}
}

// WithLogger logs each attempt at debug level ("dial: request" when it is sent, "dial: response"
// with its status or error and elapsed time when it ends) and each retry at info level ("dial:
// retrying" with the wait). Records carry the method, the path without query and the attempt
// number; the end of a stream is logged at debug level ("dial: stream end" with the events,
// bytes, elapsed time and how it ended). Credentials are never logged. The records are made
// from the events of [Observer], which [WithObserver] receives too. The default logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("dial: WithLogger: nil logger")
		}
		c.obs.set(logObserver(l), c.obs.user)
		return nil
	}
}

// WithObserver reports the events of every call to o (see [Observer]): the start and the
// response of each attempt, the wait before a retry, the end of a stream. Its functions run
// after the logger's of [WithLogger]. Give the same observer to several clients to watch all
// of them; o must not be changed afterwards.
func WithObserver(o *Observer) Option {
	return func(c *config) error {
		if o == nil {
			return errors.New("dial: WithObserver: nil observer")
		}
		c.obs.set(c.obs.log, o)
		return nil
	}
}

// checkHeader validates a custom header and returns its canonical name.
func checkHeader(key, value string) (string, error) {
	if key == "" || strings.ContainsAny(key, " \t\r\n:") {
		return "", fmt.Errorf("invalid header name %q", key)
	}
	name := textproto.CanonicalMIMEHeaderKey(key)
	switch name {
	case "Api-Key", "Authorization":
		return "", fmt.Errorf("header %s carries credentials: use WithAPIKey or WithBearerToken", name)
	case "Host", "Content-Length", "Transfer-Encoding", "Connection":
		return "", fmt.Errorf("header %s is set by the transport", name)
	}
	return name, checkHeaderValue(value)
}

func checkHeaderValue(v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return errors.New("header value contains a line break")
	}
	return nil
}

// CallOption adjusts one call: headers, api-version, retries, ETag conditions, upload content
// type, paging. Options that do not apply to a call are ignored by it.
type CallOption func(*callConfig) error

// callConfig is what call options build.
type callConfig struct {
	headers     http.Header
	apiVersion  string
	maxRetries  int // -1: the client's
	ifMatch     string
	ifNoneMatch string
	contentType string
	limit       int // -1: server default
	token       string
	recursive   bool
	overwrite   bool
}

func newCallConfig(opts []CallOption) (*callConfig, error) {
	cc := &callConfig{maxRetries: -1, limit: -1}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(cc); err != nil {
			return nil, err
		}
	}
	return cc, nil
}

// Header adds a header to this call only. Credential headers are refused as in [WithHeader].
func Header(key, value string) CallOption {
	return func(cc *callConfig) error {
		name, err := checkHeader(key, value)
		if err != nil {
			return fmt.Errorf("dial: Header: %w", err)
		}
		if cc.headers == nil {
			cc.headers = http.Header{}
		}
		cc.headers.Add(name, value)
		return nil
	}
}

// APIVersion sets the api-version query parameter of this chat or embeddings call,
// overriding [WithAPIVersion].
func APIVersion(v string) CallOption {
	return func(cc *callConfig) error {
		if strings.TrimSpace(v) == "" {
			return errors.New("dial: APIVersion: empty version")
		}
		cc.apiVersion = v
		return nil
	}
}

// MaxRetries overrides [WithMaxRetries] for this call.
func MaxRetries(n int) CallOption {
	return func(cc *callConfig) error {
		if n < 0 {
			return fmt.Errorf("dial: MaxRetries: negative count %d", n)
		}
		cc.maxRetries = n
		return nil
	}
}

// IfMatch makes an upload, download or delete conditional: it fails with [ErrETagMismatch]
// unless the resource's current ETag is one of etags (comma separated) or etag is "*" and the
// resource exists.
func IfMatch(etag string) CallOption {
	return func(cc *callConfig) error {
		if err := checkETag(etag); err != nil {
			return fmt.Errorf("dial: IfMatch: %w", err)
		}
		cc.ifMatch = etag
		return nil
	}
}

// IfNoneMatch makes a request conditional on the resource not having one of etags. With "*"
// an upload only creates and fails with [ErrETagMismatch] when the file exists.
func IfNoneMatch(etag string) CallOption {
	return func(cc *callConfig) error {
		if err := checkETag(etag); err != nil {
			return fmt.Errorf("dial: IfNoneMatch: %w", err)
		}
		cc.ifNoneMatch = etag
		return nil
	}
}

func checkETag(etag string) error {
	if strings.TrimSpace(etag) == "" {
		return errors.New("empty etag")
	}
	return checkHeaderValue(etag)
}

// ContentType sets the content type an upload is stored with (default: from the file
// extension for [Client.UploadFilePath], application/octet-stream otherwise).
func ContentType(ct string) CallOption {
	return func(cc *callConfig) error {
		if strings.TrimSpace(ct) == "" {
			return errors.New("dial: ContentType: empty value")
		}
		if err := checkHeaderValue(ct); err != nil {
			return fmt.Errorf("dial: ContentType: %w", err)
		}
		cc.contentType = ct
		return nil
	}
}

// Limit sets the page size of a folder listing: 0 to 1000 items (DIAL's default is 100).
func Limit(n int) CallOption {
	return func(cc *callConfig) error {
		if n < 0 || n > 1000 {
			return fmt.Errorf("dial: Limit: %d is outside 0..1000", n)
		}
		cc.limit = n
		return nil
	}
}

// PageToken continues a folder listing from the NextToken of a previous page.
func PageToken(token string) CallOption {
	return func(cc *callConfig) error {
		cc.token = token
		return nil
	}
}

// Recursive lists every file under a folder, at any depth, instead of its direct children;
// DIAL then returns items only, without folder nodes.
func Recursive(on bool) CallOption {
	return func(cc *callConfig) error {
		cc.recursive = on
		return nil
	}
}

// Overwrite lets a move or copy replace an existing destination.
func Overwrite(on bool) CallOption {
	return func(cc *callConfig) error {
		cc.overwrite = on
		return nil
	}
}
