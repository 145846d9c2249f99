package runtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PartStore is a folder shared by the processes of a batch that write their results as parts
// (see [BatchOptions].Parts): a storage folder that every pod can reach. Implementations are
// safe for concurrent use.
type PartStore interface {
	// List returns the names of the files in the folder; a missing folder has none.
	List(ctx context.Context) ([]string, error)
	// Open streams the content of the file name.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Create stores data as the file name only when no file has that name: when one has, it
	// changes nothing and returns an error matching [ErrPartExists].
	Create(ctx context.Context, name string, data []byte) error
}

// ErrPartExists is what [PartStore.Create] returns when the name is taken.
var ErrPartExists = errors.New("the part exists")

// Default flush policy of the parts (see [BatchOptions].FlushRecords and FlushInterval).
const (
	DefaultFlushRecords  = 100
	DefaultFlushInterval = 10 * time.Second
)

// partName returns the name of part seq of shard: part-<shard>-<seq>.jsonl, the sequence
// number zero-padded so that names sort in the order they were written.
func partName(shard, seq int) string {
	return fmt.Sprintf("part-%d-%06d.jsonl", shard, seq)
}

// parsePartName returns the shard and sequence number of a part's name; ok is false for a
// name that is not a part's.
func parsePartName(name string) (shard, seq int, ok bool) {
	rest, ok1 := strings.CutPrefix(name, "part-")
	rest, ok2 := strings.CutSuffix(rest, ".jsonl")
	s, q, ok3 := strings.Cut(rest, "-")
	shard, err1 := strconv.Atoi(s)
	seq, err2 := strconv.Atoi(q)
	if !ok1 || !ok2 || !ok3 || err1 != nil || err2 != nil || shard < 0 || seq < 0 {
		return 0, 0, false
	}
	return shard, seq, true
}

// PartNames returns the names among names that are parts, in name order of shard then
// sequence number.
func PartNames(names []string) []string {
	var parts []string
	for _, n := range names {
		if _, _, ok := parsePartName(n); ok {
			parts = append(parts, n)
		}
	}
	return parts
}

// nextSeq returns the sequence number after the last part of shard among names (0 when it
// has none).
func nextSeq(names []string, shard int) int {
	next := 0
	for _, n := range names {
		if s, q, ok := parsePartName(n); ok && s == shard && q >= next {
			next = q + 1
		}
	}
	return next
}

// ReadPart calls fn with the key and failure flag of each result line of the part name in
// store. Every line must be a result (see [RunBatch]); a part is written whole, so anything
// else is an error.
func ReadPart(ctx context.Context, store PartStore, name string,
	fn func(key string, failed bool, line []byte) error) error {
	return readPart(ctx, store, name, func(res parsedResult, line []byte) error {
		return fn(res.key, res.failed, line)
	})
}

// readPart calls fn with each result line of the part name in store, parsed, as ReadPart.
func readPart(ctx context.Context, store PartStore, name string,
	fn func(res parsedResult, line []byte) error) error {
	rc, err := store.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("part %s: %w", name, err)
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 64<<10)
	for n := 1; ; n++ {
		line, rerr := r.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return fmt.Errorf("part %s: %w", name, rerr)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			pr, perr := parseResult(line)
			if perr != nil {
				return fmt.Errorf("part %s:%d: not a batch result (%w)", name, n, perr)
			}
			if err := fn(pr, line); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
	}
}

// readParts reads the results of every part in store into keys (for a key in several parts,
// the last in name order counts) and returns the next sequence number of shard.
func readParts(ctx context.Context, store PartStore, shard int, keys keyTable) (int, error) {
	names, err := store.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("output: %w", err)
	}
	parts := PartNames(names)
	for _, name := range parts {
		err := ReadPart(ctx, store, name, func(key string, failed bool, _ []byte) error {
			keys.mark(key, failed)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("output: %w", err)
		}
	}
	return nextSeq(parts, shard), nil
}

// partSink buffers result lines and flushes them as a new part when it holds maxRecords of
// them, when the oldest has waited interval, and when closed. A part is created only under a
// name no other part has, so no process overwrites another's results.
type partSink struct {
	ctx        context.Context // not canceled with the run: the last flush outlives it
	store      PartStore
	shard, seq int
	maxRecords int
	interval   time.Duration

	mu    sync.Mutex // guards what follows
	buf   bytes.Buffer
	n     int
	first time.Time // when the oldest buffered line came
	err   error     // the first flush error, which every later call returns

	stop chan struct{}
	done chan struct{}
}

// newPartSink returns a sink writing the parts of shard from sequence number seq on, with a
// goroutine flushing the lines that waited interval.
func newPartSink(ctx context.Context, store PartStore, shard, seq, maxRecords int,
	interval time.Duration) *partSink {
	s := &partSink{ctx: context.WithoutCancel(ctx), store: store, shard: shard, seq: seq,
		maxRecords: maxRecords, interval: interval,
		stop: make(chan struct{}), done: make(chan struct{})}
	go s.tick()
	return s
}

// tick flushes the buffered lines once the oldest has waited the interval, until stopped.
func (s *partSink) tick() {
	defer close(s.done)
	t := time.NewTicker(max(s.interval/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			if s.err == nil && s.n > 0 && time.Since(s.first) >= s.interval {
				s.err = s.flush()
			}
			s.mu.Unlock()
		}
	}
}

func (s *partSink) write(line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.n == 0 {
		s.first = time.Now()
	}
	s.buf.Write(line)
	s.n++
	if s.n >= s.maxRecords {
		s.err = s.flush()
	}
	return s.err
}

// close stops the ticker and flushes what is buffered.
func (s *partSink) close() error {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && s.n > 0 {
		s.err = s.flush()
	}
	return s.err
}

// maxNameTries bounds the names a flush tries when others are taken.
const maxNameTries = 100

// flush creates a part with the buffered lines; the caller holds the lock. When the name is
// taken (another process of the same shard wrote it), it lists the parts again and takes
// the sequence number after the last.
func (s *partSink) flush() error {
	for range maxNameTries {
		name := partName(s.shard, s.seq)
		err := s.store.Create(s.ctx, name, s.buf.Bytes())
		if err == nil {
			s.seq++
			s.buf.Reset()
			s.n = 0
			return nil
		}
		if !errors.Is(err, ErrPartExists) {
			return fmt.Errorf("output: part %s: %w", name, err)
		}
		names, err := s.store.List(s.ctx)
		if err != nil {
			return fmt.Errorf("output: %w", err)
		}
		s.seq = max(s.seq+1, nextSeq(names, s.shard))
	}
	return fmt.Errorf("output: no free part name for shard %d after %d tries", s.shard,
		maxNameTries)
}
