package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplitCredentials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args, values, rest []string
	}{
		{[]string{"-e", "x", "s.lua"}, nil, []string{"-e", "x", "s.lua"}},
		{[]string{"--api-key", "k1", "--url", "u", "--bearer-token=t1"}, []string{"k1", "t1"},
			[]string{"--url", "u"}},
		{[]string{"--api-key=", "--bearer-token"}, []string{""}, []string{}},
		{[]string{"--api-keys", "x", "--api-key=a=b"}, []string{"a=b"}, []string{"--api-keys", "x"}},
	} {
		values, rest := splitCredentials(tc.args)
		assert.Equal(t, tc.values, values, tc.args)
		assert.Equal(t, tc.rest, rest, tc.args)
	}
}
