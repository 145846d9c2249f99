package luabridge

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// scanSeeds are inputs the scanner must decode exactly as encoding/json does, or leave to it.
var scanSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e3`, `-12.25E-2`, `9007199254740993`,
	`-9007199254740993`, `123456789012345678901234567890`, `1e400`, `"plain"`, `"a\"b\\c\/d"`,
	`"\b\f\n\r\t"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\udc00x"`, `"\u12"`,
	`{"a":1,"a":2}`, `{"a":[1,{"b":null}],"c":{}}`, ` [ 1 , 2 ] `, `[1,]`, `{"a":1,}`, `01`,
	`1.`, `.5`, `-`, `+1`, `"tab	inside"`, `[1 2]`, `{"a" 1}`, `{1:2}`, `tru`, `nul`,
	`"unterminated`, `[`, `{"a":`, `[1]x`, "\"\xff\"", `"é"`, ``, ` `,
}

func FuzzScanMatchesEncodingJSON(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("testdata/wire/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // FromJSON refuses invalid UTF-8 before either path
		}
		L := lua.NewState()
		defer L.Close()
		d := newDecoder(L)
		fast, ok := d.scan(data)
		slow, err := d.decodeSlow(data)
		if !ok {
			return // left to encoding/json, which gives the value or the error
		}
		require.NoError(t, err, "the scanner accepted what encoding/json refuses: %q", data)
		assertSameValue(t, slow, fast, "")
	})
}

// assertSameValue compares two decoded values: types, contents and shape markers.
func assertSameValue(t *testing.T, want, got lua.LValue, path string) {
	t.Helper()
	require.Equal(t, want.Type(), got.Type(), path)
	wt, ok := want.(*lua.LTable)
	if !ok {
		if n, isNum := want.(lua.LNumber); isNum {
			assert.Equal(t, float64(n), float64(got.(lua.LNumber)), path)
			return
		}
		assert.Equal(t, want, got, path)
		return
	}
	gt := got.(*lua.LTable)
	assert.Same(t, wt.Metatable, gt.Metatable, "%s: shape marker", path)
	n := 0
	wt.ForEach(func(k, v lua.LValue) {
		n++
		assertSameValue(t, v, gt.RawGet(k), path+"."+k.String())
	})
	m := 0
	gt.ForEach(func(lua.LValue, lua.LValue) { m++ })
	assert.Equal(t, n, m, "%s: member count", path)
}

func TestScanMatchesEncodingJSONOnSeeds(t *testing.T) {
	t.Parallel()
	accepted := 0
	for _, s := range scanSeeds {
		if !utf8.ValidString(s) {
			continue // FromJSON refuses invalid UTF-8 before either path
		}
		L := lua.NewState()
		d := newDecoder(L)
		fast, ok := d.scan([]byte(s))
		slow, err := d.decodeSlow([]byte(s))
		if ok {
			accepted++
			require.NoError(t, err, "%q", s)
			assertSameValue(t, slow, fast, s)
		}
		L.Close()
	}
	assert.Greater(t, accepted, 20, "the scanner decodes the plain forms itself")
}
