// Package perf holds the performance harness of the README's performance section: benchmarks
// that stream the same bytes from one loopback server to the dial package, to Lua scripts and
// to github.com/sashabaranov/go-openai (a test-only dependency), and report each path's rate
// as a ratio to go-openai's. It has no code outside its tests.
package perf
