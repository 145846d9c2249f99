package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// profile is a [profiles.NAME] table of the configuration file: DIAL connection settings that
// flags and environment variables override one by one.
type profile struct {
	URL    string `toml:"url"`
	APIKey string `toml:"api_key"`
	// APIKeyCommand is run with sh -c when no flag, variable or api_key gives a key; its
	// standard output, trimmed, is the key.
	APIKeyCommand string `toml:"api_key_command"`
	BearerToken   string `toml:"bearer_token"`
	Deployment    string `toml:"deployment"`
	APIVersion    string `toml:"api_version"`
}

// configFile is the whole configuration file.
type configFile struct {
	DefaultProfile string             `toml:"default_profile"`
	Profiles       map[string]profile `toml:"profiles"`
}

// configPath returns the path of the configuration file in the user's configuration
// directory dir: dir/dialua/config.toml.
func configPath(dir string) string { return filepath.Join(dir, "dialua", "config.toml") }

// loadProfile reads the configuration file at path and returns the profile named name, or
// the file's default_profile when name is "", with the name of the profile returned ("" for
// none). A missing file gives no profile, and an error only when name is not "". A key the
// file format does not know is an error naming the key and its line. A file that others may
// read or write makes loadProfile write a warning to warn.
func loadProfile(path, name string, warn io.Writer) (profile, string, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && name == "":
		return profile{}, "", nil
	case err != nil:
		return profile{}, "", fmt.Errorf("configuration file: %w", err)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "dialua: warning: %s is accessible to other users (mode %04o); "+
			"run chmod 600 %s\n", path, info.Mode().Perm(), path)
	}
	var cfg configFile
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return profile{}, "", configError(path, err)
	}
	if name == "" {
		name = cfg.DefaultProfile
		if name == "" {
			return profile{}, "", nil
		}
	}
	p, ok := cfg.Profiles[name]
	switch {
	case !ok:
		return profile{}, "", fmt.Errorf("%s: no profile %q", path, name)
	case p.APIKey != "" && p.APIKeyCommand != "":
		return profile{}, "", fmt.Errorf("%s: profile %q sets both api_key and api_key_command",
			path, name)
	}
	return p, name, nil
}

// configError describes a decoding error of the configuration file at path by line, without
// quoting the file (its lines may hold a key).
func configError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		e := strict.Errors[0]
		row, _ := e.Position()
		return fmt.Errorf("%s:%d: unknown key %s", path, row, strings.Join(e.Key(), "."))
	}
	var decode *toml.DecodeError
	if errors.As(err, &decode) {
		row, _ := decode.Position()
		return fmt.Errorf("%s:%d: %s", path, row, decode.Error())
	}
	return fmt.Errorf("%s: %v", path, err)
}

// commandKey runs the api_key_command of the profile named name with sh -c and returns its
// standard output, trimmed. The command's standard error goes to stderr.
func commandKey(ctx context.Context, name, command string, stderr io.Writer) (string, error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("api_key_command of profile %q: %v", name, err)
	}
	key := strings.TrimSpace(string(out))
	if key == "" {
		return "", fmt.Errorf("api_key_command of profile %q printed no key", name)
	}
	return key, nil
}

// setting is a DIAL setting that a flag, an environment variable or a profile gives, in that
// order of precedence.
type setting struct {
	key, flag, env string // key is the name in the configuration file
	field          func(*options) *string
	inProfile      func(profile) string
	secret         bool
}

// settings are the settings [command.resolve] fills, in the order dialua config prints them.
var settings = []setting{
	{"url", "--url", "DIAL_URL", func(o *options) *string { return &o.url },
		func(p profile) string { return p.URL }, false},
	{"api_key", "--api-key", "DIAL_API_KEY", func(o *options) *string { return &o.apiKey },
		func(p profile) string { return p.APIKey }, true},
	{"bearer_token", "--bearer-token", "DIAL_BEARER_TOKEN",
		func(o *options) *string { return &o.bearerToken },
		func(p profile) string { return p.BearerToken }, true},
	{"api_version", "--api-version", "DIAL_API_VERSION",
		func(o *options) *string { return &o.apiVersion },
		func(p profile) string { return p.APIVersion }, false},
	{"deployment", "-m", "DIAL_DEPLOYMENT", func(o *options) *string { return &o.deployment },
		func(p profile) string { return p.Deployment }, false},
}

// resolution is where the settings of a command came from.
type resolution struct {
	path        string            // the configuration file ("" when there is no configuration directory)
	profile     string            // the profile used, or ""
	profileFrom string            // what selected it: --profile, DIAL_PROFILE or default_profile
	from        map[string]string // setting key → the flag, variable or profile that gave it
}

// resolve fills the settings of o that no flag gave from the environment, then from the
// profile of the configuration file that --profile, DIAL_PROFILE or the file's
// default_profile selects, and records where each came from in o.resolved. The profile's
// credentials join c.secrets before anything can print them. It runs the profile's
// api_key_command only when no key or token came from elsewhere. Later calls do nothing.
func (c *command) resolve(ctx context.Context, o *options) error {
	if o.resolved != nil {
		return nil
	}
	r := &resolution{from: map[string]string{}}
	for _, s := range settings {
		dst := s.field(o)
		if *dst != "" {
			r.from[s.key] = s.flag
		} else if v := strings.TrimSpace(c.getenv(s.env)); v != "" {
			*dst, r.from[s.key] = v, s.env
		}
	}
	name, nameFrom := o.profile, "--profile"
	if name == "" {
		name, nameFrom = strings.TrimSpace(c.getenv("DIAL_PROFILE")), "DIAL_PROFILE"
	}
	dir, err := c.configDir()
	if err != nil {
		if name != "" {
			return fmt.Errorf("profile %q: no configuration directory: %v", name, err)
		}
		o.resolved = r
		return nil
	}
	r.path = configPath(dir)
	p, used, err := loadProfile(r.path, name, c.stderr)
	if err != nil {
		return err
	}
	c.secrets.Add(p.APIKey, p.BearerToken)
	if used != "" && name == "" {
		nameFrom = "default_profile"
	}
	from := "profile " + used
	for _, s := range settings {
		if dst := s.field(o); *dst == "" && s.inProfile(p) != "" {
			*dst, r.from[s.key] = s.inProfile(p), from
		}
	}
	if o.apiKey == "" && o.bearerToken == "" && p.APIKeyCommand != "" {
		key, err := commandKey(ctx, used, p.APIKeyCommand, c.stderr)
		if err != nil {
			return err
		}
		c.secrets.Add(key)
		o.apiKey, r.from["api_key"] = key, from+" (api_key_command)"
	}
	if used != "" {
		r.profile, r.profileFrom = used, nameFrom
	}
	o.resolved = r
	return nil
}
