package main

import (
	"debug/elf"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The image (Dockerfile) runs the binary on distroless/static, which has no C library: the
// binary must be static, with no program interpreter and no shared library.
func TestBinaryIsStatic(t *testing.T) {
	t.Parallel()
	f, err := elf.Open(binary(t))
	if err != nil {
		t.Skipf("not an ELF binary on this system: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "the binary names a program interpreter")
	}
	libs, err := f.ImportedLibraries()
	require.NoError(t, err)
	assert.Empty(t, libs)

	docker, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	assert.Contains(t, string(docker), "CGO_ENABLED=0 go build -trimpath",
		"the image builds the binary as this test does")
	assert.True(t, strings.Contains(string(docker), "USER nonroot"), "the image runs as non-root")
}
