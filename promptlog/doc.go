// Package promptlog is a local log of chat completions: each entry is the request and the
// response (or the error) of one completion, with the deployment, the token usage, the
// duration and the command that made it. The log is an SQLite database written through a
// pure-Go driver, so programs using it need no cgo.
//
// The log keeps no credential: the caller gives it no headers, and [Open]'s redact function
// masks the credentials the caller knows in every text before it is stored.
package promptlog
