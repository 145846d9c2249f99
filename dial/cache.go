package dial

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Cache is an on-disk store of chat completion responses, shared by the clients given it
// with [WithCache]: a request identical to one answered before (same deployment, same body
// up to the order of its members, same api-version, same credential) is answered from the
// store without reaching DIAL. Only successful [Client.Chat] and [Client.ChatRaw] responses
// are stored; streamed calls bypass the cache. Entries are keyed by a hash that includes a
// hash of the credential, so clients with different keys never share an entry, and no
// credential is stored. One file per entry, written atomically; an unreadable or corrupt
// entry counts as a miss. A Cache is safe for concurrent use.
type Cache struct {
	dir  string
	ttl  time.Duration
	now  func() time.Time // the clock; tests replace it
	hits atomic.Int64
}

// NewCache returns a cache in dir, creating it (mode 0700) when missing. Entries older
// than ttl are misses; ttl <= 0 keeps them for ever.
func NewCache(dir string, ttl time.Duration) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("dial: cache: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dial: cache: %w", err)
	}
	return &Cache{dir: dir, ttl: ttl, now: time.Now}, nil
}

// DefaultCacheDir is the cache directory of dialua's responses: "dialua/responses" in the
// user's cache directory (os.UserCacheDir).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("dial: cache: %w", err)
	}
	return filepath.Join(d, "dialua", "responses"), nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// Hits is how many requests the cache has answered.
func (c *Cache) Hits() int64 { return c.hits.Load() }

// WithCache answers repeated chat completions from cache (see [Cache]); nil turns caching
// off.
func WithCache(cache *Cache) Option {
	return func(c *config) error {
		c.cache = cache
		return nil
	}
}

// cacheEntry is the JSON of one stored response.
type cacheEntry struct {
	Stored   time.Time       `json:"stored"`
	Response json.RawMessage `json:"response"`
}

// get returns the stored response of key, if there is a fresh one.
func (c *Cache) get(key string) (json.RawMessage, bool) {
	data, err := os.ReadFile(filepath.Join(c.dir, key+".json"))
	if err != nil {
		return nil, false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || !json.Valid(e.Response) || len(e.Response) == 0 {
		return nil, false
	}
	if c.ttl > 0 && c.now().Sub(e.Stored) > c.ttl {
		return nil, false
	}
	c.hits.Add(1)
	return e.Response, true
}

// put stores resp under key, atomically: a concurrent reader sees the old entry or the new
// one. A failure to store is not an error of the request; the entry is just not kept.
func (c *Cache) put(key string, resp json.RawMessage) {
	data, err := json.Marshal(cacheEntry{Stored: c.now(), Response: resp})
	if err != nil {
		return
	}
	f, err := os.CreateTemp(c.dir, key+".*.tmp")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), filepath.Join(c.dir, key+".json")) != nil {
		os.Remove(f.Name())
	}
}

// cacheKey is the key of the chat completion r to deployment with body: a SHA-256 over the
// server, deployment, api-version, the body in canonical form (members sorted, "stream" left
// out), and hashes of the credential the request would be sent with and of its per-call
// headers (which may carry one).
func (c *Client) cacheKey(ctx context.Context, r *request, deployment string, body []byte) (string, error) {
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", errors.New("dial: request body must be a JSON object")
	}
	delete(v, "stream")
	canon, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	cred := sha256.New()
	for _, f := range []CredentialFunc{c.cfg.apiKey, c.cfg.bearer} {
		if f == nil {
			cred.Write([]byte{0})
			continue
		}
		s, err := f(ctx)
		if err != nil || s == "" {
			return "", ErrCredentials
		}
		cred.Write([]byte{1})
		cred.Write([]byte(s))
	}
	headers, err := json.Marshal(r.callHeaders())
	if err != nil {
		return "", err
	}
	cred.Write(headers)
	parts, _ := json.Marshal([]string{c.baseStr, deployment, r.query.Get("api-version"),
		hex.EncodeToString(cred.Sum(nil)), string(canon)})
	sum := sha256.Sum256(parts)
	return hex.EncodeToString(sum[:]), nil
}

// cachedCall is c.call for a non-streamed chat completion: answered from the cache when it
// holds the request, stored in it when successful.
func (c *Client) cachedCall(ctx context.Context, r *request, deployment string, body []byte) ([]byte, error) {
	cache := c.cfg.cache
	if cache == nil {
		data, _, err := c.call(ctx, r)
		return data, err
	}
	key, err := c.cacheKey(ctx, r, deployment, body)
	if err != nil {
		// Not cacheable: the call reports what is wrong (a credential failure, say).
		data, _, err := c.call(ctx, r)
		return data, err
	}
	if data, ok := cache.get(key); ok {
		return data, nil
	}
	data, _, err := c.call(ctx, r)
	if err == nil && validJSON(data) {
		cache.put(key, data)
	}
	return data, err
}
