package dial

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSecretsRedact(t *testing.T) {
	t.Parallel()
	var s Secrets
	s.Add("secret-1", "short", "", "secret-1-longer", "secret-1")
	assert.Equal(t, "a "+Redacted+" b "+Redacted+" c short", s.Redact("a secret-1 b secret-1-longer c short"))
	assert.Equal(t, "nothing here", s.Redact("nothing here"))
	var none *Secrets
	assert.Equal(t, "secret-1", none.Redact("secret-1"))
}

// TestSecretsKeepRecentFunctionValues checks that values credential functions return are
// forgotten oldest first beyond maxRecent, and those given to Add never.
func TestSecretsKeepRecentFunctionValues(t *testing.T) {
	t.Parallel()
	var s Secrets
	s.Add("fixed-secret")
	for i := range maxRecent + 1 {
		s.addRecent(fmt.Sprintf("token-%03d", i))
	}
	s.addRecent("token-001") // already known: not added again
	assert.Equal(t, "token-000", s.Redact("token-000"))
	assert.Equal(t, Redacted, s.Redact("token-001"))
	assert.Equal(t, Redacted, s.Redact(fmt.Sprintf("token-%03d", maxRecent)))
	assert.Equal(t, Redacted, s.Redact("fixed-secret"))
}

// TestSecretsConcurrent adds and masks from many goroutines; run with -race.
func TestSecretsConcurrent(t *testing.T) {
	t.Parallel()
	var s Secrets
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			v := fmt.Sprintf("secret-%d", i)
			s.Add(v)
			s.addRecent(v + "-recent")
			assert.NotContains(t, s.Redact(strings.Repeat(v+" ", 3)), v)
		})
	}
	wg.Wait()
}
