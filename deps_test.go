package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinaryLinksNoTestHarness lists the packages the dialua binary links and fails if a test
// harness is among them: test helpers belong in packages only tests import (such as
// emulator/emulatortest), never in a package the binary uses.
func TestBinaryLinksNoTestHarness(t *testing.T) {
	deps := binaryDeps(t)
	require.True(t, deps["github.com/dialua/dialua/emulator"], "the listing is of the binary")
	for _, harness := range []string{"testing", "net/http/httptest", "github.com/dialua/dialua/emulator/emulatortest"} {
		assert.Falsef(t, deps[harness], "the dialua binary links %s", harness)
	}
}

// binaryDeps returns the set of import paths of every package the main package depends on,
// from `go list -deps`. It skips the test when no go command is installed.
func binaryDeps(t *testing.T) map[string]bool {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	require.NoError(t, err, "go list -deps")
	deps := map[string]bool{}
	for _, path := range strings.Fields(string(out)) {
		deps[path] = true
	}
	return deps
}
