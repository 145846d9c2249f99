package runtime_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/runtime"
)

// lines is a LineReader over a fixed list of lines; it records the prompts it was shown.
type lines struct {
	in      []string
	prompts []string
	// onRead, when set, is called before each line is returned, with its index.
	onRead func(i int)
	n      int
}

func (l *lines) ReadLine(prompt string) (string, error) {
	l.prompts = append(l.prompts, prompt)
	if l.n == len(l.in) {
		return "", io.EOF
	}
	if l.onRead != nil {
		l.onRead(l.n)
	}
	line := l.in[l.n]
	l.n++
	if line == "^C" {
		return "", runtime.ErrInterrupt
	}
	return line, nil
}

// replRun runs a REPL over input and returns its output, errors and history.
func replRun(t *testing.T, input ...string) (stdout, stderr string, history []string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out, Stderr: &errOut})
	err = h.REPL(t.Context(), runtime.REPLConfig{
		Input:   &lines{in: input},
		History: func(e string) { history = append(history, e) },
	})
	return out.String(), errOut.String(), history, err
}

func TestREPLPrintsExpressions(t *testing.T) {
	t.Parallel()
	out, errOut, _, err := replRun(t,
		"1 + 2",
		"=10 / 4",
		"x = 5",
		"x, x * 2, 'str'",
		"print('hi')",
		"nil",
		"string.format('%d', 7)",
		"_",
		"0.1 + 0.2, 2^53",
	)
	require.NoError(t, err)
	assert.Empty(t, errOut)
	assert.Equal(t, "3\n2.5\n5\t10\tstr\nhi\nnil\n7\n7\n0.3\t9.007199254741e+15\n", out)
}

func TestREPLSecondaryTables(t *testing.T) {
	t.Parallel()
	out, errOut, _, err := replRun(t,
		"function ask() return 'the text', {id = 'x', choices = {{message = {content = string.rep('long ', 20)}}}} end",
		"ask()",
		"_2.id, _",
		"_2",         // the last expression set _2 to "the text"
		"1, {2}, {}", // tables that fit on one line print in full
		"'one'",      // _2 and _3 are cleared
		"_2 == nil and _3 == nil",
	)
	require.NoError(t, err)
	assert.Empty(t, errOut)
	assert.Equal(t, "the text\t<table, 2 fields: see _2>\nx\tthe text\nthe text\n1\t{ 2 }\t{}\none\ntrue\n", out)
}

func TestREPLContinuation(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out})
	in := &lines{in: []string{
		"function f(a)", "  return a * 2", "end",
		"f(", "21)",
		"1 +", "1",
		"t = {", "1, 2,", "}",
		"s = [[a", "b]]", "=s",
	}}
	var history []string
	err := h.REPL(t.Context(), runtime.REPLConfig{Input: in,
		History: func(e string) { history = append(history, e) }})
	require.NoError(t, err)
	assert.Equal(t, "42\n2\na\nb\n", out.String())
	assert.Equal(t, []string{"> ", ">> ", ">> ", "> ", ">> ", "> ", ">> ", "> ", ">> ", ">> ",
		"> ", ">> ", "> ", "> "}, in.prompts)
	assert.Equal(t, []string{"function f(a) return a * 2 end", "f( 21)", "1 + 1", "t = { 1, 2, }",
		`s = "a\nb"`, "=s"}, history)
}

func TestREPLErrorsGoOn(t *testing.T) {
	t.Parallel()
	out, errOut, history, err := replRun(t,
		"x = = 1",
		"error('boom')",
		"error({})",
		"'still here'",
	)
	require.NoError(t, err)
	assert.Equal(t, "still here\n", out)
	assert.Contains(t, errOut, "stdin:1: syntax error near '='")
	assert.Contains(t, errOut, "stdin:1: boom\nstack traceback:")
	assert.Contains(t, errOut, "(error object is a table value)")
	assert.Len(t, history, 4)
}

func TestREPLErrorAfterPartialLine(t *testing.T) {
	t.Parallel()
	out, errOut, _, err := replRun(t, `io.write("partial") error("boom")`, `do io.write("more\n") end`)
	require.NoError(t, err)
	assert.Equal(t, "partial\nmore\n", out) // the error message starts on a line of its own
	assert.Contains(t, errOut, "stdin:1: boom")
}

