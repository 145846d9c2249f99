package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/promptlog"
)

// logsFlags are the flags of `dialua logs`.
type logsFlags struct {
	n     int
	json  bool
	query string
}

// logsFlagSet returns the flags of `dialua logs`, stored in f.
func logsFlagSet(f *logsFlags) *pflag.FlagSet {
	return newFlagSet("dialua logs", true, func(fs *pflag.FlagSet) {
		fs.IntVarP(&f.n, "limit", "n", 20, "show the newest `N` entries; 0 for all")
		boolFlag(fs, &f.json, "json", "", "print each entry as a line of JSON, with its request and response")
		fs.StringVarP(&f.query, "query", "q", "", "only the entries whose prompt, answer or error contains `TEXT` (ASCII case ignored)")
	})
}

// logsHelp is the text of dialua logs --help.
func logsHelp(c *command) string {
	path, err := c.logPath()
	if err != nil {
		path = "dialua/log.db in the user's configuration directory"
	}
	return `Usage: dialua logs [-n N] [--json] [-q TEXT]

Lists the prompt log, newest first: the chat completions of dialua ask and dialua chat, and of
the scripts run with --log, each with its time, command, deployment, duration, tokens, prompt and
answer or error. Credentials are masked before anything is stored; headers are never stored.
--no-log keeps a command out of the log. The log is an SQLite file, created private (0600):
` + "  " + path + `
Delete the file to clear the log.

Flags:
` + logsFlagSet(&logsFlags{}).FlagUsagesWrapped(100)
}

// logs is `dialua logs [-n N] [--json] [-q TEXT]`.
func (c *command) logs(ctx context.Context, args []string) int {
	var f logsFlags
	fs := logsFlagSet(&f)
	if code, ok := c.parse(fs, args, logsHelp); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Sprintf("logs takes no arguments (got %q); search with -q TEXT", fs.Arg(0)))
	}
	if f.n < 0 {
		return c.usageError(fmt.Sprintf("-n must be 0 (all) or more (got %d)", f.n))
	}
	path, err := c.logPath()
	if err != nil {
		return c.errorf(exitFailure, "prompt log: %v", err)
	}
	if _, err := os.Stat(path); errors.Is(err, iofs.ErrNotExist) {
		fmt.Fprintf(c.stderr, "dialua: the prompt log is empty (no %s yet)\n", path)
		return exitOK
	}
	l, err := c.openLog()
	if err != nil {
		return c.errorf(exitFailure, "%v", err)
	}
	defer l.Close()
	entries, err := l.List(ctx, f.n, f.query)
	if err != nil {
		return c.errorf(exitFailure, "%v", err)
	}
	write := writeEntry
	if f.json {
		write = writeEntryJSON
	}
	for _, e := range entries {
		write(c.stdout, e)
	}
	return exitOK
}

// writeEntry prints e for people: a heading line, the prompt's lines, then the answer or the
// error, and a blank line.
func writeEntry(w io.Writer, e promptlog.Entry) {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d  %s  %s  %s  %s", e.ID, e.Time.Format(time.DateTime), e.Source,
		e.Deployment, e.Duration.Round(time.Millisecond))
	if e.Usage.TotalTokens > 0 {
		fmt.Fprintf(&b, "  %d tokens", e.Usage.TotalTokens)
	}
	b.WriteString("\n")
	if e.Prompt != "" {
		b.WriteString(e.Prompt + "\n")
	}
	if e.Response != nil {
		b.WriteString("assistant: " + e.Answer + "\n")
	}
	if e.Error != "" {
		b.WriteString("error: " + e.Error + "\n")
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

// writeEntryJSON prints e as one line of JSON.
func writeEntryJSON(w io.Writer, e promptlog.Entry) {
	b, err := json.Marshal(e)
	if err != nil { // the log stores valid JSON only; this is a broken file
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	w.Write(append(b, '\n'))
}
