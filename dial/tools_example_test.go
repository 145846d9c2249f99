package dial_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/emulator"
)

func ExampleClient_RunTools() {
	baseURL, stop := startEmulator()
	defer stop()
	c, err := dial.NewClient(baseURL, dial.WithAPIKey(emulator.DefaultKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	weather := dial.ToolFunction{
		Name:        "get_weather",
		Description: "Current weather for a city",
		Parameters: map[string]any{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}},
			"required":   []string{"city"},
		},
		Func: func(_ context.Context, args json.RawMessage) (any, error) {
			var a struct{ City string }
			if err := json.Unmarshal(args, &a); err != nil {
				return nil, err
			}
			return map[string]any{"city": a.City, "celsius": 21}, nil
		},
	}
	res, err := c.RunTools(context.Background(), "gpt-4o", dial.ChatRequest{
		Messages: []dial.Message{{Role: dial.RoleUser, Content: "What is the weather in Paris?"}},
	}, []dial.ToolFunction{weather}, dial.RunOptions{MaxSteps: 8})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Response.Text())
	fmt.Println(len(res.Messages), "messages in", res.Steps, "completions")
	// Output:
	// get_weather returned {"celsius":21,"city":"Paris"}
	// 4 messages in 2 completions
}

func ExampleSession() {
	baseURL, stop := startEmulator()
	defer stop()
	c, err := dial.NewClient(baseURL, dial.WithAPIKey(emulator.DefaultKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	s := &dial.Session{Client: c, Deployment: "gpt-4o", System: "You are terse."}
	if _, err := s.Say(ctx, "Name a prime.", dial.RunOptions{}); err != nil {
		log.Fatal(err)
	}
	home, err := c.MyConversationsHome(ctx)
	if err != nil {
		log.Fatal(err)
	}
	url := home + dial.ConversationFileName("gpt-4o", "primes")
	if _, err := s.Save(ctx, url, dial.IfNoneMatch("*")); err != nil {
		log.Fatal(err)
	}

	// Later, or in another program:
	s2, err := c.LoadSession(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	res, err := s2.Say(ctx, "And the next one?", dial.RunOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(url)
	fmt.Println(s2.Name, len(s2.Messages), res.Response.Text())
	// Output:
	// conversations/EmuBucketDefault/gpt-4o__primes
	// primes 4 And the next one?
}

func ExampleTemplate() {
	text, err := dial.Template("Summarize {{ text }} in {{n}} words, in {{lang|English}}.",
		map[string]any{"text": "the report", "n": 50.0})
	fmt.Println(text, err)

	_, err = dial.Template("{{a}} and {{b}}", nil)
	fmt.Println(err)
	// Output:
	// Summarize the report in 50 words, in English. <nil>
	// dial: template: no value for "a", "b"
}
