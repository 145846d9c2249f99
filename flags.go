package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
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

// newFlagSet returns the flag set of a command: the flags define adds, in that order in the
// help, then -h/--help. Parsing returns errors rather than printing them (the caller reports
// them as a usage error) and prints no usage (the caller prints the help). Unless
// interspersed, parsing stops at the first argument that is not a flag (the script's name).
func newFlagSet(name string, interspersed bool, define func(fs *pflag.FlagSet)) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SetInterspersed(interspersed)
	fs.SortFlags = false
	define(fs)
	boolFlag(fs, new(bool), "help", "h", "show this help")
	return fs
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

// sizeFlag is a number of bytes given as 1073741824, 512K, 64M, 1G, 1.5G or 1GiB (binary
// units; KB, MB… are read as KiB, MiB…); 0 is a valid value, told apart from unset.
type sizeFlag struct {
	n   int64
	set bool
}

// minSize is the smallest size a sizeFlag takes besides 0: less is a mistake ("100" meant as
// megabytes), and the process alone needs more.
const minSize = 1 << 20

func (f *sizeFlag) String() string {
	if !f.set {
		return ""
	}
	return strconv.FormatInt(f.n, 10)
}

func (f *sizeFlag) Type() string { return "size" }

func (f *sizeFlag) Set(s string) error {
	num := strings.TrimRight(strings.ToUpper(strings.TrimSpace(s)), "IB")
	scale := int64(1)
	if i := strings.IndexAny(num, "KMGT"); i >= 0 && i == len(num)-1 {
		scale = 1 << (10 * (1 + strings.IndexByte("KMGT", num[i])))
		num = num[:i]
	}
	v, err := strconv.ParseFloat(num, 64)
	switch {
	case err != nil || !(v >= 0) || v*float64(scale) >= math.MaxInt64: // !(v >= 0): NaN too
		return fmt.Errorf("%q is not a size such as 512M, 2G or 0", s)
	case v > 0 && v*float64(scale) < minSize:
		return fmt.Errorf("%q is less than 1M (0 means no limit)", s)
	}
	f.n, f.set = int64(v*float64(scale)), true
	return nil
}

// retriesFlag is a count of retries, told apart from unset (the dial package's default).
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
