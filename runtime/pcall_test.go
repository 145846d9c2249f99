package runtime_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/runtime"
)

// runLua runs src in a new host and returns what it printed.
func runLua(t testing.TB, src string) string {
	t.Helper()
	var out bytes.Buffer
	h, err := runtime.New(runtime.Config{Stdout: &out, WorkDir: t.TempDir()})
	require.NoError(t, err)
	defer h.Close()
	require.NoError(t, h.RunString(t.Context(), src))
	return out.String()
}

func TestPcallKeepsTheCallersUpvaluesOpen(t *testing.T) {
	t.Parallel()
	got := runLua(t, `
		local n = 0
		local function t(f) n = n + 1; pcall(f) end
		t(error); t(error); t(error)
		local hits = {}
		local function try(f) local ok = xpcall(f, function(m) return m end); hits[#hits + 1] = ok end
		try(error); try(function() end); try(error)
		local tries = 0
		local function retry() for i = 1, 3 do tries = tries + 1 if pcall(error, "x") then break end end end
		retry()
		print(n, #hits, tostring(hits[2]), tries)`)
	assert.Equal(t, "3\t3\ttrue\t3\n", got)
}

func TestProtectedCallsCloseTheUnwoundFrames(t *testing.T) {
	t.Parallel()
	// Closures made in the frames an error unwinds keep their values, also once later calls
	// have reused the stack.
	got := runLua(t, `
		local f, g
		xpcall(function() local x = 1; f = function() x = x + 1 return x end; error("e") end,
			function(m) return m end)
		pcall(function() local y = 10; g = function() y = y + 1 return y end; error({}) end)
		for i = 1, 3 do pcall(function() local z = {i, i, i} error(z) end) end
		print(f(), f(), g(), g())`)
	assert.Equal(t, "2\t3\t11\t12\n", got)
}

func TestPcallAndXpcallResults(t *testing.T) {
	t.Parallel()
	got := runLua(t, `
		print(pcall(function(...) return ... end, 1, nil, 3))
		print(select("#", pcall(function() return nil, nil end)))
		print(pcall(nil))
		print(pcall(error))
		local e = {}
		print(select(2, pcall(error, e)) == e)
		print(pcall(setmetatable({}, {__call = function(_, a) return "called", a end}), 5))
		print(xpcall(function() return 1, 2, 3 end, print))
		print(xpcall(function() error("a") end, function(m) return "H:" .. m end))
		print(xpcall(function() error("a") end, function(m) error("b") end))
		print(xpcall(nil, function(m) return m end))
		print(xpcall(function() error("deep") end, function(m)
			return debug.traceback(m):find("in function", 1, true) ~= nil end))
		local function lv() error("lvl2", 2) end
		print(pcall(function()
			lv() end))
		print(pcall(collectgarbage, "bogus"))
		print(coroutine.running(), pcall(coroutine.running))
		local d = 0
		local function f() d = d + 1; local ok, e = pcall(f); return e end
		print(f(), d)`)
	assert.Equal(t, "true\t1\tnil\t3\n3\nfalse\tattempt to call a nil value\nfalse\tnil\ntrue\n"+
		"true\tcalled\t5\ntrue\t1\t2\t3\nfalse\tH:<string>:10: a\n"+
		"false\terror in error handling\nfalse\tattempt to call a nil value\nfalse\ttrue\n"+
		"false\t<string>:17: lvl2\nfalse\tbad argument #1 to main chunk (invalid option 'bogus')\n"+
		"nil\ttrue\tnil\nC stack overflow\t198\n", got)
}

func TestYieldInsidePcall(t *testing.T) {
	t.Parallel()
	// As in Lua 5.1, a yield cannot cross pcall; a coroutine inside pcall still yields, and a
	// coroutine around pcall keeps working.
	got := runLua(t, `
		local co = coroutine.create(function()
			print(pcall(coroutine.yield, 1))
			local inner = coroutine.wrap(function() coroutine.yield("inner") end)
			print(pcall(inner))
			print(coroutine.running() ~= nil)
			coroutine.yield("outer")
			return "done"
		end)
		print(coroutine.resume(co))
		print(coroutine.resume(co))
		print(coroutine.status(co))
		print(pcall(coroutine.yield, 1))`)
	assert.Equal(t, "false\tattempt to yield across metamethod/C-call boundary\ntrue\tinner\n"+
		"true\ntrue\touter\ntrue\tdone\ndead\n"+
		"false\tattempt to yield across metamethod/C-call boundary\n", got)
}

// BenchmarkPcall measures one pcall of a Lua function that returns, and one that raises.
func BenchmarkPcall(b *testing.B) {
	for name, src := range map[string]string{
		"ok":    `local f = function(a) return a end for i = 1, 10000 do pcall(f, i) end`,
		"error": `for i = 1, 10000 do pcall(error, "x") end`,
	} {
		b.Run(name, func(b *testing.B) {
			h, err := runtime.New(runtime.Config{WorkDir: b.TempDir()})
			require.NoError(b, err)
			defer h.Close()
			b.ReportAllocs()
			for b.Loop() {
				if err := h.RunString(b.Context(), src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
