package runtime

import (
	"fmt"
	"strings"
)

// HistoryEntry joins the lines of one statement into a single line with the same meaning, for
// a history file that holds one entry per line: line breaks become spaces (indentation
// dropped), a "--" comment becomes a long comment (--[[ note ]]), a long string that spans
// lines becomes a quoted string with \n, and a backslash-newline inside a quoted string
// becomes \n.
func HistoryEntry(lines []string) string {
	j := joiner{src: strings.Join(lines, "\n")}
	j.run()
	return strings.TrimSpace(j.out.String())
}

// joiner rewrites a chunk onto one line, scanning it as the Lua lexer does for strings and
// comments, the only places where a line break is not just white space.
type joiner struct {
	src string
	i   int
	out strings.Builder
}

func (j *joiner) run() {
	for j.i < len(j.src) {
		c := j.src[j.i]
		switch {
		case c == '\n':
			j.lineBreak()
		case c == '"' || c == '\'':
			j.quoted(c)
		case strings.HasPrefix(j.src[j.i:], "--"):
			j.comment()
		case c == '[' && longBracketLevel(j.src[j.i:]) >= 0:
			j.longString()
		default:
			j.out.WriteByte(c)
			j.i++
		}
	}
}

// lineBreak replaces a line break and the white space around it by one space.
func (j *joiner) lineBreak() {
	s := strings.TrimRight(j.out.String(), " \t")
	j.out.Reset()
	j.out.WriteString(s)
	if s != "" && !strings.HasSuffix(s, " ") {
		j.out.WriteByte(' ')
	}
	j.i++
	for j.i < len(j.src) && (j.src[j.i] == ' ' || j.src[j.i] == '\t') {
		j.i++
	}
}

// quoted copies a quoted string, writing an escaped line break as \n.
func (j *joiner) quoted(q byte) {
	j.out.WriteByte(q)
	j.i++
	for j.i < len(j.src) {
		c := j.src[j.i]
		switch {
		case c == '\\' && j.i+1 < len(j.src) && j.src[j.i+1] == '\n':
			j.out.WriteString(`\n`)
			j.i += 2
			continue
		case c == '\\' && j.i+1 < len(j.src):
			j.out.WriteString(j.src[j.i : j.i+2])
			j.i += 2
			continue
		case c == '\n':
			return // an unfinished string: the line break is the lexer's error, kept as a space
		}
		j.out.WriteByte(c)
		j.i++
		if c == q {
			return
		}
	}
}

// comment copies a comment: a long one with its line breaks as spaces, a line comment that a
// line break ends as a long comment.
func (j *joiner) comment() {
	rest := j.src[j.i+2:]
	if level := longBracketLevel(rest); level >= 0 {
		_, n, _ := longBracketBody(rest, level)
		j.out.WriteString("--" + strings.ReplaceAll(rest[:n], "\n", " "))
		j.i += 2 + n
		return
	}
	end := strings.IndexByte(rest, '\n')
	if end < 0 {
		j.out.WriteString("--" + rest)
		j.i = len(j.src)
		return
	}
	j.out.WriteString("--" + longBracket(rest[:end]))
	j.i += 2 + end
}

// longString copies a long string, as a quoted string when it spans lines.
func (j *joiner) longString() {
	rest := j.src[j.i:]
	body, n, closed := longBracketBody(rest, longBracketLevel(rest))
	if closed && strings.Contains(body, "\n") {
		// Lua skips a line break right after the opening bracket.
		j.out.WriteString(luaQuote(strings.TrimPrefix(body, "\n")))
	} else {
		j.out.WriteString(rest[:n])
	}
	j.i += n
}

// luaQuote returns s as a Lua 5.1 quoted string.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c < ' ' || c == 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// longBracketLevel returns the level of the long bracket s starts with ([[ is 0, [==[ is 2),
// or -1 when s does not start with one.
func longBracketLevel(s string) int {
	if !strings.HasPrefix(s, "[") {
		return -1
	}
	level := 1
	for level < len(s) && s[level] == '=' {
		level++
	}
	if level < len(s) && s[level] == '[' {
		return level - 1
	}
	return -1
}

// longBracketBody returns the text between the long brackets of the given level that s starts
// with, the length of the whole bracketed text, and whether the bracket is closed (if not, the
// body and the length run to the end of s).
func longBracketBody(s string, level int) (body string, n int, closed bool) {
	open := level + 2
	end := strings.Index(s[open:], "]"+strings.Repeat("=", level)+"]")
	if end < 0 {
		return s[open:], len(s), false
	}
	return s[open : open+end], open + end + level + 2, true
}

// longBracket encloses text in long brackets of the lowest level that text does not close
// (and not [[ ]] around a text holding "[[", which Lua 5.1 rejects as nesting).
func longBracket(text string) string {
	for level := 0; ; level++ {
		eq := strings.Repeat("=", level)
		if level == 0 && strings.Contains(text, "[[") {
			continue
		}
		if closing := "]" + eq + "]"; strings.Index(text+closing, closing) == len(text) {
			return "[" + eq + "[" + text + "]" + eq + "]"
		}
	}
}
