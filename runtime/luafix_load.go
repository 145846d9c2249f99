package runtime

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// loadString is loadstring(s [, chunkname]): it compiles s through compile, so that strings
// get the same loop rewrites as files. Strings bypass the chunk cache: a script that builds
// many distinct strings would otherwise push its files out of it.
func loadString(L *lua.LState) int {
	return pushChunk(L, L.OptString(2, "<string>"), L.CheckString(1))
}

// load is load(reader [, chunkname]) of Lua 5.1: it calls reader until it returns nil or an
// empty string and compiles the concatenated pieces as loadString does.
func load(L *lua.LState) int {
	reader := L.CheckFunction(1)
	name := L.OptString(2, "?")
	var src strings.Builder
	for {
		L.Push(reader)
		L.Call(0, 1)
		piece := L.Get(-1)
		L.Pop(1)
		if piece == lua.LNil {
			break
		}
		if !lua.LVCanConvToString(piece) {
			L.Push(lua.LNil)
			L.Push(lua.LString("reader function must return a string"))
			return 2
		}
		s := piece.String()
		if s == "" {
			break
		}
		src.WriteString(s)
	}
	return pushChunk(L, name, src.String())
}

// pushChunk pushes the compiled chunk, or nil and the syntax error message.
func pushChunk(L *lua.LState, name, src string) int {
	proto, err := compile(name, []byte(src))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(L.NewFunctionFromProto(proto))
	return 1
}
