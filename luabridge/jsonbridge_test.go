package luabridge_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
)

// eval returns the value of a Lua expression.
func eval(t *testing.T, L *lua.LState, expr string) lua.LValue {
	t.Helper()
	require.NoError(t, L.DoString("return "+expr))
	v := L.Get(-1)
	L.Pop(1)
	return v
}

func TestFromGo(t *testing.T) {
	t.Parallel()
	type item struct {
		Name  string  `json:"name"`
		Size  int64   `json:"size"`
		Etag  *string `json:"etag"`
		Empty []int   `json:"empty"`
	}
	cases := []struct {
		name string
		in   any
		want string // the value re-encoded by ToJSON
	}{
		{"nil", nil, "null"},
		{"bool", true, "true"},
		{"string", "héllo", `"héllo"`},
		{"float", 1.5, "1.5"},
		{"small int", 42, "42"},
		{"int64 beyond 2^53", int64(1) << 60, `"1152921504606846976"`},
		{"negative int64 beyond 2^53", -(int64(1)<<53 + 1), `"-9007199254740993"`},
		{"uint64 beyond 2^53", uint64(math.MaxUint64), `"18446744073709551615"`},
		{"number", json.Number("12"), "12"},
		{"big number", json.Number("123456789012345678901"), `"123456789012345678901"`},
		{"float number", json.Number("2.5e3"), "2500"},
		{"array", []any{1.0, nil, "x"}, `[1,null,"x"]`},
		{"empty array", []any{}, "[]"},
		{"object", map[string]any{"b": nil, "a": []any{}}, `{"a":[],"b":null}`},
		{"empty object", map[string]any{}, "{}"},
		{"raw message", json.RawMessage(`{"k":[{}]}`), `{"k":[{}]}`},
		{"struct", item{Name: "f", Size: 3}, `{"empty":null,"etag":null,"name":"f","size":3}`},
		{"nil pointer", (*item)(nil), "null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			L := lua.NewState()
			defer L.Close()
			v, err := luabridge.FromGo(L, tc.in)
			require.NoError(t, err)
			out, err := luabridge.ToJSON(L, v)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(out))
		})
	}
}

func TestFromGoErrors(t *testing.T) {
	t.Parallel()
	L := lua.NewState()
	defer L.Close()
	_, err := luabridge.FromGo(L, json.Number("1e999"))
	assert.EqualError(t, err, "json: number 1e999 is out of range")
	_, err = luabridge.FromGo(L, make(chan int))
	assert.ErrorContains(t, err, "json: json: unsupported type")
}

func TestFromJSONErrors(t *testing.T) {
	t.Parallel()
	L := lua.NewState()
	defer L.Close()
	cases := map[string]string{
		"":              "json: no value in input",
		"[1,":           "json: unexpected end of input",
		`{"a" 1}`:       "json: invalid character '1' after object key (byte 6)",
		"1 2":           "json: unexpected data after the value (byte 3)",
		"\"ok\xff\"":    "json: input is not valid UTF-8 (byte 4 of 5)",
		"[1e400]":       "json: number 1e400 is out of range",
		`{"a":1}{}`:     "json: unexpected data after the value (byte 8)",
		"\xef\xbb\xbf1": "json: invalid character 'ï' looking for beginning of value (byte 1)",
	}
	for in, want := range cases {
		_, err := luabridge.FromJSON(L, []byte(in))
		assert.EqualError(t, err, want, "input %q", in)
	}
}

func TestToGo(t *testing.T) {
	t.Parallel()
	L := lua.NewState()
	defer L.Close()
	L.PreloadModule("json", luabridge.JSON{}.Loader)
	v := eval(t, L, `(function()
		local json = require("json")
		local shared = {1.5, json.null}
		return {n = 3, f = 0.25, s = "x", b = false, null = json.null, list = shared, again = shared,
			empty = {}, arr = json.array(), obj = json.object({[1] = "one"})}
	end)()`)
	got, err := luabridge.ToGo(L, v)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"n": int64(3), "f": 0.25, "s": "x", "b": false, "null": nil,
		"list": []any{1.5, nil}, "again": []any{1.5, nil},
		"empty": map[string]any{}, "arr": []any{}, "obj": map[string]any{"1": "one"},
	}, got)

	for expr, want := range map[string]string{
		`(function() local t = {} t.t = t return t end)()`: "json: cycle: a table contains itself (at t)",
		`{1, 2, x = 1}`:   "json: table mixes array and object keys (use json.object to encode number keys as strings)",
		`{s = "\255"}`:    "json: string is not valid UTF-8 (byte 1 of 1) (at s)",
		`{[{}] = 1}`:      "json: cannot encode key of type table (object keys must be strings)",
		`{f = print}`:     "json: cannot encode a function value (at f)",
		`{0/0}`:           "json: cannot encode NaN (at [1])",
		`{["\255"] = 1}`:  "json: string is not valid UTF-8 (byte 1 of 1) (at [\"\\xff\"])",
		`{ {{x = 1/0}} }`: "json: cannot encode +Inf (at [1][1].x)",
	} {
		_, err := luabridge.ToGo(L, eval(t, L, expr))
		assert.EqualError(t, err, want, expr)
		_, err = luabridge.ToJSON(L, eval(t, L, expr))
		assert.EqualError(t, err, want, expr)
	}
}