func TestREPLInterruptAtPromptDropsTheStatement(t *testing.T) {
	t.Parallel()
	out, errOut, history, err := replRun(t, "for i = 1, 3 do", "^C", "'after'")
	require.NoError(t, err)
	assert.Empty(t, errOut)
	assert.Equal(t, "after\n", out)
	assert.Equal(t, []string{"'after'"}, history)
}

func TestREPLPrompts(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	in := &lines{in: []string{"_PROMPT = 'lua$ '", "_PROMPT2 = 7", "do", "end"}}
	require.NoError(t, h.REPL(t.Context(), runtime.REPLConfig{Input: in}))
	assert.Equal(t, []string{"> ", "lua$ ", "lua$ ", "7", "lua$ "}, in.prompts)
}

func TestREPLExit(t *testing.T) {
	t.Parallel()
	out, _, _, err := replRun(t, "'before'", "os.exit(3)", "'after'")
	var exit *runtime.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 3, exit.Code)
	assert.Equal(t, "before\n", out)
}

func TestREPLInterruptCancelsTheStatement(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	h := newHost(t, runtime.Config{Stdout: &out, Stderr: &errOut})
	interrupt := make(chan struct{}, 1)
	interrupt <- struct{}{} // stale: sent before the statement starts, so it is dropped
	in := &lines{in: []string{"n = 0", "while true do n = n + 1 end", "n > 0"}}
	in.onRead = func(i int) {
		if i == 1 {
			go func() {
				time.Sleep(50 * time.Millisecond)
				interrupt <- struct{}{}
			}()
		}
	}
	start := time.Now()
	err := h.REPL(t.Context(), runtime.REPLConfig{Input: in, Interrupt: interrupt})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, "\ninterrupted!\n", errOut.String())
	assert.Equal(t, "true\n", out.String())
}

func TestREPLContextEndsIt(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	in := &lines{in: []string{"while true do end"}}
	in.onRead = func(int) {
		go func() {
			time.Sleep(20 * time.Millisecond)
			cancel()
		}()
	}
	err := h.REPL(ctx, runtime.REPLConfig{Input: in})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestHistoryEntry(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"one line", []string{"r = 1"}, "r = 1"},
		{"block", []string{"r = 0", "for i = 1, 2 do", "  r = r + i", "", "end"},
			"r = 0 for i = 1, 2 do r = r + i end"},
		{"comment", []string{"r = f( -- note", "1)"}, "r = f( --[[ note]] 1)"},
		{"comment closing brackets", []string{"r = f( -- a]] b] [[c", "1) -- last"},
			"r = f( --[=[ a]] b] [[c]=] 1) -- last"},
		{"comments in a function", []string{"function g(x)", "  -- doubles x", "  return x * 2 -- done",
			"end", "r = g(21)"}, "function g(x) --[[ doubles x]] return x * 2 --[[ done]] end r = g(21)"},
		{"long comment", []string{"r = 1 --[==[ a", "b ]==] + 1"}, "r = 1 --[==[ a b ]==] + 1"},
		{"dashes in a string", []string{`r = "a -- b" ..`, `'--c'`}, `r = "a -- b" .. '--c'`},
		{"long string", []string{"r = [[", "a", "b]] .. [=[c]=]"}, `r = "a\nb" .. [=[c]=]`},
		{"long string with quotes", []string{`r = [[say "hi"\`, "\tthere]]"},
			`r = "say \"hi\"\\\n\009there"`},
		{"escaped newline", []string{`r = "a\`, `b"`}, `r = "a\nb"`},
		{"escaped quote", []string{`r = "a\" --" -- x`, `.. "b"`}, `r = "a\" --" --[[ x]] .. "b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runtime.HistoryEntry(tc.lines)
			assert.Equal(t, tc.want, got)
			assert.NotContains(t, got, "\n")
			// The entry means what the lines meant.
			src := "function f(x) return x + 1 end\n"
			require.NoError(t, h.RunString(t.Context(), src+strings.Join(tc.lines, "\n")))
			want := runtime.Pretty(h.State(), h.State().GetGlobal("r"))
			require.NoError(t, h.RunString(t.Context(), src+got))
			assert.Equal(t, want, runtime.Pretty(h.State(), h.State().GetGlobal("r")))
		})
	}
}

