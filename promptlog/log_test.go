package promptlog

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// open opens a log in a new directory, masking redact's values, and closes it at the end.
func open(t *testing.T, redact func(string) string) (*Log, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", "log.db")
	l, err := Open(path, redact)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l, path
}

// exchange is an entry asking deployment prompt and answered answer.
func exchange(deployment, prompt, answer string) Entry {
	req, _ := json.Marshal(map[string]any{"messages": []any{
		map[string]any{"role": "system", "content": "be brief"},
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": prompt}}}}})
	resp, _ := json.Marshal(map[string]any{
		"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": answer}}},
		"usage":   map[string]any{"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})
	return Entry{Time: time.Unix(1700000000, 0), Source: "run", Deployment: deployment,
		Request: req, Response: resp, Duration: 1500 * time.Millisecond}
}

// TestRecordList checks that an entry comes back as recorded, with its texts and usage
// derived, the newest first, and a failed completion with its error and no response.
func TestRecordList(t *testing.T) {
	t.Parallel()
	l, _ := open(t, nil)
	ctx := t.Context()
	first := exchange("gpt-4o", "What is two plus two?", "Four.")
	require.NoError(t, l.Record(ctx, first))
	failed := Entry{Time: time.Unix(1700000100, 0), Source: "ask", Deployment: "down",
		Request: json.RawMessage(`{"messages":[{"role":"user","content":"hello"}]}`),
		Error:   "dial: 503 Service Unavailable"}
	require.NoError(t, l.Record(ctx, failed))

	got, err := l.List(ctx, 0, "")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "down", got[0].Deployment, "newest first")
	assert.Equal(t, "dial: 503 Service Unavailable", got[0].Error)
	assert.Nil(t, got[0].Response)
	assert.Equal(t, "user: hello", got[0].Prompt)
	assert.Equal(t, "ask", got[0].Source)

	e := got[1]
	assert.Equal(t, int64(1), e.ID)
	assert.True(t, first.Time.Equal(e.Time))
	assert.Equal(t, "run", e.Source)
	assert.JSONEq(t, string(first.Request), string(e.Request))
	assert.JSONEq(t, string(first.Response), string(e.Response))
	assert.Equal(t, 1500*time.Millisecond, e.Duration)
	assert.Equal(t, "system: be brief\nuser: What is two plus two?", e.Prompt)
	assert.Equal(t, "Four.", e.Answer)
	assert.Equal(t, Usage{3, 2, 5}, e.Usage)

	got, err = l.List(ctx, 1, "")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "down", got[0].Deployment, "-n keeps the newest")
}

// TestSearch checks that a query finds the entries whose prompt, answer or error contains it,
// ignoring case, and that LIKE's wildcards in it are plain characters.
func TestSearch(t *testing.T) {
	t.Parallel()
	l, _ := open(t, nil)
	ctx := t.Context()
	for _, e := range []Entry{
		exchange("a", "Tell me about Paris", "A city."),
		exchange("b", "Name a river", "The Seine flows through paris."),
		exchange("c", "Discount?", "50% off"),
		exchange("d", "Discount?", "500 off"),
		{Time: time.Unix(1, 0), Source: "run", Deployment: "e", Request: json.RawMessage(`{}`),
			Error: "quota exceeded"},
	} {
		require.NoError(t, l.Record(ctx, e))
	}
	deployments := func(query string) []string {
		got, err := l.List(ctx, 0, query)
		require.NoError(t, err)
		var ds []string
		for _, e := range got {
			ds = append(ds, e.Deployment)
		}
		return ds
	}
	assert.Equal(t, []string{"b", "a"}, deployments("PARIS"), "prompt and answer, any case")
	assert.Equal(t, []string{"c"}, deployments("50%"), "% is no wildcard")
	assert.Equal(t, []string{"e"}, deployments("quota"), "errors are searched")
	assert.Empty(t, deployments("London"))
}

// TestConcurrentRecords records from many goroutines while listing: every entry is kept.
func TestConcurrentRecords(t *testing.T) {
	t.Parallel()
	l, _ := open(t, nil)
	ctx := t.Context()
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- l.Record(ctx, exchange(fmt.Sprintf("w%d", w), fmt.Sprintf("q%d", i), "a"))
				_, err := l.List(ctx, 5, "q")
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := l.List(ctx, 0, "")
	require.NoError(t, err)
	assert.Len(t, got, workers*each)
}

// TestFileMode checks that the log and its missing directory are created private.
func TestFileMode(t *testing.T) {
	t.Parallel()
	l, path := open(t, nil)
	require.NoError(t, l.Record(t.Context(), exchange("a", "q", "a")))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

// TestSecretsMasked records a canary key in a prompt, an answer and an error: the file holds
// it nowhere, and the entries show it masked.
func TestSecretsMasked(t *testing.T) {
	t.Parallel()
	const canary, digits = "sk-canary-0123456789", "98765432109"
	l, path := open(t, func(s string) string {
		return strings.NewReplacer(canary, "[REDACTED]", digits, "[REDACTED]").Replace(s)
	})
	ctx := t.Context()
	require.NoError(t, l.Record(ctx, exchange("a", "my key is "+canary, "you said "+canary)))
	require.NoError(t, l.Record(ctx, Entry{Time: time.Unix(2, 0), Source: "run", Deployment: "b",
		Request: json.RawMessage(`{}`), Error: "bad key " + canary}))
	// A credential masked in a number makes the body invalid: it is kept as a string.
	require.NoError(t, l.Record(ctx, Entry{Time: time.Unix(3, 0), Source: "run", Deployment: "c",
		Request: json.RawMessage(`{"n":` + digits + `}`), Response: json.RawMessage(`[` + digits + `]`)}))
	require.NoError(t, l.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), canary)
	assert.NotContains(t, string(data), digits)

	l, err = Open(path, nil)
	require.NoError(t, err)
	defer l.Close()
	got, err := l.List(ctx, 0, "")
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, "bad key [REDACTED]", got[1].Error)
	assert.Equal(t, "user: my key is [REDACTED]", strings.Split(got[2].Prompt, "\n")[1])
	assert.Equal(t, "you said [REDACTED]", got[2].Answer)
	assert.Contains(t, string(got[2].Request), "my key is [REDACTED]")
	assert.Contains(t, string(got[2].Response), "you said [REDACTED]")
	assert.Equal(t, `"{\"n\":[REDACTED]}"`, string(got[0].Request))
	assert.Equal(t, `"[[REDACTED]]"`, string(got[0].Response))
}

// TestOpenFails checks that a log that cannot be created is an error naming the problem.
func TestOpenFails(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err := Open(filepath.Join(file, "log.db"), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "prompt log")
}
