package server

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"runtime"
	"sync"
	"sync/atomic"
)

// gzInline is how many plain bytes chunkedGzip compresses on the
// writer's goroutine, as they come, before it starts workers: an answer
// no bigger (a 10,000-node view is 2.5 MB) is compressed exactly as by a
// gzip.Writer, paying for no goroutine, no buffer and no second
// compressor; above it, the rest is compressed in pieces alongside.
const gzInline = 4 << 20

// gzChunk is how many plain bytes make a piece past gzInline, each
// compressed on its own. Starting each without a dictionary costs no
// size: the 100,000-node view is 1.587 MB in pieces, 1.599 MB whole
// (BenchmarkWireGzip100k).
const gzChunk = 1 << 20

// gzMaxWorkers caps the goroutines compressing one answer.
const gzMaxWorkers = 8

// chunkedGzip is an io.Writer compressing (fast level) what is written
// into one gzip member. Once gzInline bytes have come, pieces of
// gzChunk bytes are deflated on worker goroutines, in parallel with the
// writer and each other, each ending on a byte boundary (a sync flush;
// the last one ends the stream), and joined in order: a valid single
// deflate stream any gzip reader takes. The writer computes the CRC-32
// and length for the trailer. Finish with close, or abort on an error.
type chunkedGzip struct {
	out     bytes.Buffer
	zw      *gzip.Writer // compresses the first gzInline bytes; nil once pieces began
	cur     []byte       // plain bytes of the piece being gathered
	crc     uint32
	size    uint32 // plain length mod 2^32 (gzip's ISIZE)
	jobs    chan *gzPiece
	pending []*gzPiece // handed to the workers, in order
	free    []*gzPiece // collected pieces, their buffers to reuse
	stop    atomic.Bool
	wg      sync.WaitGroup
}

// gzPiece is one chunk handed to a worker.
type gzPiece struct {
	plain []byte
	final bool
	out   bytes.Buffer
	err   error
	done  chan struct{}
}

// newChunkedGzip returns a chunkedGzip whose output starts with room
// bytes of capacity.
func newChunkedGzip(room int) *chunkedGzip {
	z := &chunkedGzip{}
	z.out.Grow(room)
	z.zw, _ = gzip.NewWriterLevel(&z.out, gzip.BestSpeed) // the level is valid
	return z
}

// Write compresses p: the first gzInline bytes as they come on this
// goroutine, the rest gathered into pieces handed to the workers.
func (z *chunkedGzip) Write(p []byte) (int, error) {
	n := len(p)
	z.crc = crc32.Update(z.crc, crc32.IEEETable, p)
	if z.zw != nil {
		k := min(len(p), gzInline-int(z.size))
		z.size += uint32(k)
		if err := z.writeFirst(p[:k]); err != nil {
			return 0, err
		}
		p = p[k:]
	}
	z.size += uint32(len(p))
	for len(p) > 0 {
		if z.cur == nil {
			z.cur = z.buffer()
		}
		k := min(len(p), gzChunk-len(z.cur))
		z.cur = append(z.cur, p[:k]...)
		p = p[k:]
		if len(z.cur) == gzChunk {
			if err := z.submit(false); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// writeFirst compresses p with the first bytes' gzip.Writer; once
// gzInline bytes have gone through, it ends that writer's output on a byte
// boundary (a sync flush, the stream not ended) and starts the workers.
func (z *chunkedGzip) writeFirst(p []byte) error {
	if _, err := z.zw.Write(p); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	if uint(z.size) < gzInline {
		return nil
	}
	if err := z.zw.Flush(); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	z.zw = nil
	z.start()
	return nil
}

// buffer returns an empty plain buffer of a chunk's capacity.
func (z *chunkedGzip) buffer() []byte {
	if k := len(z.free); k > 0 && z.free[k-1].plain != nil {
		b := z.free[k-1].plain
		z.free[k-1].plain = nil
		return b[:0]
	}
	return make([]byte, 0, gzChunk)
}

// piece returns a piece to fill, reusing a collected one's buffers.
func (z *chunkedGzip) piece() *gzPiece {
	k := len(z.free)
	if k == 0 {
		return &gzPiece{done: make(chan struct{})}
	}
	c := z.free[k-1]
	z.free = z.free[:k-1]
	c.out.Reset()
	c.plain, c.final, c.err, c.done = nil, false, nil, make(chan struct{})
	return c
}

// workers is how many goroutines compress pieces: one per CPU the
// runtime uses, within gzMaxWorkers.
func workers() int { return min(runtime.GOMAXPROCS(0), gzMaxWorkers) }

// submit hands the gathered piece to the workers, then, when twice as
// many pieces as workers are in flight, waits for the oldest: memory
// stays bounded whatever the writer's pace.
func (z *chunkedGzip) submit(final bool) error {
	c := z.piece()
	c.plain, c.final = z.cur, final
	z.cur = nil
	z.pending = append(z.pending, c)
	z.jobs <- c // never blocks: the channel holds as many as may pend
	if len(z.pending) >= cap(z.jobs) {
		return z.collect()
	}
	return nil
}

// start starts the workers.
func (z *chunkedGzip) start() {
	n := workers()
	z.jobs = make(chan *gzPiece, 2*n)
	z.wg.Add(n)
	for range n {
		go z.work()
	}
}

// work deflates pieces until the jobs channel is closed; after an abort
// it only marks them done.
func (z *chunkedGzip) work() {
	defer z.wg.Done()
	fw, _ := flate.NewWriter(nil, flate.BestSpeed) // the level is valid
	for c := range z.jobs {
		if !z.stop.Load() {
			c.err = c.deflate(fw)
		}
		close(c.done)
	}
}

// deflate compresses the piece with fw (reset to its output).
func (c *gzPiece) deflate(fw *flate.Writer) error {
	c.out.Grow(len(c.plain)/4 + 64)
	fw.Reset(&c.out)
	if _, err := fw.Write(c.plain); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	if c.final {
		return fw.Close()
	}
	return fw.Flush()
}

// collect waits for the oldest piece in flight and appends its output.
func (z *chunkedGzip) collect() error {
	c := z.pending[0]
	z.pending[0] = nil
	z.pending = z.pending[1:]
	<-c.done
	if c.err != nil {
		return c.err
	}
	z.out.Write(c.out.Bytes())
	z.free = append(z.free, c)
	return nil
}

// close ends the stream and returns it, in a slice of its exact size.
func (z *chunkedGzip) close() ([]byte, error) {
	if z.zw != nil {
		if err := z.zw.Close(); err != nil {
			return nil, fmt.Errorf("compress: %w", err)
		}
		return bytes.Clone(z.out.Bytes()), nil
	}
	err := z.submit(true)
	for err == nil && len(z.pending) > 0 {
		err = z.collect()
	}
	if err != nil {
		z.abort()
		return nil, err
	}
	close(z.jobs)
	z.wg.Wait()
	z.jobs = nil
	z.out.Write(binary.LittleEndian.AppendUint32(nil, z.crc))
	z.out.Write(binary.LittleEndian.AppendUint32(nil, z.size))
	return bytes.Clone(z.out.Bytes()), nil
}

// abort stops the workers (pieces still queued are skipped) and waits
// for them to end. It does nothing when none run (not started, or the
// stream closed).
func (z *chunkedGzip) abort() {
	if z.jobs == nil {
		return
	}
	z.stop.Store(true)
	close(z.jobs)
	z.wg.Wait()
	z.jobs = nil
}
