package lualib

import (
	"encoding/json"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/luabridge"
)

// Toolsets is client:toolsets(): the MCP toolsets the credentials may use.
func (c *clientHandle) Toolsets(L *luar.LState) int { return c.listing(L, c.c.ListToolsets) }

// Toolset is client:toolset(id).
func (c *clientHandle) Toolset(L *luar.LState) int { return c.one(L, c.c.GetToolset) }

// ToolsetTools is client:toolset_tools(id): {tools = {{name, description, inputSchema}…}}.
func (c *clientHandle) ToolsetTools(L *luar.LState) int {
	id := L.CheckString(1)
	return c.pushCall(L, func() (json.RawMessage, error) { return c.c.ToolsetTools(luabridge.Context(L.LState), id) })
}

// stringList reads v, a string or an array of strings, as the value of argument n named what.
func stringList(L *lua.LState, n int, v lua.LValue, what string) []string {
	switch x := v.(type) {
	case lua.LString:
		return []string{string(x)}
	case *lua.LTable:
		var out []string
		for i := 1; i <= x.Len(); i++ {
			s, ok := x.RawGetInt(i).(lua.LString)
			if !ok {
				L.ArgError(n, "'"+what+"' must be a string or an array of strings")
			}
			out = append(out, string(s))
		}
		return out
	case *lua.LNilType:
		return nil
	}
	L.ArgError(n, "'"+what+"' must be a string or an array of strings")
	return nil
}
