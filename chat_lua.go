package main

import (
	"context"
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/lualib"
	"github.com/dialua/dialua/runtime"
)

// chatLua is the Lua host of the chat's .lua command: one for the whole chat, so globals
// set in one visit are there in the next.
type chatLua struct {
	h    *runtime.Host
	dial *lualib.Dial // the host's dial module, which makes the session handle
}

// newChatLua returns the Lua host of .lua.
func (s *session) newChatLua() (*chatLua, error) {
	cl := &chatLua{}
	cfg := s.c.runtimeConfig(s.o)
	cfg.Interpreter = []string{"chat"}
	cfg.Modules = s.modules(true)
	for i, m := range cfg.Modules {
		if m.Name != "dial" {
			continue
		}
		open := m.Open
		cfg.Modules[i].Open = func(L *lua.LState, env runtime.ModuleEnv) (runtime.Instance, error) {
			inst, err := open(L, env)
			cl.dial, _ = inst.Closer.(*lualib.Dial)
			return inst, err
		}
	}
	h, err := runtime.New(cfg)
	if err != nil {
		return nil, err
	}
	cl.h = h
	return cl, nil
}

// close closes the host.
func (cl *chatLua) close() { cl.h.Close() }

// runLua runs the Lua REPL on the terminal with the global session bound to the chat's
// session, until Ctrl-D; the chat goes on after it. It returns the exit code of an os.exit
// other than 0, which ends the chat.
func (ch *chat) runLua(ctx context.Context) (int, error) {
	if ch.lua == nil {
		cl, err := ch.s.newChatLua()
		if err != nil {
			return exitOK, err
		}
		ch.lua = cl
	}
	cl := ch.lua
	err := cl.h.Do(ctx, func(L *lua.LState) error {
		L.SetGlobal("session", cl.dial.SessionValue(L, ch.conv, ch.url))
		return nil
	})
	if err != nil {
		return exitOK, err
	}
	ch.editor.suspend()
	defer func() {
		if rerr := ch.editor.resume(); rerr != nil {
			ch.report(rerr)
		}
	}()
	view := ch.editor.in.view()
	defer view.Close()
	fmt.Fprintln(ch.out, "session is this conversation; Ctrl-D returns to the chat.")
	// The REPL reads the view as the terminal it stands for.
	sub, c := *ch.s, *ch.s.c
	isTerminal := c.isTerminal
	c.stdin, sub.c = view, &c
	c.isTerminal = func(v any) bool { return v == view || isTerminal(v) }
	return sub.repl(ctx, cl.h), nil
}
