package emulator

import (
	"bytes"
	"io"
	"os"
)

// blob is the immutable content of one stored resource version. A new version always gets a new
// blob, so a reader opened on a blob sees one consistent version even while the resource is
// overwritten or deleted.
type blob interface {
	// open returns a reader over the whole content. The caller closes it.
	open() (io.ReadCloser, error)
	// release drops the content once no itemVersion refers to it. Readers already open may finish.
	release()
}

// memBlob is content kept in memory as a list of chunks, so that an upload never has to copy
// what it has received into a larger buffer.
type memBlob struct {
	chunks [][]byte
}

func (b *memBlob) open() (io.ReadCloser, error) {
	readers := make([]io.Reader, len(b.chunks))
	for i, c := range b.chunks {
		readers[i] = bytes.NewReader(c)
	}
	return io.NopCloser(io.MultiReader(readers...)), nil
}

func (b *memBlob) release() {}

// fileBlob is content in a file of the data directory. The file is never rewritten: a copy
// gets a hard link or a copy of its own, and release removes the file.
type fileBlob struct {
	path string
}

func (b *fileBlob) open() (io.ReadCloser, error) { return os.Open(b.path) }

func (b *fileBlob) release() { os.Remove(b.path) }

// Chunk sizes of a chunkWriter: small files stay small, large ones use few allocations.
const (
	minChunk = 4 << 10
	maxChunk = 1 << 20
)

// chunkWriter collects written bytes into a memBlob. Each byte is copied once, into a chunk
// that is never reallocated; chunks double in size from minChunk up to maxChunk.
type chunkWriter struct {
	chunks [][]byte
	next   int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(w.chunks) == 0 || len(w.chunks[len(w.chunks)-1]) == cap(w.chunks[len(w.chunks)-1]) {
			w.next = min(max(2*w.next, minChunk), maxChunk)
			w.chunks = append(w.chunks, make([]byte, 0, w.next))
		}
		last := &w.chunks[len(w.chunks)-1]
		k := min(len(p), cap(*last)-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// blob returns the collected content. The writer must not be used afterwards.
func (w *chunkWriter) blob() *memBlob { return &memBlob{chunks: w.chunks} }
