package lualib_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/dialhost"
	"github.com/dialua/dialua/emulator/emulatortest"
	"github.com/dialua/dialua/runtime"
)

// In the sandbox, attachments are read as io.open reads: a file outside the working
// directory is refused and nothing is uploaded; one inside is attached.
func TestAttachmentsConfinedBySandbox(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	pool := dial.NewPool(dial.PoolOptions{})
	t.Cleanup(func() { pool.Close() })
	work, outside := t.TempDir(), t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("private"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(work, "inside.txt"), []byte("public"), 0o600))
	var out strings.Builder
	h, err := runtime.New(runtime.Config{Stdout: &out, WorkDir: work, Sandbox: true,
		Modules: []runtime.Module{dialhost.Module(dialConfig(srv, pool))}})
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	script := `
		local client = require("dial").default()
		local function try(path)
			local r, msg = client:ask("echo", "x", {attachments = {path}})
			print(r or msg)
		end
		try(SECRET)
		try("../` + filepath.Base(outside) + `/secret.txt")
		try("inside.txt")
		local page = client.files:metadata(client:files_home() .. "dialua-attachments/", {recursive = true})
		print(#page.items)`
	require.NoError(t, h.RunString(t.Context(), "SECRET = "+luaQuote(secret)+"\n"+script))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 5, out.String())
	assert.Contains(t, lines[0], "outside")
	assert.Contains(t, lines[1], "outside")
	assert.Regexp(t, `^x$`, lines[2])
	assert.Regexp(t, `^\[attachments: inside\.txt <files/.*/inside\.txt> \(text/plain; charset=utf-8\)\]$`, lines[3])
	assert.Equal(t, "1", lines[4], "only the file inside was uploaded")
}

// luaQuote is s as a Lua long string literal.
func luaQuote(s string) string { return "[==[" + s + "]==]" }
