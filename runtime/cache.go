package runtime

import (
	"bytes"
	"crypto/sha256"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// DefaultCacheEntries is the capacity of a [ChunkCache] made with a non-positive size.
const DefaultCacheEntries = 256

// ChunkCache keeps compiled chunks (gopher-lua function prototypes) so that a script or module
// run again, by the same host or by any other host sharing the cache, skips parsing and
// compiling. Entries are keyed by chunk name and a SHA-256 of the source, so an edited file
// compiles afresh and the same text under two names gives two entries (the name appears in
// error messages). Prototypes are read-only once compiled, which makes sharing them between
// LStates safe. The cache holds at most its capacity in entries and drops the oldest first.
//
// A ChunkCache is safe for concurrent use. A nil *ChunkCache is valid and caches nothing.
type ChunkCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]*lua.FunctionProto
	order   [][sha256.Size]byte // insertion order, oldest first
	max     int
	hits    atomic.Int64
	misses  atomic.Int64
}

// NewChunkCache returns an empty cache holding up to maxEntries chunks, or
// [DefaultCacheEntries] when maxEntries is not positive.
func NewChunkCache(maxEntries int) *ChunkCache {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	return &ChunkCache{entries: make(map[[sha256.Size]byte]*lua.FunctionProto), max: maxEntries}
}

// Compile returns the prototype of src compiled under the chunk name, from the cache when it
// is there. A source that does not compile returns the *lua.ApiError of gopher-lua (Type
// lua.ApiErrorSyntax) and is not cached. Compile does not keep src.
func (c *ChunkCache) Compile(name string, src []byte) (*lua.FunctionProto, error) {
	if c == nil {
		return compile(name, src)
	}
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(src)
	var key [sha256.Size]byte
	h.Sum(key[:0])

	c.mu.Lock()
	proto, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return proto, nil
	}
	c.misses.Add(1)
	proto, err := compile(name, src)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok {
		if len(c.order) >= c.max {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
		c.entries[key] = proto
		c.order = append(c.order, key)
	}
	return proto, nil
}

// Stats returns how many [ChunkCache.Compile] calls found their chunk in the cache and how
// many compiled it. A nil cache reports zeros.
func (c *ChunkCache) Stats() (hits, misses int64) {
	if c == nil {
		return 0, 0
	}
	return c.hits.Load(), c.misses.Load()
}

// Len returns the number of cached chunks.
func (c *ChunkCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// compile parses src, rewrites what gopher-lua would miscompile (see rewriteChunk) and
// compiles it. Every chunk the host runs is compiled here.
func compile(name string, src []byte) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err != nil {
		return nil, &lua.ApiError{Type: lua.ApiErrorSyntax, Object: lua.LString(err.Error()),
			Cause: err}
	}
	rewriteChunk(chunk)
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, &lua.ApiError{Type: lua.ApiErrorSyntax, Object: lua.LString(err.Error()),
			Cause: err}
	}
	return proto, nil
}
