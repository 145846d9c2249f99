package dial

import (
	"slices"
	"strings"
	"sync"
)

// Redacted replaces a credential in masked text.
const Redacted = "[REDACTED]"

// MinSecretLen is the length below which a value is not masked: a shorter one would mask
// ordinary words, and no real credential is that short.
const MinSecretLen = 6

// maxRecent bounds the values credential functions returned that a [Secrets] remembers, so a
// function that hands out a new token per attempt does not grow it without end.
const maxRecent = 64

// Secrets is a set of credential values to mask in text: every occurrence of a value of at
// least [MinSecretLen] bytes becomes [Redacted]. A client masks the credentials it knows in the
// errors it returns; give several clients one Secrets with [WithSecrets] and each masks the
// credentials of all, and the owner of the set can mask its own output with [Secrets.Redact].
//
// Secrets is safe for concurrent use; the zero value is empty and ready. Values added with
// [Secrets.Add] are kept for the life of the set; of the values credential functions return,
// the 64 most recent are kept.
type Secrets struct {
	mu     sync.RWMutex
	fixed  []string
	recent []string // newest last
	// masks is fixed and recent, longest first, so a value that contains another is masked
	// whole.
	masks []string
}

// Add adds values to the set for good. Empty and short values are ignored.
func (s *Secrets) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) >= MinSecretLen && !slices.Contains(s.fixed, v) {
			s.fixed = append(s.fixed, v)
		}
	}
	s.update()
}

// addRecent adds a value a credential function returned, forgetting the oldest such value
// when there are too many.
func (s *Secrets) addRecent(v string) {
	if len(v) < MinSecretLen {
		return
	}
	s.mu.RLock()
	known := slices.Contains(s.fixed, v) || slices.Contains(s.recent, v)
	s.mu.RUnlock()
	if known {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.recent, v) {
		return
	}
	if len(s.recent) == maxRecent {
		s.recent = slices.Delete(s.recent, 0, 1)
	}
	s.recent = append(s.recent, v)
	s.update()
}

// update rebuilds masks; s.mu must be held.
func (s *Secrets) update() {
	s.masks = slices.Concat(s.fixed, s.recent)
	slices.SortStableFunc(s.masks, func(a, b string) int { return len(b) - len(a) })
}

// Redact returns text with every value of the set replaced by [Redacted]. A nil *Secrets
// masks nothing.
func (s *Secrets) Redact(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.masks {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

// redactAPIError masks the values of s in every text field of e.
func (s *Secrets) redactAPIError(e *APIError) {
	for _, f := range []*string{&e.Message, &e.DisplayMessage, &e.Type, &e.Code, &e.Param} {
		*f = s.Redact(*f)
	}
	if body := s.Redact(string(e.Body)); body != string(e.Body) {
		e.Body = []byte(body)
	}
}
