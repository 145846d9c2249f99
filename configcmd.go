package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/dial"
)

// configUsage is the help of `dialua config`, before its flags.
const configUsage = `Usage: dialua config [--profile NAME] [flags]

Prints the DIAL settings a command would use and where each comes from: a flag, an environment
variable, or a profile of the configuration file (dialua/config.toml in the user's configuration
directory; README.md, "Configuration file"). Keys and tokens are masked. A profile's
api_key_command runs, as it would for a command.

Flags:
`

// configFlagSet returns the flags of `dialua config`, stored in o: the settings the
// configuration file gives and the profile.
func configFlagSet(o *options) *pflag.FlagSet {
	return newFlagSet("dialua config", false, func(fs *pflag.FlagSet) {
		o.deploymentFlag(fs)
		o.connectionFlags(fs)
	})
}

// configHelp is the text of dialua config --help.
func configHelp(*command) string {
	return configUsage + configFlagSet(&options{}).FlagUsagesWrapped(100)
}

// config is `dialua config [flags]`: it prints the effective settings, one per line with their
// source, secrets masked.
func (c *command) config(ctx context.Context, o *options, args []string) int {
	fs := configFlagSet(o)
	if code, ok := c.parse(fs, args, configHelp); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Sprintf("config takes no arguments (got %q)", fs.Arg(0)))
	}
	if err := c.resolve(ctx, o); err != nil {
		return c.errorf(exitUsage, "%v", err)
	}
	r := o.resolved
	var b strings.Builder
	if r.path == "" {
		fmt.Fprintln(&b, "configuration file: none (no configuration directory)")
	} else if _, err := os.Stat(r.path); err != nil {
		fmt.Fprintf(&b, "configuration file: %s (absent)\n", r.path)
	} else {
		fmt.Fprintln(&b, "configuration file:", r.path)
	}
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if r.profile != "" {
		fmt.Fprintf(w, "profile\t%s\t%s\n", r.profile, r.profileFrom)
	} else {
		fmt.Fprintf(w, "profile\t(none)\t\n")
	}
	for _, s := range settings {
		v := *s.field(o)
		switch {
		case v == "":
			v = "(not set)"
		case s.secret:
			v = dial.Redacted
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", s.key, v, r.from[s.key])
	}
	w.Flush()
	for line := range strings.Lines(b.String()) {
		// Masked whole as well: no secret reaches stdout, whatever setting holds it.
		fmt.Fprintln(c.stdout, c.secrets.Redact(strings.TrimRight(line, " \n")))
	}
	return exitOK
}
