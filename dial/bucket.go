package dial

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
)

// BucketInfo is the answer of GET /v1/bucket: the caller's own storage bucket and, for an
// application calling with a per-request key, its appdata location
// ("<bucket>/appdata/<app>").
type BucketInfo struct {
	Bucket  string `json:"bucket"`
	AppData string `json:"appdata,omitempty"`
}

// bucketCache holds a client's BucketInfo once fetched. Concurrent first callers share one
// request; a failed fetch is not cached.
type bucketCache struct {
	mu       sync.Mutex
	info     *BucketInfo
	inflight *bucketFetch
}

type bucketFetch struct {
	done chan struct{}
	info BucketInfo
	err  error
}

// Bucket returns the caller's bucket information (GET /v1/bucket). The first success is
// cached for the life of the client, so later calls, from any goroutine, cost nothing;
// concurrent first calls share one request. Each caller's ctx bounds only its own wait.
func (c *Client) Bucket(ctx context.Context) (BucketInfo, error) {
	c.bucket.mu.Lock()
	if c.bucket.info != nil {
		info := *c.bucket.info
		c.bucket.mu.Unlock()
		return info, nil
	}
	f := c.bucket.inflight
	if f == nil {
		f = &bucketFetch{done: make(chan struct{})}
		c.bucket.inflight = f
		// The fetch outlives a caller that gives up, so the others still get the answer; it
		// is bounded by the client's idle timeout and retries.
		go c.fetchBucket(context.WithoutCancel(ctx), f)
	}
	c.bucket.mu.Unlock()
	select {
	case <-f.done:
		return f.info, f.err
	case <-ctx.Done():
		return BucketInfo{}, ctx.Err()
	}
}

func (c *Client) fetchBucket(ctx context.Context, f *bucketFetch) {
	var info BucketInfo
	err := c.callJSON(ctx, &request{method: http.MethodGet, path: "v1/bucket"}, &info)
	if err == nil && info.Bucket == "" {
		err = parseError(http.MethodGet, c.base.Path+"v1/bucket", errEmptyBucket)
	}
	c.bucket.mu.Lock()
	if err == nil {
		c.bucket.info = &info
	}
	c.bucket.inflight = nil
	c.bucket.mu.Unlock()
	f.info, f.err = info, err
	close(f.done)
}

// errEmptyBucket is the cause of an ErrParse for a bucket answer without a bucket.
var errEmptyBucket = errors.New("no bucket in the answer")

// MyBucket returns the caller's bucket, such as "3CcedGxCx23EwiVbVmscVktScRyf46KypuBQ65miviST".
// See [Client.Bucket] for caching.
func (c *Client) MyBucket(ctx context.Context) (string, error) {
	info, err := c.Bucket(ctx)
	return info.Bucket, err
}

// MyFilesHome returns the caller's files root folder, "files/<bucket>/", ready for
// [StorageURL.Join] or string concatenation.
func (c *Client) MyFilesHome(ctx context.Context) (string, error) {
	return c.home(ctx, ResourceFiles)
}

// MyConversationsHome returns "conversations/<bucket>/".
func (c *Client) MyConversationsHome(ctx context.Context) (string, error) {
	return c.home(ctx, ResourceConversations)
}

// MyPromptsHome returns "prompts/<bucket>/".
func (c *Client) MyPromptsHome(ctx context.Context) (string, error) {
	return c.home(ctx, ResourcePrompts)
}

func (c *Client) home(ctx context.Context, typ string) (string, error) {
	b, err := c.MyBucket(ctx)
	if err != nil {
		return "", err
	}
	return typ + "/" + escapeSegment(b) + "/", nil
}

// MyAppDataHome returns the files folder of the calling application's data,
// "files/<bucket>/appdata/<app>/", or "" when the credentials are not an application's
// per-request key. Unlike the reference client's, the result is a usable files URL.
func (c *Client) MyAppDataHome(ctx context.Context) (string, error) {
	info, err := c.Bucket(ctx)
	if err != nil || info.AppData == "" {
		return "", err
	}
	return "files/" + strings.TrimSuffix(info.AppData, "/") + "/", nil
}

// UserInfo returns GET /v1/user/info as received: roles and project for an API key, roles,
// user claims and id for a token.
func (c *Client) UserInfo(ctx context.Context, opts ...CallOption) (json.RawMessage, error) {
	return c.DoJSON(ctx, http.MethodGet, "v1/user/info", nil, opts...)
}
