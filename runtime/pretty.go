package runtime

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/luabridge"
)

// Limits of Pretty: deeper tables print as {…}, and a table with more entries prints its first
// prettyMaxItems and a count of the rest.
const (
	prettyMaxDepth = 12
	prettyMaxItems = 1000
	prettyWidth    = 80
)

// Pretty formats a Lua value for people, as the REPL prints results: a table as a constructor
// with its array part first and the other keys sorted, on one line when it fits in 80 columns
// and indented by two spaces per level otherwise. Strings inside tables are quoted; json.null
// prints as json.null; a table that contains itself prints <cycle> where it recurs. A table
// or userdata with a __tostring metamethod prints what that returns. Pretty must run on the
// goroutine that runs L.
func Pretty(L *lua.LState, v lua.LValue) string {
	p := &printer{L: L, path: map[*lua.LTable]bool{}}
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	return p.format(v, 0, 0)
}

type printer struct {
	L    *lua.LState
	path map[*lua.LTable]bool // the tables being printed, from the root down
}

// format returns v formatted at nesting depth; indent is the column the value starts at when
// it goes on a line of its own, used to decide whether a table fits on one line.
func (p *printer) format(v lua.LValue, depth, indent int) string {
	switch v := v.(type) {
	case lua.LString:
		return quote(string(v))
	case lua.LNumber:
		return formatNumber(float64(v))
	case *lua.LNilType, lua.LBool:
		return v.String()
	case *lua.LTable:
		if s, ok := p.tostring(v); ok {
			return s
		}
		return p.table(v, depth, indent)
	case *lua.LUserData:
		if luabridge.IsNull(v) {
			return "json.null"
		}
		if s, ok := p.tostring(v); ok {
			return s
		}
	}
	return fmt.Sprintf("%s: %p", v.Type(), v)
}

// tostring calls v's __tostring metamethod, if it has one that returns a string.
func (p *printer) tostring(v lua.LValue) (string, bool) {
	mm := p.L.GetMetaField(v, "__tostring")
	if mm == lua.LNil {
		return "", false
	}
	if err := p.L.CallByParam(lua.P{Fn: mm, NRet: 1, Protect: true}, v); err != nil {
		return "", false
	}
	s := p.L.Get(-1)
	p.L.Pop(1)
	if s, ok := s.(lua.LString); ok {
		return string(s), true
	}
	return "", false
}

// entry is one key and value of a table, both formatted.
type entry struct {
	key   string // empty for the array part
	value string
}

func (p *printer) table(t *lua.LTable, depth, indent int) string {
	if p.path[t] {
		return "<cycle>"
	}
	if depth >= prettyMaxDepth {
		return "{…}"
	}
	p.path[t] = true
	defer delete(p.path, t)

	n := 0 // the array part: 1..n without a hole
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	var keys []lua.LValue
	t.ForEach(func(k, _ lua.LValue) {
		if i, ok := k.(lua.LNumber); ok && float64(i) == float64(int(i)) && int(i) >= 1 &&
			int(i) <= n {
			return // printed in the array part
		}
		keys = append(keys, k)
	})
	sortKeys(keys)

	inner := indent + 2
	var entries []entry
	more := 0
	for i := 1; i <= n; i++ {
		if len(entries) == prettyMaxItems {
			more = n - i + 1 + len(keys)
			keys = nil
			break
		}
		entries = append(entries, entry{value: p.format(t.RawGetInt(i), depth+1, inner)})
	}
	for j, k := range keys {
		if len(entries) == prettyMaxItems {
			more = len(keys) - j
			break
		}
		key := keyString(p, k, depth)
		entries = append(entries, entry{key: key,
			value: p.format(t.RawGet(k), depth+1, inner+len(key)+3)})
	}
	if len(entries) == 0 {
		return "{}"
	}

	parts := make([]string, 0, len(entries)+1)
	multiline := false
	for _, e := range entries {
		s := e.value
		if e.key != "" {
			s = e.key + " = " + e.value
		}
		multiline = multiline || strings.Contains(s, "\n")
		parts = append(parts, s)
	}
	if more > 0 {
		parts = append(parts, fmt.Sprintf("… (%d more)", more))
	}
	one := "{ " + strings.Join(parts, ", ") + " }"
	if !multiline && indent+len(one) <= prettyWidth {
		return one
	}
	pad := strings.Repeat("  ", depth+1)
	var b strings.Builder
	b.WriteString("{\n")
	for i, s := range parts {
		b.WriteString(pad)
		b.WriteString(s)
		if i < len(parts)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteByte('}')
	return b.String()
}

// keyString formats a table key: a name as it is, anything else in brackets.
func keyString(p *printer, k lua.LValue, depth int) string {
	if s, ok := k.(lua.LString); ok && isName(string(s)) {
		return string(s)
	}
	return "[" + p.format(k, depth+1, prettyWidth) + "]"
}

// sortKeys orders keys: numbers ascending, then strings, then the rest by type and address.
func sortKeys(keys []lua.LValue) {
	rank := func(v lua.LValue) int {
		switch v.(type) {
		case lua.LNumber:
			return 0
		case lua.LString:
			return 1
		case lua.LBool:
			return 2
		}
		return 3
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		switch a := a.(type) {
		case lua.LNumber:
			return a < b.(lua.LNumber)
		case lua.LString:
			return a < b.(lua.LString)
		case lua.LBool:
			return !bool(a) && bool(b.(lua.LBool))
		}
		return fmt.Sprintf("%p", a) < fmt.Sprintf("%p", b)
	})
}

// isName reports whether s is a Lua identifier that is not a keyword.
func isName(s string) bool {
	if s == "" || luaKeywords[s] {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// quote writes s as a Lua string literal, with the escapes Lua reads back.
func quote(s string) string {
	q := strconv.Quote(s)
	// strconv uses Go escapes; the ones Lua 5.1 does not know are \x and \u.
	if !strings.Contains(q, `\x`) && !strings.Contains(q, `\u`) && !strings.Contains(q, `\U`) {
		return q
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\%d`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// luaKeywords are the reserved words of Lua 5.1.
var luaKeywords = map[string]bool{
	"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "if": true, "in": true, "local": true,
	"nil": true, "not": true, "or": true, "repeat": true, "return": true, "then": true,
	"true": true, "until": true, "while": true,
}
