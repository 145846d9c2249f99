package perf_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/dialhost"
	"github.com/dialua/dialua/lualib"
	"github.com/dialua/dialua/runtime"
	openai "github.com/sashabaranov/go-openai"
	lua "github.com/yuin/gopher-lua"
)

// deployment is the deployment every client asks for.
const deployment = "gpt-4o"

// A path reads one answer and returns the number of chunks it saw (1 for a block call).
type path func(ctx context.Context) (int, error)

// clients are the paths over one server.
type clients struct {
	openai *openai.Client
	dial   *dial.Client
	host   *runtime.Host
	chunks int
}

func newClients(tb testing.TB, url string, chunks int) *clients {
	cfg := openai.DefaultConfig("key")
	cfg.BaseURL = url + "/openai/deployments/" + deployment
	dc, err := dial.NewClient(url, dial.WithAPIKey("key"), dial.WithMaxRetries(0))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { dc.Close() })
	pool := dial.NewPool(dial.PoolOptions{})
	tb.Cleanup(func() { pool.Close() })
	h, err := runtime.New(runtime.Config{Stdout: io.Discard, WorkDir: tb.TempDir(),
		Modules: []runtime.Module{dialhost.Module(&lualib.DialConfig{Pool: pool,
			Default: func() (*dial.Client, error) { return pool.NewClient(url, dial.WithAPIKey("key")) }})}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	return &clients{openai: openai.NewClientWithConfig(cfg), dial: dc, host: h, chunks: chunks}
}

var userGo = []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "go"}}

var dialReq = dial.ChatRequest{Messages: []dial.Message{{Role: dial.RoleUser, Content: "go"}}}

// openaiStream reads the stream with go-openai.
func (c *clients) openaiStream(ctx context.Context) (int, error) {
	s, err := c.openai.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{
		Model: deployment, Messages: userGo, Stream: true})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	n := 0
	for {
		_, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// dialStream reads the stream as typed chunks, merging them into the response when merge is
// set (what client:chat does).
func (c *clients) dialStream(merge bool) path {
	return func(ctx context.Context) (int, error) {
		s, err := c.dial.ChatStream(ctx, deployment, dialReq)
		if err != nil {
			return 0, err
		}
		defer s.Close()
		var acc dial.ChatResponse
		n := 0
		for s.Next() {
			n++
			if merge {
				if err := acc.Accumulate(s.Current()); err != nil {
					return n, err
				}
			}
		}
		if merge && len(acc.Text()) != textSize(c.chunks) {
			return n, fmt.Errorf("merged %d bytes of text", len(acc.Text()))
		}
		return n, s.Err()
	}
}

// luaScript runs a Lua script that counts the chunks it reads into the global n.
func (c *clients) luaScript(script string) path {
	return func(ctx context.Context) (int, error) {
		err := c.host.RunString(ctx, `local client = require("dial").default()
			local req = { deployment = "`+deployment+`", messages = { { role = "user", content = "go" } } }
			n = 0
			`+script)
		if err != nil {
			return 0, err
		}
		n, _ := c.host.State().GetGlobal("n").(lua.LNumber)
		return int(n), nil
	}
}

// luaOnChunk is client:chat with an on_chunk callback that collects each delta.
func (c *clients) luaOnChunk() path {
	return c.luaScript(`local parts = {}
		req.on_chunk = function(ch)
			n = n + 1
			local d = ch.choices[1] and ch.choices[1].delta.content
			if d then parts[#parts + 1] = d end
		end
		local resp = assert(client:chat(req))
		assert(#resp.choices[1].message.content == #table.concat(parts))`)
}

// luaIterator is client:stream's iterator collecting each delta.
func (c *clients) luaIterator() path {
	return c.luaScript(`local parts = {}
		for ch in client:stream(req) do
			n = n + 1
			local d = ch.choices[1] and ch.choices[1].delta.content
			if d then parts[#parts + 1] = d end
		end`)
}

// openaiBlock is go-openai's CreateChatCompletion.
func (c *clients) openaiBlock(ctx context.Context) (int, error) {
	_, err := c.openai.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: deployment, Messages: userGo})
	return 1, err
}

// dialBlock is dial's Client.Chat.
func (c *clients) dialBlock(ctx context.Context) (int, error) {
	_, err := c.dial.Chat(ctx, deployment, dialReq)
	return 1, err
}
