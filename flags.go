package main

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/dial"
)

// chunk is a -e CODE or a -l NAME of the command line.
type chunk struct {
	kind string // "e" or "l"
	text string
}

// chunkList collects -e and -l in the order they were given, as the lua binary runs them.
type chunkList []chunk

// kind returns the flag value that appends chunks of kind k.
func (l *chunkList) kind(k string) *chunkFlag { return &chunkFlag{list: l, kind: k} }

// chunkFlag is the pflag.Value of -e or -l.
type chunkFlag struct {
	list *chunkList
	kind string
}

func (f *chunkFlag) String() string { return "" }
func (f *chunkFlag) Type() string   { return "string" }

func (f *chunkFlag) Set(s string) error {
	*f.list = append(*f.list, chunk{kind: f.kind, text: s})
	return nil
}

// switchFlag is a boolean flag: --name alone sets it, --name=false clears it. It is
// pflag's bool without the "[=true|false]" that pflag v1.1.0 prints after every bool flag.
type switchFlag struct{ p *bool }

func (f switchFlag) String() string {
	if f.p == nil {
		return "false"
	}
	return strconv.FormatBool(*f.p)
}

func (f switchFlag) Type() string { return "bool" }

func (f switchFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*f.p = v
	return nil
}

// boolFlag defines a switchFlag stored in p.
func boolFlag(fs *pflag.FlagSet, p *bool, name, short, usage string) {
	fs.VarPF(switchFlag{p}, name, short, usage).NoOptDefVal = "true"
}

// secondsFlag is a duration given as Go's "1m30s" or as a number of seconds; zero means unset.
type secondsFlag time.Duration

func (d *secondsFlag) String() string {
	if *d == 0 {
		return ""
	}
	return time.Duration(*d).String()
}

func (d *secondsFlag) Type() string { return "duration" }

func (d *secondsFlag) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		secs, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return fmt.Errorf("%q is not a duration such as 30s, 2m or 90", s)
		}
		v = time.Duration(secs * float64(time.Second))
	}
	if v <= 0 {
		return fmt.Errorf("%q: the timeout must be positive", s)
	}
	*d = secondsFlag(v)
	return nil
}

// retriesFlag is a count of retries; -1 (the zero value's meaning after newRetries) is unset.
type retriesFlag struct {
	n   int
	set bool
}

func (r *retriesFlag) String() string {
	if !r.set {
		return ""
	}
	return strconv.Itoa(r.n)
}

func (r *retriesFlag) Type() string { return "int" }

func (r *retriesFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a number of retries (0 or more)", s)
	}
	r.n, r.set = n, true
	return nil
}

// value returns the count, or -1 when unset (the dial package's default).
func (r *retriesFlag) value() int {
	if !r.set {
		return -1
	}
	return r.n
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// redactor masks the credentials of secrets in what is written to w, as the dial package
// masks them in errors. Each write is masked on its own, which covers the one-line writes of
// error reports, tracebacks and request logs. secrets may grow while the process runs.
type redactor struct {
	w       io.Writer
	secrets *dial.Secrets
}

func (r *redactor) Write(p []byte) (int, error) {
	text := string(p)
	out := p
	if masked := r.secrets.Redact(text); masked != text {
		out = []byte(masked)
	}
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
