package runtime_test

import (
	"bytes"
	"context"
	goruntime "runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/runtime"
)

// requireLimitError checks that err is a run stopped by the limit want, reported as a runtime
// error (exit code 1) whose message is msg.
func requireLimitError(t *testing.T, err error, want runtime.LimitError, msg string) {
	t.Helper()
	var se *runtime.ScriptError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, runtime.KindRuntime, se.Kind)
	assert.Equal(t, msg, se.Message)
	var le *runtime.LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, want, *le)
	assert.Equal(t, 1, runtime.ExitCode(err))
}

func TestTimeLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, code, line string }{
		{"busy loop", "local n = 0\nwhile true do n = n + 1 end", "2"},
		{"loop in pcall", "while true do pcall(function() while true do end end) end", "1"},
		// coroutine.wrap reports an error at its caller's line, as in Lua 5.1.
		{"loop in coroutine", "coroutine.wrap(function()\nwhile true do end end)()", "1"},
		{"Go function waiting", "local r = require('wait')()\nprint(r)", "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			h := newHost(t, runtime.Config{Stdout: &out, TimeLimit: 100 * time.Millisecond,
				Modules: []runtime.Module{waitModule()}})
			err := h.RunString(t.Context(), tc.code)
			requireLimitError(t, err, runtime.LimitError{Time: 100 * time.Millisecond},
				"<string>:"+tc.line+": time limit of 100ms exceeded")
			assert.Empty(t, out.String())
			// Each run has the whole limit.
			require.NoError(t, h.RunString(t.Context(), `print("next run")`))
			assert.Equal(t, "next run\n", out.String())
		})
	}
	t.Run("canceled before the limit", func(t *testing.T) {
		t.Parallel()
		h := newHost(t, runtime.Config{TimeLimit: time.Hour})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := h.RunString(ctx, `while true do end`)
		var se *runtime.ScriptError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, runtime.KindCanceled, se.Kind)
		assert.NotErrorAs(t, err, new(*runtime.LimitError))
	})
}

// TestExitUnderLimits ends runs under both limits with os.exit, which cancels the run from
// inside it.
func TestExitUnderLimits(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{Sandbox: true, TimeLimit: time.Hour})
	for range 2 {
		err := h.RunString(t.Context(), `os.exit(3)`)
		assert.Equal(t, &runtime.ExitError{Code: 3}, err)
	}
	require.NoError(t, h.RunString(t.Context(), `local t = {} for i = 1, 100 do t[i] = i end`))
}

// TestMemoryPreChecks runs the calls that would build a result beyond the sandbox's default
// limit of 1 GiB in one go: they raise before allocating it.
func TestMemoryPreChecks(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{Sandbox: true})
	for _, tc := range []struct{ code, msg string }{
		{`string.rep("x", 2^40)`, "string.rep would need 1 TiB"},
		{`("ab"):rep(2^40)`, "string.rep would need 2 TiB"},
		{`string.rep("abc", 2^62)`, "string.rep would need 8.0 EiB"},
		{`local s = string.rep("x", 2^20) local t = {}
		  for i = 1, 2048 do t[i] = s end table.concat(t)`, "table.concat would need 2 GiB"},
		{`local t = {} for i = 1, 2048 do t[i] = "y" end table.concat(t, string.rep("-", 2^20))`,
			"table.concat would need 2.0 GiB"},
		{`string.format(string.rep("%999999d", 2000), 1)`, "string.format would need 1.9 GiB"},
		{`local s, t = string.rep("x", 2^20), {} for i = 1, 2048 do t[i] = s end
		  string.format(string.rep("%s", 2048), unpack(t))`, "string.format would need 2.0 GiB"},
	} {
		err := h.RunString(t.Context(), tc.code)
		var se *runtime.ScriptError
		require.ErrorAs(t, err, &se, tc.code)
		assert.Equal(t, runtime.KindRuntime, se.Kind)
		assert.Regexp(t, `^<string>:\d+: not enough memory: `+tc.msg+
			` under the memory limit of 1 GiB$`, se.Message)
	}
	var out bytes.Buffer
	h = newHost(t, runtime.Config{Sandbox: true, Stdout: &out})
	require.NoError(t, h.RunString(t.Context(), `
		print(pcall(string.rep, "x", 2^40))
		print(string.rep("ab", 3), string.rep("ab", 0), string.rep("", 2^40), ("x"):rep(2))
		print(table.concat({1, "b", 3}, ", "), table.concat({1, 2, 3}, "", 2, 3))
		print(string.format("%5.2f|%-3s|%%|%q", 3.14159, "x", "q"))
		print(pcall(table.concat, {1, {}}))`))
	// A Go function called directly by pcall raises without a position, as in Lua 5.1.
	assert.Equal(t, "false\tnot enough memory: string.rep would need 1 TiB under the memory "+
		"limit of 1 GiB\n"+
		"ababab\t\t\txx\n"+
		"1, b, 3\t23\n"+
		` 3.14|x  |%|"q"`+"\n"+
		"false\tinvalid value (table) at index 2 in table for 'concat'\n", out.String())
}

// liveHeap collects the garbage and returns the size of the heap's objects.
func liveHeap() int64 {
	goruntime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// TestMemoryLimitStopsGrowth grows the heap by 48 to 96 MiB, past a limit 16 MiB above the
// live heap at the start. It is not parallel: the limit is on the process's heap. Each script
// then spins, so that the run ends by the watchdog whenever it samples; a run that is not
// stopped fails at the test's deadline.
func TestMemoryLimitStopsGrowth(t *testing.T) {
	for _, tc := range []struct{ name, code string }{
		{"string doubling", `local s = "x"
			for i = 1, 26 do s = s .. s end
			while true do end`},
		{"table growth", `local t = {}
			for i = 1, 3e6 do t[#t + 1] = i end
			while true do end`},
		{"strings in a table", `local s, t = string.rep("x", 2^20), {}
			for i = 1, 96 do t[i] = s .. i end
			while true do end`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := liveHeap() + 16<<20
			h := newHost(t, runtime.Config{MemoryLimit: limit})
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			err := h.RunString(ctx, tc.code)
			var se *runtime.ScriptError
			require.ErrorAs(t, err, &se)
			assert.Regexp(t, `^<string>:\d: memory limit of \d+\.\d MiB exceeded$`, se.Message)
			requireLimitError(t, err, runtime.LimitError{Memory: limit}, se.Message)
			// The garbage of the stopped run does not stop the next one.
			require.NoError(t, h.RunString(t.Context(), `local t = {} for i = 1, 100 do t[i] = i end`))
		})
	}
}

func TestNegativeMemoryLimitIsNoLimit(t *testing.T) {
	limit := liveHeap() + 8<<20
	code := `local s = string.rep("x", 2^25) return #s`
	h := newHost(t, runtime.Config{Sandbox: true, MemoryLimit: limit})
	assert.ErrorContains(t, h.RunString(t.Context(), code), "not enough memory")
	h = newHost(t, runtime.Config{Sandbox: true, MemoryLimit: -1})
	assert.NoError(t, h.RunString(t.Context(), code))
}
