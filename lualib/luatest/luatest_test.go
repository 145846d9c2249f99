package luatest_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/lualib/luatest"
)

func newState(t *testing.T) *lua.LState {
	L := lua.NewState()
	t.Cleanup(L.Close)
	return L
}

// TestRunnerOutcomes runs testdata/outcomes_test.lua, whose tests fail on purpose, in a child
// test process and checks what the runner reported.
func TestRunnerOutcomes(t *testing.T) {
	if os.Getenv("LUATEST_OUTCOMES") == "1" {
		luatest.Run(t, "testdata/outcomes_test.lua", newState)
		return
	}
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestRunnerOutcomes$",
		"-test.v")
	cmd.Env = append(os.Environ(), "LUATEST_OUTCOMES=1")
	data, err := cmd.CombinedOutput()
	out := string(data)
	require.Error(t, err, out)
	for _, want := range []string{
		"--- PASS: TestRunnerOutcomes/TestPasses",
		"outcomes_test.lua:4: fine",
		"--- FAIL: TestRunnerOutcomes/TestError",
		"outcomes_test.lua:9: boom 42",
		"outcomes_test.lua:10: continues after error",
		"--- FAIL: TestRunnerOutcomes/TestFail",
		"outcomes_test.lua:14: failed",
		"--- FAIL: TestRunnerOutcomes/TestFatal",
		"outcomes_test.lua:18: stop here",
		"--- SKIP: TestRunnerOutcomes/TestSkip",
		"outcomes_test.lua:23: not today",
		"--- FAIL: TestRunnerOutcomes/TestRaises",
		"outcomes_test.lua:29: attempt to index a non-table object(nil) with key 'field'",
		"stack traceback:",
		"--- FAIL: TestRunnerOutcomes/TestEqual",
		"outcomes_test.lua:33: tables\n",
		"got:  {a=1, b={[1]=\"x\"}}",
		"want: {a=2, b={[1]=\"x\"}}",
		"--- FAIL: TestRunnerOutcomes/TestNested/inner_fails",
		"outcomes_test.lua:38: inner ok: false",
		"--- PASS: TestRunnerOutcomes/TestNested/inner_passes",
		"inner name TestRunnerOutcomes/TestNested/inner_passes",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "NOT REACHED")
	assert.NotContains(t, out, "helper")
}
