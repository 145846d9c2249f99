package dial_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator"
)

// startEmulator serves an in-memory DIAL emulator on a loopback port under /dial and returns
// its base URL and a function that stops it. Real programs use their DIAL server's URL.
func startEmulator() (string, func()) {
	e, err := emulator.New(emulator.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/dial", e))
	return srv.URL + "/dial", func() {
		srv.Close()
		e.Close()
	}
}

// exampleClient is a client of a fresh emulator and a function that closes both.
func exampleClient() (*dial.Client, func()) {
	baseURL, stop := startEmulator()
	c, err := dial.NewClient(baseURL, dial.WithAPIKey(emulator.DefaultKey))
	if err != nil {
		log.Fatal(err)
	}
	return c, func() {
		c.Close()
		stop()
	}
}

func ExampleNewClient() {
	baseURL, stop := startEmulator()
	defer stop()

	c, err := dial.NewClient(baseURL, dial.WithAPIKey(emulator.DefaultKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	home, err := c.MyFilesHome(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(home)
	// Output: files/EmuBucketDefault/
}

func ExampleClient_Chat() {
	baseURL, stop := startEmulator()
	defer stop()
	c, err := dial.NewClient(baseURL, dial.WithAPIKey(emulator.DefaultKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	temperature := 0.0
	resp, err := c.Chat(context.Background(), "echo", dial.ChatRequest{
		Messages: []dial.Message{
			{Role: dial.RoleSystem, Content: "Repeat after me."},
			{Role: dial.RoleUser, Content: "Hello, DIAL!"},
		},
		Temperature: &temperature,
	})
	var apiErr *dial.APIError
	if errors.As(err, &apiErr) {
		log.Fatalf("DIAL answered %d: %s", apiErr.StatusCode, apiErr.Message)
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text())
	fmt.Println(resp.Choices[0].FinishReason)
	// Output:
	// Hello, DIAL!
	// stop
}

func ExampleClient_ChatStream() {
	baseURL, stop := startEmulator()
	defer stop()
	c, err := dial.NewClient(baseURL, dial.WithAPIKey(emulator.DefaultKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	s, err := c.ChatStream(context.Background(), "echo", dial.ChatRequest{
		Messages: []dial.Message{{Role: dial.RoleUser, Content: "streamed word by word"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	var full dial.ChatResponse
	for s.Next() {
		chunk := s.Current()
		fmt.Printf("%q\n", chunk.Text())
		if err := full.Accumulate(chunk); err != nil {
			log.Fatal(err)
		}
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(full.Text(), "/", full.Choices[0].FinishReason)
	// Output:
	// ""
	// "streamed"
	// " word"
	// " by"
	// " word"
	// ""
	// streamed word by word / stop
}

func ExampleStream_All() {
	baseURL, stop := startEmulator()
	defer stop()
	c, err := dial.NewClient(baseURL, dial.WithAPIKey(emulator.DefaultKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// A raw request body, as built from a Lua table: unknown fields pass through.
	body := json.RawMessage(`{"messages":[{"role":"user","content":"ranged over"}],"x_trace":"t1"}`)
	s, err := c.ChatStreamRaw(context.Background(), "echo", body)
	if err != nil {
		log.Fatal(err)
	}
	var text strings.Builder
	for chunk, err := range s.All() { // All closes the stream
		if err != nil {
			log.Fatal(err)
		}
		text.WriteString(chunk.Text())
	}
	fmt.Println(text.String())
	// Output: ranged over
}

func ExampleClient_UploadFile() {
	baseURL, stop := startEmulator()
	defer stop()
	c, err := dial.NewClient(baseURL, dial.WithAPIKey(emulator.DefaultKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	home, err := c.MyFilesHome(ctx)
	if err != nil {
		log.Fatal(err)
	}
	url := home + "notes/q3 summary.txt"
	meta, err := c.UploadFile(ctx, url, strings.NewReader("revenue up"), dial.ContentType("text/plain"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(meta.URL, meta.ContentLength, meta.ContentType)

	// Create-only: the file exists, so the condition fails.
	_, err = c.UploadFile(ctx, url, strings.NewReader("overwrite?"), dial.IfNoneMatch("*"))
	fmt.Println(errors.Is(err, dial.ErrETagMismatch))

	d, err := c.DownloadFile(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	content, err := io.ReadAll(d)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(content))
	// Output:
	// files/EmuBucketDefault/notes/q3%20summary.txt 10 text/plain
	// true
	// revenue up
}

func ExampleClient_ListFiles() {
	baseURL, stop := startEmulator()
	defer stop()
	c, err := dial.NewClient(baseURL, dial.WithAPIKey(emulator.DefaultKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	home, err := c.MyFilesHome(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"a.txt", "docs/b.txt", "docs/deep/c.txt"} {
		if _, err := c.UploadFile(ctx, home+name, strings.NewReader(name)); err != nil {
			log.Fatal(err)
		}
	}
	// Every file below home, following page tokens (two items per page here).
	for item, err := range c.ListFiles(ctx, home, dial.Recursive(true), dial.Limit(2)) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(item.URL, item.ContentLength)
	}
	// Output:
	// files/EmuBucketDefault/a.txt 5
	// files/EmuBucketDefault/docs/b.txt 10
	// files/EmuBucketDefault/docs/deep/c.txt 15
}

func ExampleMergeChunks() {
	merged, err := dial.MergeChunks(
		json.RawMessage(`{"content":"Hel","attachments":[{"index":1,"title":"b"}]}`),
		json.RawMessage(`{"content":"lo","attachments":[{"index":0,"title":"a"}]}`),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(merged))
	// Output: {"attachments":[{"title":"a"},{"title":"b"}],"content":"Hello"}
}
