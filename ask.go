package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/dial"
)

// askUsage is the help of `dialua ask`, before its flags.
const askUsage = `Usage: dialua ask [-m DEPLOYMENT] [-s SYSTEM] [-a FILE]... [--schema FILE|JSON]
                  [--no-stream] [--json] [flags] [PROMPT...]

Sends one prompt to DEPLOYMENT and prints the answer on stdout as it streams, then a newline.
The prompt is the words of PROMPT, after standard input when it is not a terminal, separated by
a blank line: cat notes.md | dialua ask -m gpt-4o "summarize". The deployment is -m, else
DIAL_DEPLOYMENT, else the deployment of the configuration file's profile (see dialua config).
-a attaches a local file: it is uploaded once to the user's files (a rerun uploads nothing new)
and sent as a DIAL attachment. --schema asks for a JSON document that fits a JSON Schema, checks
the answer and asks again with the validator's message when it does not fit (client:extract);
the document is printed on one line.

Exit status: 0 success, 1 API failure (the error on stderr), 2 usage or configuration error,
130 interrupted.

Flags:
`

// askFlags are the flags of `dialua ask` besides the connection flags.
type askFlags struct {
	system   string
	noStream bool
	json     bool
	attach   []string // -a: local files to attach to the prompt
	schema   string   // --schema: a JSON Schema, as a file name or the JSON itself
}

// deploymentFlag defines -m/--model, the deployment of ask and chat, stored in o.
func (o *options) deploymentFlag(fs *pflag.FlagSet) {
	fs.StringVarP(&o.deployment, "model", "m", o.deployment,
		"the `DEPLOYMENT` to ask: a model or application id (env DIAL_DEPLOYMENT)")
}

// askFlagSet returns the flags of `dialua ask`, stored in f, with the connection flags stored
// in o.
func askFlagSet(f *askFlags, o *options) *pflag.FlagSet {
	return newFlagSet("dialua ask", true, func(fs *pflag.FlagSet) {
		o.deploymentFlag(fs)
		fs.StringVarP(&f.system, "system", "s", "", "send `TEXT` as the system prompt")
		fs.StringArrayVarP(&f.attach, "attach", "a", nil, "attach the local `FILE` to the prompt (repeatable)")
		fs.StringVar(&f.schema, "schema", "", "answer with a JSON document that fits the JSON Schema in `FILE` (or given as JSON)")
		boolFlag(fs, &f.noStream, "no-stream", "", "ask for the whole answer at once")
		boolFlag(fs, &f.json, "json", "", "print the whole response as JSON (merged from the stream)")
		o.connectionFlags(fs)
	})
}

// askHelp is the text of dialua ask --help.
func askHelp(*command) string {
	return askUsage + askFlagSet(&askFlags{}, &options{}).FlagUsagesWrapped(100)
}

// ask is `dialua ask [flags] [PROMPT…]` with args (what follows "ask"), on the session of
// run: same connection flags, environment, configuration file and embedded emulator.
func (c *command) ask(ctx context.Context, o *options, args []string) int {
	var f askFlags
	fs := askFlagSet(&f, o)
	if code, ok := c.parse(fs, args, askHelp); !ok {
		return code
	}
	if err := c.resolve(ctx, o); err != nil {
		return c.errorf(exitUsage, "%v", err)
	}
	if o.deployment == "" {
		return c.usageError("ask needs a deployment: -m DEPLOYMENT, DIAL_DEPLOYMENT, " +
			"or deployment in a profile of the configuration file")
	}
	prompt, err := c.prompt(fs.Args())
	if err != nil {
		return c.errorf(exitFailure, "reading standard input: %v", err)
	}
	if strings.TrimSpace(prompt) == "" {
		return c.usageError("ask needs a prompt: dialua ask PROMPT..., or text on standard input")
	}
	req := dial.ChatRequest{Messages: []dial.Message{{Role: dial.RoleUser, Content: prompt}}}
	if f.system != "" {
		req.Messages = append([]dial.Message{{Role: dial.RoleSystem, Content: f.system}},
			req.Messages...)
	}
	schema, err := readSchema(f.schema)
	if err != nil {
		return c.usageError(err.Error())
	}
	o.defaultLog("ask") // ask records its exchange in the prompt log unless --no-log
	return c.session(ctx, o, func(s *session) int {
		client, err := s.dial.Default()
		if err != nil {
			return c.errorf(exitFailure, "%v", err)
		}
		if len(f.attach) > 0 {
			if err := client.AttachFiles(ctx, &req.Messages[len(req.Messages)-1], f.attach...); err != nil {
				return c.errorf(exitFailure, "%v", err)
			}
		}
		var resp *dial.ChatResponse
		if schema != nil {
			resp, err = s.extract(ctx, client, req, schema, f.json)
		} else {
			resp, err = s.answer(ctx, client, req, f)
		}
		if resp != nil && resp.Usage != nil && s.dial.Usage != nil {
			u := resp.Usage
			s.dial.Usage.Add(int64(u.PromptTokens), int64(u.CompletionTokens), int64(u.TotalTokens))
		}
		switch {
		case ctx.Err() != nil:
			fmt.Fprintln(s.stderr, "dialua: interrupted")
			return exitInterrupted
		case errors.Is(err, dial.ErrInvalidSchema):
			return c.errorf(exitUsage, "--schema: %v", err)
		case err != nil:
			return c.errorf(exitFailure, "%v", err)
		}
		return exitOK
	})
}

