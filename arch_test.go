package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// module is the import path of the repository's module; its packages are named relative to it
// below ("" is the command).
const module = "github.com/dialua/dialua"

// forbidden are the arrows that must never exist between the packages, as
// docs/architecture.md draws them: a package on the left must not depend, directly or not, on
// one on the right. "*" on the right is every package of the module but the leaf helpers
// under internal/ (a scanner, a thread pool), which any package may use and which themselves
// import nothing of the module. A rule for a package covers its subpackages too, and a package
// may always depend on its own tree (a subpackage of emulator on emulator).
var forbidden = []struct{ from, to string }{
	{"dial", "lualib"}, {"dial", "luabridge"}, {"dial", "runtime"}, {"dial", "emulator"},
	{"dial", "dialhost"},
	{"dialhost", "emulator"}, {"dialhost", "promptlog"},
	{"emulator", "*"},
	{"luabridge", "*"},
	{"internal", "*"},
	{"promptlog", "*"},
	{"runtime", "dial"}, {"runtime", "lualib"}, {"runtime", "emulator"}, {"runtime", "dialhost"},
	{"lualib", "runtime"}, {"lualib", "emulator"}, {"lualib", "dialhost"},
	{"*", ""}, // nothing imports the command
}

// TestNoForbiddenArrows lists the dependencies of every package of the module (go list -deps,
// without tests) and fails on each forbidden arrow.
func TestNoForbiddenArrows(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}",
		module+"/...").Output()
	require.NoError(t, err, "go list")
	deps := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		deps[fields[0]] = fields[1:]
	}
	require.Contains(t, deps, module+"/runtime", "go list saw the module's packages")
	assert.Empty(t, violations(deps))
}

// TestViolationsFindsArrows checks the checker on a graph with forbidden arrows, direct and
// through the command, beside allowed ones: the command and dialhost importing runtime and
// lualib.
func TestViolationsFindsArrows(t *testing.T) {
	t.Parallel()
	deps := map[string][]string{
		module:                    {module + "/runtime", module + "/lualib", module + "/dialhost"},
		module + "/dialhost":      {module + "/runtime", module + "/lualib", module + "/emulator"},
		module + "/luabridge":     {module + "/dialhost"},
		module + "/runtime":       {module + "/luabridge", module + "/lualib", "strings"},
		module + "/lualib":        {module + "/dial", module + "/luabridge"},
		module + "/emulator":      {"net/http"},
		module + "/emulator/sub":  {module + "/dial", module + "/emulator"},
		module + "/dial":          {"net/http"},
		module + "/internal/foo":  {module},
		module + "/lualib/helper": {module + "/runtime", module + "/dialhost"},
	}
	assert.ElementsMatch(t, []string{
		"runtime -> lualib", "emulator/sub -> dial", "internal/foo -> (the command)",
		"lualib/helper -> runtime", "lualib/helper -> dialhost", "dialhost -> emulator",
		"luabridge -> dialhost",
	}, violations(deps))
}

// violations returns the forbidden arrows of deps, which maps each package of the module to
// every package it depends on, as "from -> to".
func violations(deps map[string][]string) []string {
	var found []string
	for pkg, list := range deps {
		from, ok := local(pkg)
		if !ok {
			continue
		}
		for _, dep := range list {
			to, ok := local(dep)
			if !ok || layer(to) == layer(from) {
				continue // within a package's own tree, such as emulator/emulatortest -> emulator
			}
			for _, rule := range forbidden {
				if matches(rule.from, from) && matches(rule.to, to) {
					name := to
					if to == "" {
						name = "(the command)"
					}
					found = append(found, from+" -> "+name)
					break
				}
			}
		}
	}
	slices.Sort(found)
	return found
}

// local returns the path of pkg inside the module ("" for the command), and whether pkg is the
// module's.
func local(pkg string) (string, bool) {
	if pkg == module {
		return "", true
	}
	rest, ok := strings.CutPrefix(pkg, module+"/")
	return rest, ok
}

// layer returns the top-level package of pkg: "emulator" for "emulator/emulatortest".
func layer(pkg string) string {
	top, _, _ := strings.Cut(pkg, "/")
	return top
}

// matches reports whether the rule's package name covers pkg: "*" covers every package, ""
// the command only, and a name the package and its subpackages.
func matches(name, pkg string) bool {
	switch name {
	case "*":
		return layer(pkg) != "internal"
	case "":
		return pkg == ""
	}
	return pkg == name || strings.HasPrefix(pkg, name+"/")
}
