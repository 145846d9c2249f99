package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/lualib"
	"github.com/dialua/dialua/runtime"
)

// chatFlags are the flags of dialua chat besides the connection's.
type chatFlags struct {
	model, sessionURL string
	cont, plain       bool
}

// chatFlagSet returns the flags of dialua chat, writing into f and o.
func chatFlagSet(f *chatFlags, o *options) *pflag.FlagSet {
	return newFlagSet("dialua chat", true, func(fs *pflag.FlagSet) {
		fs.StringVarP(&f.model, "model", "m", "", "chat with `DEPLOYMENT` (a loaded conversation keeps its own without it)")
		boolFlag(fs, &f.cont, "continue", "c", "continue the last conversation of this DIAL server")
		fs.StringVar(&f.sessionURL, "session", "", "continue the conversation at `URL` (conversations/...)")
		boolFlag(fs, &f.plain, "plain", "", "print answers as they stream, without rendering Markdown")
		o.connectionFlags(fs)
	})
}

const chatUsage = `Usage: dialua chat [-m DEPLOYMENT] [-c | --session URL] [--plain] [flags]

Chats with a deployment. Every line is a message, except the commands (.help lists them).
The conversation is a DIAL conversation, saved after every answer, so it opens in DIAL Chat;
-c continues the last one. On a terminal, answers stream, then render as Markdown (not with
--plain); Ctrl-C stops an answer, Ctrl-D exits. With standard input not a terminal, every
line is a message or a command, answers print as plain text, and the first failure ends the
chat with status 1.

Flags:
`

// chatHelp is the text of dialua chat --help.
func chatHelp(*command) string {
	return chatUsage + chatFlagSet(&chatFlags{}, &options{}).FlagUsagesWrapped(100)
}

// chatCommands is the text of .help.
const chatCommands = `.model NAME    chat with deployment NAME from now on
.system TEXT   set the system prompt (.system alone removes it)
.save [URL]    save the conversation (to URL, which it then lives at)
.load URL      continue the conversation at URL
.file PATH     attach the local file PATH to the next message (uploaded once, by content)
.clear         start a new conversation
.usage         the tokens this chat used
.lua           the Lua REPL, with session bound to this conversation (Ctrl-D comes back)
.help          this list
`

// chatCommand is `dialua chat [flags]` with args (what follows "chat").
func (c *command) chatCommand(ctx context.Context, o *options, args []string) int {
	var f chatFlags
	fs := chatFlagSet(&f, o)
	if code, ok := c.parse(fs, args, chatHelp); !ok {
		return code
	}
	usageError := func(msg string) int {
		fmt.Fprintf(c.stderr, "dialua chat: %s (see dialua chat --help)\n", msg)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return usageError(fmt.Sprintf("no arguments are taken (got %q); type the messages at the prompt", fs.Arg(0)))
	case f.cont && f.sessionURL != "":
		return usageError("-c or --session, not both")
	case !f.cont && f.sessionURL == "" && f.model == "":
		return usageError("a deployment is needed: dialua chat -m DEPLOYMENT")
	}
	o.defaultLog("chat") // chat records its exchanges in the prompt log unless --no-log
	return c.session(ctx, o, func(s *session) int { return s.chat(ctx, &f) })
}

// chat is the state of one dialua chat.
type chat struct {
	s      *session
	client *dial.Client
	conv   *dial.Session
	url    string // where conv lives; "" until its first save
	render bool   // render answers as Markdown after streaming them
	out    io.Writer
	lua    *chatLua    // the Lua REPL of .lua, made on first use
	editor *chatEditor // the line editor on a terminal, else nil
	// interrupt delivers Ctrl-C (terminal only).
	interrupt <-chan struct{}
	// pending are the attachments of .file, sent with the next message.
	pending []dial.Attachment
}

