package promptlog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Entry is one chat completion of the log.
type Entry struct {
	// ID numbers the entries in the order they were recorded; set by the log.
	ID int64 `json:"id"`
	// Time is when the completion began.
	Time time.Time `json:"time"`
	// Source names what made the completion: "ask", "chat" or "run".
	Source string `json:"source"`
	// Deployment is the model or application asked.
	Deployment string `json:"deployment"`
	// Request is the request body, a JSON object.
	Request json.RawMessage `json:"request"`
	// Response is the response body, merged from the chunks for a stream; nil when there was
	// none.
	Response json.RawMessage `json:"response,omitempty"`
	// Error is the message of the error the completion failed with, or "".
	Error string `json:"error,omitempty"`
	// Duration is how long the completion took.
	Duration time.Duration `json:"duration_ns"`
	// Prompt is the text of the request's messages, one per line; Answer is the text of the
	// response's first choice; Usage the response's token usage. The log derives them from
	// Request and Response.
	Prompt string `json:"prompt"`
	Answer string `json:"answer"`
	Usage  Usage  `json:"usage"`
}

// Usage is the token usage of a response.
type Usage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

// Log is an open log. It is safe for concurrent use.
type Log struct {
	db     *sql.DB
	redact func(string) string
}

const schema = `CREATE TABLE IF NOT EXISTS entries (
	id INTEGER PRIMARY KEY,
	time INTEGER NOT NULL,
	source TEXT NOT NULL,
	deployment TEXT NOT NULL,
	request TEXT NOT NULL,
	response TEXT,
	error TEXT NOT NULL,
	duration INTEGER NOT NULL,
	prompt TEXT NOT NULL,
	answer TEXT NOT NULL,
	prompt_tokens INTEGER NOT NULL,
	completion_tokens INTEGER NOT NULL,
	total_tokens INTEGER NOT NULL
)`

// Open opens the log at path, creating it (mode 0600, in a directory of mode 0700 when that
// is missing too) when it does not exist. redact masks the credentials in a text; every text
// Record stores passes through it (nil stores the texts as they are).
func Open(path string, redact func(string) string) (*Log, error) {
	if redact == nil {
		redact = func(s string) string { return s }
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("prompt log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("prompt log: %w", err)
	}
	f.Close()
	// busy_timeout makes a writer wait for another process's write instead of failing.
	dsn := (&url.URL{Scheme: "file", Path: path,
		RawQuery: "_pragma=busy_timeout(10000)"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("prompt log %s: %w", path, err)
	}
	// One connection serializes the process's writes, which SQLite allows one at a time.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("prompt log %s: %w", path, err)
	}
	return &Log{db: db, redact: redact}, nil
}

// Close closes the log.
func (l *Log) Close() error { return l.db.Close() }

// Record adds e to the log, with its Prompt, Answer and Usage derived from its Request and
// Response (an ID given is ignored). The credentials Open's redact masks are masked in every
// text stored, the deployment's name too; a body no longer JSON once masked is stored as a JSON string.
func (l *Log) Record(ctx context.Context, e Entry) error {
	r := decodeResponse(e.Response)
	e.Prompt, e.Answer, e.Usage = promptText(e.Request), r.answer(), r.Usage
	var response any
	if e.Response != nil {
		response = l.redactJSON(e.Response)
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO entries (time, source, deployment, request,
		response, error, duration, prompt, answer, prompt_tokens, completion_tokens, total_tokens)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time.UnixNano(), l.redact(e.Source), l.redact(e.Deployment), l.redactJSON(e.Request), response,
		l.redact(e.Error), int64(e.Duration), l.redact(e.Prompt), l.redact(e.Answer),
		e.Usage.PromptTokens, e.Usage.CompletionTokens, e.Usage.TotalTokens)
	if err != nil {
		return fmt.Errorf("prompt log: %w", err)
	}
	return nil
}

// redactJSON masks the credentials in the JSON text raw; when masking made it invalid (a
// credential that JSON escapes), it returns the masked text as a JSON string.
func (l *Log) redactJSON(raw json.RawMessage) string {
	s := l.redact(string(raw))
	if json.Valid([]byte(s)) {
		return s
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// List returns the newest n entries (all of them when n <= 0), newest first; with query not
// empty, only those whose prompt, answer or error contains it, ignoring ASCII case.
func (l *Log) List(ctx context.Context, n int, query string) ([]Entry, error) {
	where, args := "", []any{}
	if query != "" {
		pattern := "%" + escapeLike(query) + "%"
		where = `WHERE prompt LIKE ? ESCAPE '\' OR answer LIKE ? ESCAPE '\' OR error LIKE ? ESCAPE '\'`
		args = append(args, pattern, pattern, pattern)
	}
	if n <= 0 {
		n = -1
	}
	args = append(args, n)
	rows, err := l.db.QueryContext(ctx, `SELECT id, time, source, deployment, request, response,
		error, duration, prompt, answer, prompt_tokens, completion_tokens, total_tokens
		FROM entries `+where+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("prompt log: %w", err)
	}
	defer rows.Close()
	var entries []Entry
	for rows.Next() {
		var e Entry
		var at, duration int64
		var request string
		var response sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.Source, &e.Deployment, &request, &response, &e.Error,
			&duration, &e.Prompt, &e.Answer, &e.Usage.PromptTokens, &e.Usage.CompletionTokens,
			&e.Usage.TotalTokens); err != nil {
			return nil, fmt.Errorf("prompt log: %w", err)
		}
		e.Time, e.Duration, e.Request = time.Unix(0, at), time.Duration(duration), json.RawMessage(request)
		if response.Valid {
			e.Response = json.RawMessage(response.String)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("prompt log: %w", err)
	}
	return entries, nil
}

// escapeLike escapes the wildcards of LIKE in s, with '\' as the escape character.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