func TestNullAndMarkers(t *testing.T) {
	t.Parallel()
	L := lua.NewState()
	defer L.Close()
	null := luabridge.Null(L)
	assert.Same(t, null, luabridge.Null(L), "one sentinel per state")
	assert.True(t, luabridge.IsNull(null))
	assert.False(t, luabridge.IsNull(lua.LNil))
	assert.False(t, luabridge.IsNull(L.NewUserData()))

	other := lua.NewState()
	defer other.Close()
	assert.NotSame(t, null, luabridge.Null(other))

	arr := luabridge.MarkArray(L, L.NewTable())
	obj := luabridge.MarkObject(L, L.NewTable())
	out, err := luabridge.ToJSON(L, L.NewTable())
	require.NoError(t, err)
	assert.Equal(t, "{}", string(out))
	out, err = luabridge.ToJSON(L, arr)
	require.NoError(t, err)
	assert.Equal(t, "[]", string(out))
	out, err = luabridge.ToJSON(L, obj)
	require.NoError(t, err)
	assert.Equal(t, "{}", string(out))
}

// TestWireFixturesRoundTrip decodes DIAL wire bodies into Lua and encodes them back: nothing may
// be lost, including nulls, empty objects and arrays, and unknown fields.
func TestWireFixturesRoundTrip(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/wire/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			L := lua.NewState()
			defer L.Close()
			v, err := luabridge.FromJSON(L, data)
			require.NoError(t, err)
			out, err := luabridge.ToJSONIndent(L, v, "  ")
			require.NoError(t, err)
			assert.JSONEq(t, string(data), string(out))
		})
	}
}

func BenchmarkFromJSON(b *testing.B) {
	data, err := os.ReadFile("testdata/wire/chat.completions.response.dial_fields.json")
	require.NoError(b, err)
	L := lua.NewState()
	defer L.Close()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := luabridge.FromJSON(L, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToJSON(b *testing.B) {
	data, err := os.ReadFile("testdata/wire/chat.completions.response.dial_fields.json")
	require.NoError(b, err)
	L := lua.NewState()
	defer L.Close()
	v, err := luabridge.FromJSON(L, data)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := luabridge.ToJSON(L, v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestToJSONWithout encodes a table as a copy without some keys and without its marker would
// be: nested tables keep every key and their markers.
func TestToJSONWithout(t *testing.T) {
	t.Parallel()
	L := lua.NewState()
	defer L.Close()
	skip := func(key string) bool { return key == "deployment" || key == "stream" }
	for _, c := range []struct{ table, want, err string }{
		{`{deployment = "d", stream = true, messages = {{content = "x", stream = 1}}}`,
			`{"messages":[{"content":"x","stream":1}]}`, ""},
		{`{deployment = "d"}`, `{}`, ""},
		{`setmetatable({deployment = "d", a = 1}, getmetatable(json_array))`, `{"a":1}`, ""},
		{`{deployment = "d", "x", "y"}`, `["x","y"]`, ""},
		{`{deployment = "d", [1.5] = true}`, "", "cannot encode key 1.5"},
		{`{deployment = "d", m = json_array}`, `{"m":[]}`, ""},
	} {
		L.SetGlobal("json_array", luabridge.MarkArray(L, L.NewTable()))
		tbl := eval(t, L, c.table).(*lua.LTable)
		got, err := luabridge.ToJSONWithout(L, tbl, skip)
		if c.err != "" {
			assert.ErrorContains(t, err, c.err, c.table)
			continue
		}
		require.NoError(t, err, c.table)
		assert.Equal(t, c.want, string(got), c.table)
		copied := L.NewTable()
		tbl.ForEach(func(k, v lua.LValue) {
			if s, ok := k.(lua.LString); !ok || !skip(string(s)) {
				copied.RawSet(k, v)
			}
		})
		want, err := luabridge.ToJSON(L, copied)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "as the copy encodes: %s", c.table)
	}
}
