package dial

import (
	"strings"
	"sync/atomic"
)

// textBlocks hold the text of a long string in blocks of blockSize bytes taken by newBlock,
// outside the Go heap where the platform allows: such a block's memory is only taken as text
// is written into it, and is given back to the system at once by freeBlock rather than at a
// later collection. The zero textBlocks is empty.
type textBlocks struct {
	blocks []block
	fill   int // how much of the last block holds text
	n      int // the length of the text
}

// block is a block and whether newBlock mapped it outside the heap.
type block struct {
	b      []byte
	mapped bool
}

// blockSize is the size of a block.
const blockSize = 1 << 20

// blocksInUse counts the blocks taken and not given back, for tests.
var blocksInUse atomic.Int64

// writeBlocks appends p to t's text.
func writeBlocks[T string | []byte](t *textBlocks, p T) {
	for len(p) > 0 {
		if len(t.blocks) == 0 || t.fill == blockSize {
			t.blocks = append(t.blocks, newBlock())
			blocksInUse.Add(1)
			t.fill = 0
		}
		k := copy(t.blocks[len(t.blocks)-1].b[t.fill:], p)
		t.fill += k
		t.n += k
		p = p[k:]
	}
}

// joinInto appends the text to dst, grown once to hold it, and gives back each block as soon
// as it is copied, so that the text is held about once while it moves. t is empty after.
func (t *textBlocks) joinInto(dst *strings.Builder) {
	dst.Grow(t.n)
	for i, blk := range t.blocks {
		end := blockSize
		if i == len(t.blocks)-1 {
			end = t.fill
		}
		dst.Write(blk.b[:end])
		giveBack(blk)
		t.blocks[i] = block{}
	}
	*t = textBlocks{blocks: t.blocks[:0]}
}

// release gives back the blocks; t is empty after.
func (t *textBlocks) release() {
	for _, blk := range t.blocks {
		giveBack(blk)
	}
	*t = textBlocks{}
}

// giveBack frees a block.
func giveBack(blk block) {
	if blk.b == nil {
		return
	}
	freeBlock(blk)
	blocksInUse.Add(-1)
}
