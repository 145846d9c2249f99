//go:build !unix || aix

package emulator

import "os"

// tryLock does nothing on systems without flock: a data directory is not guarded against a
// second storage there.
func tryLock(*os.File) (held bool, err error) { return false, nil }