func TestPretty(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	L := h.State()
	for _, tc := range []struct {
		name, expr, want string
	}{
		{"string at top level", `"a\nb"`, "a\nb"},
		{"number", `1/4`, "0.25"},
		{"empty", `{}`, "{}"},
		{"array", `{1, "two", true}`, `{ 1, "two", true }`},
		{"record sorted", `{b = 2, a = 1, ["key with space"] = 3, [10] = 4}`,
			`{ [10] = 4, a = 1, b = 2, ["key with space"] = 3 }`},
		{"keyword key", `{["end"] = 1}`, `{ ["end"] = 1 }`},
		{"nested", `{a = {b = {c = "d"}}}`, `{ a = { b = { c = "d" } } }`},
		{"cycle", `(function() local t = {name = "t"}; t.self = t; return t end)()`,
			`{ name = "t", self = <cycle> }`},
		{"shared is not a cycle", `(function() local s = {1}; return {s, s} end)()`,
			`{ { 1 }, { 1 } }`},
		{"json null", `{x = require("json").null}`, `{ x = json.null }`},
		{"decoded json", `require("json").decode('{"a":[1,2],"b":null}')`, `{ a = { 1, 2 }, b = json.null }`},
		{"tostring", `setmetatable({}, {__tostring = function() return "custom" end})`, "custom"},
		{"escapes", `{"tab\there", "nul\0"}`, `{ "tab\there", "nul\0" }`},
		{"long goes multiline",
			`{messages = {{role = "system", content = "You are a helpful assistant."}, {role = "user", content = "What is the capital of France?"}}}`,
			"{\n  messages = {\n    { content = \"You are a helpful assistant.\", role = \"system\" },\n" +
				"    { content = \"What is the capital of France?\", role = \"user\" }\n  }\n}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, h.RunString(t.Context(), "__v = "+tc.expr))
			got := runtime.Pretty(L, L.GetGlobal("__v"))
			assert.Equal(t, strings.ReplaceAll(tc.want, `\0`, `\0`), got)
		})
	}
}

// handle is a Go value exposed through gopher-luar, as the dial module's client objects are.
type handle struct {
	Name  string
	Files *handle
}

// Chat is a method of handle.
func (h *handle) Chat() string { return "chat" }

// ChatMany is a method of handle.
func (h *handle) ChatMany() string { return "chat_many" }

func TestComplete(t *testing.T) {
	t.Parallel()
	h := newHost(t, runtime.Config{})
	L := h.State()
	require.NoError(t, h.RunString(t.Context(), `
		dial = { default = function() end, client = function() end, path = { join = function() end },
		         __private = 1 }
		obj = setmetatable({ own = 1 }, { __index = { inherited = function() end, value = 2 } })
		str = "text"
	`))
	L.SetGlobal("client", luar.New(L, &handle{Name: "c", Files: &handle{}}))
	for _, tc := range []struct {
		line   string
		want   []string
		prefix string
	}{
		{"dia", []string{"dial"}, "dia"},
		{"x = dial.", []string{"client", "default", "path"}, ""},
		{"dial.pa", []string{"path"}, "pa"},
		{"dial.path.j", []string{"join"}, "j"},
		{"dial._", []string{"__private"}, "_"},
		{"obj.", []string{"inherited", "own", "value"}, ""},
		{"obj:", []string{"inherited"}, ""},
		{"str:up", []string{"upper"}, "up"},
		{"wh", []string{"while"}, "wh"},
		{"client:ch", []string{"chat", "chatMany"}, "ch"},
		{"client.na", []string{"name"}, "na"},
		{"client.files:ch", []string{"chat", "chatMany"}, "ch"},
		{"nosuch.", nil, ""},
		{"1.5", nil, ""},
	} {
		names, prefix := runtime.Complete(L, tc.line)
		assert.Equal(t, tc.want, names, tc.line)
		assert.Equal(t, tc.prefix, prefix, tc.line)
	}
	assert.Equal(t, lua.LNil, L.GetGlobal("__v"))
}
