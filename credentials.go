package main

import (
	"slices"
	"strings"

	"github.com/dialua/dialua/dial"
)

// credentialFlags are the flags whose values are credentials.
var credentialFlags = []string{"--api-key", "--bearer-token"}

// credentialEnv are the environment variables that hold credentials.
var credentialEnv = []string{"DIAL_API_KEY", "DIAL_BEARER_TOKEN"}

// splitCredentials separates the credential flags in args from the rest: it returns the
// credentials ("--api-key K" and "--api-key=K" give K) and args without those flags and
// their values. It reads args as words, not as the flag parser does, so it finds a credential
// flag wherever it is, also among a script's own arguments.
func splitCredentials(args []string) (values, rest []string) {
	rest = make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		if !slices.Contains(credentialFlags, name) {
			rest = append(rest, args[i])
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				continue
			}
			i++
			value = args[i]
		}
		values = append(values, value)
	}
	return values, rest
}

// learnCredentials adds to secrets the credentials of the command line args and of the
// environment, before anything is parsed or printed, so that even a usage error that repeats
// a flag's value masks them.
func learnCredentials(secrets *dial.Secrets, args []string, getenv func(string) string) {
	values, _ := splitCredentials(args)
	for _, env := range credentialEnv {
		values = append(values, strings.TrimSpace(getenv(env)))
	}
	secrets.Add(values...)
}
