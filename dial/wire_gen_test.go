package dial

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestWireGenIsCurrent runs gen_wire.go and checks that wire_gen.go is what it writes, so the
// generated declarations cannot drift from their generator.
func TestWireGenIsCurrent(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run the generator")
	}
	out := filepath.Join(t.TempDir(), "wire_gen.go")
	if b, err := exec.Command(gobin, "run", "gen_wire.go", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("go run gen_wire.go: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("wire_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("wire_gen.go is not what gen_wire.go writes: run go generate ./dial")
	}
}
