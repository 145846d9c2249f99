package runtime_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/runtime"
)

// TestLua51Corpus runs every program of testdata/lua51 through the host and through PUC Lua
// 5.1 (the lua5.1 command) and compares what they print. The differences that remain are
// listed in README.md, "Known limitations of the Lua VM", and kept out of the corpus.
func TestLua51Corpus(t *testing.T) {
	t.Parallel()
	lua51, err := exec.LookPath("lua5.1")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("lua5.1 is not on PATH; .ci/run installs it")
		}
		msg := "SKIPPING TestLua51Corpus: lua5.1 is not on PATH (apt-get install lua5.1)"
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "lua51"))
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(dir, "*.lua"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 20)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), lua51, name)
			cmd.Dir = dir
			var want, wantErr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &want, &wantErr
			require.NoError(t, cmd.Run(), "lua5.1 %s: %s", name, wantErr.String())

			var got bytes.Buffer
			h := newHost(t, runtime.Config{Stdout: &got, WorkDir: dir})
			require.NoError(t, h.RunFile(t.Context(), name))
			assert.Equal(t, want.String(), got.String())
		})
	}
}
