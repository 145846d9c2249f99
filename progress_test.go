package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProgressSink(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	sink := progressSink(&out)
	assert.Nil(t, sink("small.txt", minProgressBytes-1))
	assert.Nil(t, sink("unknown size", -1))

	w := sink("big.bin", 2*minProgressBytes)
	require.NotNil(t, w)
	block := make([]byte, 1<<20)
	for range 8 {
		n, err := w.Write(block)
		require.NoError(t, err)
		assert.Equal(t, len(block), n)
	}
	require.NoError(t, w.Close())
	assert.Contains(t, out.String(), "big.bin")

	// A transfer that stops early leaves its bar and ends the line for the error that follows.
	out.Reset()
	w = sink("cut.bin", 2*minProgressBytes)
	_, _ = w.Write(block)
	require.NoError(t, w.Close())
	assert.True(t, strings.HasSuffix(out.String(), "\n"), "%q", out.String())
}
