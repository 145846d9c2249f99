package dial_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"github.com/dialua/dialua/dial"
)

func ExampleClient_Extract() {
	c, done := exampleClient() // dial.NewClient(baseURL, dial.WithAPIKey(key)) on a real server
	defer done()

	doc, _, err := c.Extract(context.Background(), "gpt-4o", dial.ExtractRequest{
		Messages: []dial.Message{{Role: dial.RoleUser, Content: "Dune by Frank Herbert, 1965"}},
		Schema: json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"},` +
			`"year":{"type":"integer","minimum":1450}},"required":["title","year"]}`),
	})
	var schemaErr *dial.SchemaError
	if errors.As(err, &schemaErr) {
		log.Fatalf("no answer fitted after %d attempts: %v", schemaErr.Attempts, schemaErr.Errors)
	} else if err != nil {
		log.Fatal(err)
	}
	var book struct {
		Title string
		Year  int
	}
	if err := json.Unmarshal(doc, &book); err != nil {
		log.Fatal(err)
	}
	// The emulator's answer is built from the schema.
	fmt.Println(book.Title, book.Year)
	// Output: example 1450
}
