package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/charmbracelet/glamour"
	"github.com/mattn/go-runewidth"
	"golang.org/x/term"
)

// rerender replaces answer, just streamed to the terminal as it came, with its rendering as
// Markdown (style GLAMOUR_STYLE, else dark). An answer taller than the screen, which the
// terminal has scrolled away, stays as it is.
func (ch *chat) rerender(answer string) {
	width, height, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil || width <= 0 {
		return
	}
	rows := screenRows(answer, width)
	if rows >= height {
		return
	}
	style := ch.s.c.getenv("GLAMOUR_STYLE")
	if style == "" {
		style = "dark"
	}
	r, err := glamour.NewTermRenderer(glamour.WithStylePath(style), glamour.WithWordWrap(width-4))
	if err != nil {
		return
	}
	out, err := r.Render(answer)
	if err != nil {
		return
	}
	// Back to the start of the answer, and clear from there.
	fmt.Fprintf(ch.out, "\x1b[%dA\r\x1b[J%s", rows, strings.Trim(out, "\n")+"\n")
}

// screenRows returns how many rows of a terminal width columns wide text takes, text ending
// with a line break.
func screenRows(text string, width int) int {
	rows := 0
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		rows += max(1, (runewidth.StringWidth(line)+width-1)/width)
	}
	return rows
}
