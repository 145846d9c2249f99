package lualib

import (
	"os"

	lua "github.com/yuin/gopher-lua"
)

// FileOpener opens a local file the way the host's io.open does (relative to the working
// directory, confined to it in the sandbox).
type FileOpener func(name string, flag int, perm os.FileMode) (*os.File, error)

// Dial is the `dial` Lua module of one state. Create one per state with NewDial; it is used
// only on that state's goroutine.
type Dial struct {
	cfg  *DialConfig
	open FileOpener
}

// NewDial returns the dial module for one state, configured by cfg (shared by every state)
// and opening local files with open.
func NewDial(cfg *DialConfig, open FileOpener) *Dial {
	return &Dial{cfg: cfg, open: open}
}

// Loader builds the module table.
func (m *Dial) Loader(L *lua.LState) int {
	t := L.NewTable()
	L.Push(t)
	return 1
}

// AfterRun closes what the finished run left open, such as streams a script broke out of.
func (m *Dial) AfterRun(L *lua.LState) {}

// Close releases the module's clients.
func (m *Dial) Close() error { return nil }
