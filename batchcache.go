package main

import (
	"errors"
	"time"

	"github.com/spf13/pflag"

	"github.com/dialua/dialua/dial"
)

// cacheDefault is the value of a bare --cache: the user's cache directory.
const cacheDefault = "default"

// cacheFlags defines batch's --cache [DIR] and --cache-ttl DURATION in fs.
func cacheFlags(fs *pflag.FlagSet, dir *string, ttl *time.Duration) {
	fs.StringVar(dir, "cache", "", "answer repeated chat requests from a response cache in `DIR` "+
		"(--cache alone: the user cache directory's dialua/responses)")
	fs.Lookup("cache").NoOptDefVal = cacheDefault
	fs.DurationVar(ttl, "cache-ttl", 0, "treat cached responses older than `DURATION` as missing (default: keep them)")
}

// openCache opens the response cache --cache and --cache-ttl ask for; nil when no --cache.
func openCache(dir string, ttl time.Duration) (*dial.Cache, error) {
	switch {
	case ttl < 0:
		return nil, errors.New("--cache-ttl must not be negative")
	case dir == "" && ttl != 0:
		return nil, errors.New("--cache-ttl needs --cache")
	case dir == "":
		return nil, nil
	case dir == cacheDefault:
		d, err := dial.DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return dial.NewCache(dir, ttl)
}
