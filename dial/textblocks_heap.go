//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package dial

// newBlock makes a block on the heap (this platform's blocks are not mapped).
func newBlock() block { return block{b: make([]byte, blockSize)} }

// freeBlock leaves a heap block to the collector.
func freeBlock(block) {}