// prompt returns the prompt of ask: standard input when it is not a terminal, then the words
// of the command line, a blank line between them.
func (c *command) prompt(words []string) (string, error) {
	var parts []string
	if !c.isTerminal(c.stdin) {
		in, err := io.ReadAll(c.stdin)
		if err != nil {
			return "", err
		}
		if text := strings.TrimRight(string(in), "\n"); text != "" {
			parts = append(parts, text)
		}
	}
	if len(words) > 0 {
		parts = append(parts, strings.Join(words, " "))
	}
	return strings.Join(parts, "\n\n"), nil
}

// answer sends req to the deployment of the session and prints the answer on stdout: the
// text as it streams and a final newline, or with --json the whole response. It returns the
// response, also after a failure mid-stream (its text so far printed).
func (s *session) answer(ctx context.Context, client *dial.Client, req dial.ChatRequest,
	f askFlags) (*dial.ChatResponse, error) {
	out := s.c.stdout
	var resp *dial.ChatResponse
	if f.noStream {
		r, err := client.Chat(ctx, s.o.deployment, req)
		if err != nil {
			return nil, err
		}
		resp = r
		if !f.json {
			fmt.Fprint(out, finalNewline(resp.Text()))
		}
	} else {
		st, err := client.ChatStream(ctx, s.o.deployment, req)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		resp = &dial.ChatResponse{}
		var text strings.Builder
		for st.Next() {
			ch := st.Current()
			if err := resp.Accumulate(ch); err != nil {
				return nil, err
			}
			if !f.json {
				fmt.Fprint(out, ch.Text())
				text.WriteString(ch.Text())
			}
		}
		if !f.json && (text.Len() > 0 || st.Err() == nil) && !strings.HasSuffix(text.String(), "\n") {
			fmt.Fprintln(out)
		}
		if err := st.Err(); err != nil {
			return resp, err
		}
	}
	if f.json {
		data, err := resp.JSON()
		if err != nil {
			return resp, err
		}
		fmt.Fprintf(out, "%s\n", data)
	}
	return resp, nil
}

// readSchema returns the JSON Schema of --schema: spec itself when it is a JSON object, else
// the content of the file it names; nil for no --schema.
func readSchema(spec string) (json.RawMessage, error) {
	if spec == "" {
		return nil, nil
	}
	data := []byte(spec)
	if !strings.HasPrefix(strings.TrimSpace(spec), "{") {
		var err error
		if data, err = os.ReadFile(spec); err != nil {
			return nil, fmt.Errorf("--schema: %w", err)
		}
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("--schema: %s is not JSON", spec)
	}
	return data, nil
}

// extract asks for a document that fits schema (see dial.Client.Extract) and prints it on one
// line, or with whole the final response. The usage of every attempt is counted.
func (s *session) extract(ctx context.Context, client *dial.Client, req dial.ChatRequest,
	schema json.RawMessage, whole bool) (*dial.ChatResponse, error) {
	doc, resp, err := client.Extract(ctx, s.o.deployment, dial.ExtractRequest{
		Messages: req.Messages, Schema: schema,
		OnResponse: func(r *dial.ChatResponse) {
			if u := r.Usage; u != nil && s.dial.Usage != nil {
				s.dial.Usage.Add(int64(u.PromptTokens), int64(u.CompletionTokens), int64(u.TotalTokens))
			}
		}})
	if err != nil {
		return nil, err
	}
	out := doc
	if whole {
		if out, err = resp.JSON(); err != nil {
			return nil, err
		}
	}
	var line bytes.Buffer
	if err := json.Compact(&line, out); err != nil {
		return nil, err
	}
	fmt.Fprintf(s.c.stdout, "%s\n", line.Bytes())
	return nil, nil // the usage is counted already
}

// finalNewline returns text ending with a newline.
func finalNewline(text string) string {
	if strings.HasSuffix(text, "\n") {
		return text
	}
	return text + "\n"
}
