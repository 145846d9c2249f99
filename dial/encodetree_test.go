package dial

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEncodeTreeLongStrings encodes strings longer than one piece, with characters of several
// bytes, escapes and invalid UTF-8 across the piece boundaries, exactly as encoding/json does.
func TestEncodeTreeLongStrings(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		strings.Repeat("a", stringPiece-1) + "é" + strings.Repeat("b", 10),
		strings.Repeat("€", stringPiece),
		strings.Repeat("x\n\"\\<\u2028", stringPiece/3),
		strings.Repeat("a", stringPiece-1) + "\xe2\x82" + strings.Repeat("\xff", 5) + "z",
		"",
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]string{"s": s})
		got := encodeTree(map[string]any{"s": newMergedString(s)}, false)
		assert.Equal(t, strings.TrimSuffix(want.String(), "\n"), string(got), "length %d", len(s))
	}
}
