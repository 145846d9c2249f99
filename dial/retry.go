package dial

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry defaults, as in the reference client: 2 retries (3 attempts), waits starting at 0.5 s
// and doubling up to 8 s.
const (
	defaultMaxRetries   = 2
	defaultRetryWaitMin = 500 * time.Millisecond
	defaultRetryWaitMax = 8 * time.Second
)

// retryableStatus reports whether an HTTP status is worth retrying: request timeout, rate
// limit, and the gateway errors DIAL Core answers while upstreams are unavailable. 500 and 501
// are not retried: they come from a deployment that failed on this very request.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableTransport reports whether a failure to get a response is worth retrying. Context
// cancellation, certificate and TLS configuration errors, and requests the client refused to
// send are not; connection errors, resets and timeouts are.
func retryableTransport(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, ErrCredentials) || errors.Is(err, ErrClosed) {
		return false
	}
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		certInvalid x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
	)
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) ||
		errors.As(err, &certInvalid) || errors.As(err, &recordErr) {
		return false
	}
	msg := err.Error()
	if strings.Contains(msg, "unsupported protocol scheme") || strings.Contains(msg, "tls: ") {
		return false
	}
	return true
}

// parseRetryAfter reads the wait a response asks for: Retry-After-Ms (milliseconds, as
// OpenAI-compatible servers send), else Retry-After as seconds or as an HTTP date relative to
// now. It returns 0 when there is no usable value.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// backoff returns the wait before retry number n (1 for the first retry): the server's
// Retry-After capped at max when it gave one, otherwise min·2^(n-1) capped at max, with
// "equal jitter" (a random value in the upper half) so concurrent clients spread out.
func backoff(n int, lo, hi, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, hi)
	}
	if hi <= 0 {
		return 0
	}
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleepCtx waits for d or until ctx is done, whichever comes first, and returns ctx's error
// in the second case.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
