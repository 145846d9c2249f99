//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package dial

import "syscall"

// newBlock maps a block of anonymous memory, whose pages the system only provides as they are
// written; when that fails, the block is on the heap.
func newBlock() block {
	b, err := syscall.Mmap(-1, 0, blockSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return block{b: make([]byte, blockSize)}
	}
	return block{b: b, mapped: true}
}

// freeBlock unmaps a mapped block; nothing may refer to its memory any more.
func freeBlock(blk block) {
	if blk.mapped {
		_ = syscall.Munmap(blk.b)
	}
}