// chat runs the chat of f and returns the exit code.
func (s *session) chat(ctx context.Context, f *chatFlags) int {
	c := s.c
	client, err := s.dial.Default()
	if err != nil {
		return c.errorf(exitFailure, "%v", err)
	}
	if s.dial.Usage == nil {
		s.dial.Usage = &lualib.UsageCounter{}
	}
	terminal := c.isTerminal(c.stdin)
	ch := &chat{s: s, client: client, out: c.stdout, conv: &dial.Session{Client: client},
		render: terminal && !f.plain && c.isTerminal(c.stdout)}
	url := f.sessionURL
	if f.cont {
		switch url = s.lastConversation(); {
		case s.emulatorURL != "":
			return c.errorf(exitFailure, "-c needs a DIAL server (--url): the embedded emulator keeps no conversations between runs")
		case url == "":
			return c.errorf(exitFailure, "no conversation to continue with %s", s.serverKey())
		}
	}
	if url != "" {
		if err := ch.load(ctx, url); err != nil {
			return c.errorf(exitFailure, "%v", err)
		}
	}
	if f.model != "" {
		ch.conv.Deployment = f.model
	}
	defer func() {
		if ch.lua != nil {
			ch.lua.close()
		}
	}()
	if !terminal {
		return ch.loop(ctx, runtime.NewScannerInput(c.stdin))
	}
	editor, err := newChatEditor(s, newSharedInput(c.stdin))
	if err != nil {
		return c.errorf(exitFailure, "%v", err)
	}
	ch.editor = editor
	defer editor.Close()
	defer context.AfterFunc(ctx, func() { _ = editor.Close() })()
	interrupt, stop := interrupts()
	defer stop()
	ch.interrupt = interrupt
	fmt.Fprintf(c.stdout, "%s\n%s\nChatting with %s; .help lists the commands, Ctrl-C stops an answer, Ctrl-D exits.\n",
		versionString(), s.connectionLine(), ch.conv.Deployment)
	if len(ch.conv.Messages) > 0 {
		fmt.Fprintf(c.stdout, "Continuing %s (%d messages).\n", ch.url, len(ch.conv.Messages))
	}
	return ch.loop(ctx, editor)
}

// loop reads lines from input until its end and answers them. Without a terminal the first
// failure ends it.
func (ch *chat) loop(ctx context.Context, input runtime.LineReader) int {
	for {
		line, err := input.ReadLine(ch.conv.Deployment + "> ")
		switch {
		case ctx.Err() != nil: // SIGTERM or SIGHUP closed the editor
			return exitInterrupted
		case errors.Is(err, runtime.ErrInterrupt):
			continue
		case errors.Is(err, io.EOF):
			return exitOK
		case err != nil:
			return ch.s.c.errorf(exitFailure, "%v", err)
		}
		if h, ok := input.(interface{ AddHistory(string) error }); ok &&
			strings.TrimSpace(line) != "" && keepInHistory(line, ch.s.c.secrets) {
			_ = h.AddHistory(line)
		}
		code, done := ch.do(ctx, strings.TrimSpace(line))
		if done {
			return code
		}
		if code != exitOK && ch.editor == nil {
			return code
		}
	}
}

// do runs one line: a command or a message. done ends the chat with code.
func (ch *chat) do(ctx context.Context, line string) (code int, done bool) {
	if line == "" {
		return exitOK, false
	}
	if !strings.HasPrefix(line, ".") {
		return ch.report(ch.say(ctx, line)), false
	}
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case ".model":
		if arg == "" {
			fmt.Fprintf(ch.out, "model: %s\n", ch.conv.Deployment)
			return exitOK, false
		}
		ch.conv.Deployment = arg
		fmt.Fprintf(ch.out, "model: %s\n", arg)
	case ".system":
		ch.conv.System = arg
		if arg == "" {
			fmt.Fprintln(ch.out, "system prompt removed")
		} else {
			fmt.Fprintln(ch.out, "system prompt set")
		}
	case ".save":
		if arg == "" && ch.url == "" && len(ch.conv.Messages) == 0 {
			return ch.report(errors.New("nothing to save yet")), false
		}
		if err := ch.save(ctx, arg); err != nil {
			return ch.report(err), false
		}
		fmt.Fprintf(ch.out, "saved to %s\n", ch.url)
	case ".load":
		if arg == "" {
			return ch.report(errors.New(".load needs a URL: .load conversations/...")), false
		}
		if err := ch.load(ctx, arg); err != nil {
			return ch.report(err), false
		}
		fmt.Fprintf(ch.out, "loaded %s: %s, %d messages\n", ch.url, ch.conv.Deployment, len(ch.conv.Messages))
	case ".file":
		if arg == "" {
			return ch.report(errors.New(".file needs a path: .file notes.pdf")), false
		}
		atts, err := ch.client.Attach(ctx, []dial.AttachmentSource{{Path: arg}})
		if err != nil {
			return ch.report(err), false
		}
		ch.pending = append(ch.pending, atts...)
		fmt.Fprintf(ch.out, "attached %s to the next message\n", atts[0].URL)
	case ".clear":
		ch.conv = &dial.Session{Client: ch.client, Deployment: ch.conv.Deployment, System: ch.conv.System}
		ch.url = ""
		fmt.Fprintln(ch.out, "new conversation")
	case ".usage":
		n, prompt, completion, total := ch.s.dial.Usage.Totals()
		fmt.Fprintf(ch.out, "usage: %d %s, %d prompt + %d completion = %d tokens\n",
			n, plural(n, "response", "responses"), prompt, completion, total)
	case ".help":
		fmt.Fprint(ch.out, chatCommands)
	case ".lua":
		if ch.editor == nil {
			return ch.report(errors.New(".lua needs a terminal")), false
		}
		if code, err := ch.runLua(ctx); err != nil || code != exitOK {
			if err != nil {
				return ch.report(err), false
			}
			return code, true
		}
	default:
		return ch.report(fmt.Errorf("unknown command %s; .help lists the commands", name)), false
	}
	return exitOK, false
}

