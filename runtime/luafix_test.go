package runtime_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/runtime"
)

// loopScript exercises both loop shapes gopher-lua v1.1.2 miscompiles; it prints
// "1 2 3 | 2 | 2 | 1" under Lua 5.1.
const loopScript = `
local o = {t = {}}
function o.t:m(n) local i = 0 return function() i = i + 1; if i <= n then return i end end end
local function f() return o end
local got = {}
for x in f().t:m(3) do got[#got + 1] = x end
local k = 0
for i = 1, 2 do for ch in f().t:m(3) do break end k = k + 1 end
local w = 0
for i = 1, 2 do while true do break end w = w + 1 end
local r = 0
for i = 1, 2 do for ch in pairs({a = 1}) do do break end end end
repeat r = r + 1 for _ in pairs({1}) do ::top:: break end until true
print(table.concat(got, " ") .. " | " .. k .. " | " .. w .. " | " .. r)
`

func TestLoopsGopherLuaMiscompiles(t *testing.T) {
	t.Parallel()
	const want = "1 2 3 | 2 | 2 | 1\n"
	// Every way a script gets compiled applies the rewrite.
	cases := map[string]string{
		"script":     loopScript,
		"loadstring": "assert(loadstring(...))()",
		"load": `local src, done = ...
			assert(load(function() if not done then done = true return src end end))()`,
		"require": `require("loops")`,
		"dofile":  `dofile("loops.lua")`,
	}
	for name, script := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"loops.lua": loopScript, "main.lua": script})
			h := newHost(t, runtime.Config{Stdout: &out, WorkDir: dir, Args: []string{loopScript}})
			require.NoError(t, h.RunFile(t.Context(), "main.lua"))
			assert.Equal(t, want, out.String())
		})
	}
}

func TestRewrittenLoopsKeepSemantics(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out})
	// The list is evaluated once, left to right, adjusted to three values; a runtime error in
	// it names its own line; the loop variables are fresh locals captured per iteration.
	err := h.RunString(t.Context(), `
		local trace = {}
		local function mark(s, ...) trace[#trace + 1] = s return ... end
		local function gen(_, c) if c < 3 then return c + 1 end end
		for i in mark("a", gen), mark("b", nil), mark("c", 0, "extra") do trace[#trace + 1] = i end
		print(table.concat(trace, ","))
		local fns = {}
		for k, v in ipairs({"x", "y"}) do fns[k] = function() return k .. v end end
		print(fns[1](), fns[2]())
		local ok, err = pcall(function()
			local t = {}
			for x in
			  t.missing:iter() do end
		end)
		print(err)
	`)
	require.NoError(t, err)
	assert.Equal(t, "a,b,c,1,2,3\n1x\t2y\n"+
		"<string>:13: attempt to index a non-table object(nil) with key 'iter'\n", out.String())
}

func TestMultipleAssignmentReadsBeforeItStores(t *testing.T) {
	t.Parallel()
	// Lua 5.1 evaluates the targets' tables and keys, then the values, then assigns right to
	// left; the compiler of gopher-lua v1.1.2 alone gets the first four wrong.
	got := runLua(t, `
		local a, b = 1, 2
		a, b = b, a
		print(a, b)
		a, b = b + 1, a
		print(a, b)
		local tbl = {}
		local old = tbl
		tbl, tbl.x = nil, 1
		print(tbl, old.x)
		local i, u = 1, {}
		i, u[i] = i + 1, 20
		print(i, u[1], u[2])
		local p, q, r = 1, 2, 3
		p, q, r = r, p, q
		print(p, q, r)
		local function two() return 7, 8 end
		local m, n, o = 0, 0, 0
		m, n, o = two()
		print(m, n, o)
		local s, s2 = 0, 0
		s, s = 1, 2
		print(s)`)
	assert.Equal(t, "2\t1\n2\t2\nnil\t1\n2\t20\tnil\n3\t1\t2\n7\t8\tnil\n1\n", got)
}
