package lualib

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"

	"github.com/dialua/dialua/dial"
)

// readAttachments reads the attachments option v, given in argument n (where labels the
// request in error messages): a list whose items are a local path, {path = …, type = …,
// title = …} or {url = …, type = …, title = …}. Local files are opened as the host's io.open
// opens them, so the sandbox confines them to the working directory.
func (m *Dial) readAttachments(L *lua.LState, n int, v lua.LValue, where string) []dial.AttachmentSource {
	list, ok := v.(*lua.LTable)
	if !ok {
		L.ArgError(n, where+"'attachments' must be a list of paths or tables")
	}
	open := func(name string) (*os.File, error) { return m.files.Open(name, os.O_RDONLY, 0) }
	var srcs []dial.AttachmentSource
	for i := 1; i <= list.Len(); i++ {
		bad := func(msg string) { L.ArgError(n, fmt.Sprintf("%sattachment %d: %s", where, i, msg)) }
		switch item := list.RawGetInt(i).(type) {
		case lua.LString:
			srcs = append(srcs, dial.AttachmentSource{Path: string(item), Open: open})
		case *lua.LTable:
			src := dial.AttachmentSource{Open: open}
			item.ForEach(func(k, v lua.LValue) {
				s, ok := v.(lua.LString)
				if !ok {
					bad("'" + k.String() + "' must be a string")
				}
				switch k.String() {
				case "path":
					src.Path = string(s)
				case "url":
					src.URL = string(s)
				case "type":
					src.Type = string(s)
				case "title":
					src.Title = string(s)
				default:
					bad("unknown key '" + k.String() + "' (known: path, url, type, title)")
				}
			})
			if (src.Path == "") == (src.URL == "") {
				bad("give exactly one of 'path' and 'url'")
			}
			srcs = append(srcs, src)
		default:
			bad("a path or a table expected, got " + item.Type().String())
		}
	}
	return srcs
}

// attach uploads the call's attachments and adds them to its last user message.
func (c *clientHandle) attach(ctx context.Context, call *chatCall) error {
	if len(call.attach) == 0 {
		return nil
	}
	atts, err := c.c.Attach(ctx, call.attach, call.opts...)
	if err != nil {
		return err
	}
	call.body, err = dial.AttachToLastUser(call.body, atts)
	call.attach = nil
	return err
}

// userMessage is the JSON of a user message of text with srcs attached (uploaded by c).
func userMessage(ctx context.Context, c *dial.Client, text string, srcs []dial.AttachmentSource) (json.RawMessage, error) {
	msg := dial.Message{Role: dial.RoleUser, Content: text}
	atts, err := c.Attach(ctx, srcs)
	if err != nil {
		return nil, err
	}
	msg.Attach(atts...)
	return json.Marshal(msg)
}