// report prints err, if any, as one line on stderr and returns its exit code.
func (ch *chat) report(err error) int {
	if err == nil {
		return exitOK
	}
	return ch.s.c.errorf(exitFailure, "%v", err)
}

// say sends text, streams the answer to the output and saves the conversation. Ctrl-C stops
// the answer, leaving the history as it was.
func (ch *chat) say(ctx context.Context, text string) error {
	turn, cancel := context.WithCancel(ctx)
	defer cancel()
	interrupted := make(chan struct{})
	if ch.interrupt != nil {
		select { // a Ctrl-C from before the message is not for it (one waits at most)
		case <-ch.interrupt:
		default:
		}
		go func() {
			select {
			case <-ch.interrupt:
				close(interrupted)
				cancel()
			case <-turn.Done():
			}
		}()
	}
	var answer strings.Builder
	msg := dial.Message{Role: dial.RoleUser, Content: text}
	msg.Attach(ch.pending...)
	raw, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	res, err := ch.conv.Send(turn, raw, dial.RunOptions{Stream: true, OnChunk: func(c dial.ChatChunk) bool {
		t := c.Text()
		answer.WriteString(t)
		_, _ = io.WriteString(ch.out, t)
		return true
	}})
	if answer.Len() > 0 && !strings.HasSuffix(answer.String(), "\n") {
		fmt.Fprintln(ch.out)
	}
	if err != nil {
		select {
		case <-interrupted:
			fmt.Fprintln(ch.s.stderr, "interrupted")
			return nil
		default:
			return err
		}
	}
	ch.pending = nil // sent with this message
	ch.s.dial.Usage.Add(int64(res.Usage.PromptTokens), int64(res.Usage.CompletionTokens), int64(res.Usage.TotalTokens))
	if ch.render {
		ch.rerender(answer.String())
	}
	return ch.save(ctx, "")
}

// save saves the conversation to url, or where it lives when url is "" (a new one gets a
// URL in the user's conversations), and remembers it as the last one. Saving again where it
// was loaded or saved refuses to overwrite a change made elsewhere.
func (ch *chat) save(ctx context.Context, url string) error {
	if url == "" {
		url = ch.url
	}
	if url == "" {
		home, err := ch.client.MyConversationsHome(ctx)
		if err != nil {
			return err
		}
		name := "chat " + time.Now().UTC().Format("2006-01-02 15.04.05.000")
		url = home + "dialua/" + dial.ConversationFileName(ch.conv.Deployment, name)
	}
	var opts []dial.CallOption
	if ch.conv.ETag != "" && ch.client.SameStorageURL(url, ch.url) {
		opts = append(opts, dial.IfMatch(ch.conv.ETag))
	}
	if _, err := ch.conv.Save(ctx, url, opts...); err != nil {
		return err
	}
	ch.url = url
	return ch.s.rememberConversation(url)
}

// load continues the conversation at url.
func (ch *chat) load(ctx context.Context, url string) error {
	conv, err := ch.client.LoadSession(ctx, url)
	if err != nil {
		return err
	}
	if conv.Deployment == "" {
		conv.Deployment = ch.conv.Deployment
	}
	ch.conv, ch.url = conv, url
	return ch.s.rememberConversation(url)
}
