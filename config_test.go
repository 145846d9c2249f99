//go:build unix

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dialua/dialua/emulator/emulatortest"
)

// writeConfig writes text as the configuration file of a new configuration directory, with
// mode, and returns the directory.
func writeConfig(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	path := configPath(dir)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, []byte(text), mode))
	require.NoError(t, os.Chmod(path, mode)) // whatever the umask
	return dir
}

// profiles is a configuration file with two profiles, "work" the default.
const profiles = `default_profile = "work"

[profiles.work]
url = "https://work.example.com"
api_key = "work-key-123456"
deployment = "gpt-4o"
api_version = "2024-02-01"

[profiles.home]
url = "https://home.example.com"
bearer_token = "home-token-123456"
`

// TestConfigGolden runs dialua config, and commands that read the configuration file, and
// compares what they print with testdata/cli.
func TestConfigGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		config string
		mode   os.FileMode
		inv    invocation
		code   int
	}{
		{"help_config", "", 0, invocation{args: []string{"config", "--help"}}, 0},
		{"config_no_file", "", 0, invocation{args: []string{"config"}}, 0},
		{"config_default_profile", profiles, 0o600, invocation{args: []string{"config"}}, 0},
		{"config_env_profile", profiles, 0o600, invocation{args: []string{"config"},
			env: map[string]string{"DIAL_PROFILE": "home"}}, 0},
		{"config_flag_profile", profiles, 0o600, invocation{args: []string{"config", "--profile", "home"},
			env: map[string]string{"DIAL_PROFILE": "nope"}}, 0},
		{"config_override", profiles, 0o600, invocation{
			args: []string{"config", "--api-version", "2025-01-01", "--api-key", "flag-key-123456"},
			env: map[string]string{"DIAL_URL": "https://env.example.com", "DIAL_API_VERSION": "2023-01-01",
				"DIAL_API_KEY": "env-key-123456"}}, 0},
		{"config_mode_warning", profiles, 0o644, invocation{args: []string{"config"}}, 0},
		{"config_unknown_key", profiles + "api_ky = \"x\"\n", 0o600,
			invocation{args: []string{"config", "--profile", "home"}}, 2},
		{"config_unknown_key_run", "[profiles.a]\nurl = \"https://a.example.com\"\nmodel = \"gpt-4o\"\n", 0o600,
			invocation{args: []string{"-e", "print(1)"}}, 2},
		{"config_syntax_error", "[profiles.a]\nurl = \n", 0o600, invocation{args: []string{"config"}}, 2},
		{"config_missing_profile", profiles, 0o600, invocation{args: []string{"config", "--profile", "nope"}}, 2},
		{"config_missing_file_profile", "", 0, invocation{args: []string{"config"},
			env: map[string]string{"DIAL_PROFILE": "work"}}, 2},
		{"config_key_command", "[profiles.a]\napi_key_command = \"printf '%s\\\\n' cmd-key-123456\"\n", 0o600,
			invocation{args: []string{"config", "--profile", "a"}}, 0},
		{"config_key_command_fails", "[profiles.a]\napi_key_command = \"echo no key here >&2; exit 3\"\n", 0o600,
			invocation{args: []string{"config", "--profile", "a"}}, 2},
		{"config_key_command_skipped", "[profiles.a]\napi_key_command = \"exit 3\"\n", 0o600,
			invocation{args: []string{"config", "--profile", "a"},
				env: map[string]string{"DIAL_API_KEY": "env-key-123456"}}, 0},
		{"config_both_keys", "[profiles.a]\napi_key = \"k-123456\"\napi_key_command = \"true\"\n", 0o600,
			invocation{args: []string{"config", "--profile", "a"}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.config != "" {
				tc.inv.configDir = writeConfig(t, tc.config, tc.mode)
			}
			r := runIn(t, tc.inv)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			golden(t, tc.name, r.transcript())
		})
	}
}

// TestConfigProfileConnects checks that a profile's URL, key (or key command) and deployment
// are those ask uses, and that the profile's key is masked in the errors of the server.
func TestConfigProfileConnects(t *testing.T) {
	t.Parallel()
	srv := emulatortest.NewServer(t)
	for name, key := range map[string]string{
		"key":     "api_key = \"" + srv.Key + "\"",
		"command": "api_key_command = \"printf %s " + srv.Key + "\"",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := writeConfig(t, "default_profile = \"p\"\n[profiles.p]\nurl = \""+srv.URL+
				"\"\ndeployment = \"echo\"\n"+key+"\n", 0o600)
			r := runIn(t, invocation{args: []string{"ask", "from", "profile"}, configDir: dir})
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, "from profile\n", r.stdout)
			assert.Empty(t, r.stderr, "no emulator notice: the profile's URL is used")
		})
	}
}

// TestConfigCanary checks that neither dialua config nor an error of ask prints a key that
// only the configuration file holds, given as api_key or printed by api_key_command.
func TestConfigCanary(t *testing.T) {
	t.Parallel()
	srv := canaryEmulator(t) // leaky1's stream fails with an error that echoes canaryCLI
	for name, key := range map[string]string{
		"key":     "api_key = \"" + canaryCLI + "\"",
		"command": "api_key_command = \"printf %s " + canaryCLI + "\"",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := writeConfig(t, "[profiles.p]\nurl = \""+srv.URL+"\"\n"+key+"\n", 0o600)
			env := map[string]string{"DIAL_PROFILE": "p"}
			for _, args := range [][]string{
				{"config"},
				{"ask", "-m", "leaky1", "hi"},
				{"ask", "--json", "-m", "leaky1", "hi"},
				{"-e", `error(require("dial").default():ask("leaky1", "hi"))`},
			} {
				r := runIn(t, invocation{args: args, env: env, configDir: dir})
				assertNoCanary(t, r.stdout+r.stderr, name)
			}
			r := runIn(t, invocation{args: []string{"ask", "-m", "leaky1", "hi"}, env: env, configDir: dir})
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stderr, "failed for [REDACTED]", "the key reached the server's error")
		})
	}
}

// TestConfigUnusedKeyMasked checks that a profile's key joins the masked credentials even when
// a flag overrides it: a script that writes the configuration file to stderr shows no key.
func TestConfigUnusedKeyMasked(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "[profiles.p]\napi_key = \""+canaryCLI+"\"\n", 0o600)
	r := runIn(t, invocation{configDir: dir, args: []string{"--profile", "p", "--api-key", "flag-key-123456",
		"-e", `io.stderr:write(assert(io.open("` + configPath(dir) + `")):read("*a"))`}})
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, `api_key = "[REDACTED]"`)
}
