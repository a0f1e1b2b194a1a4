package model

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// Sizes of the parallel statistics scan.
const (
	// statsChunkBytes is the least span of bytes one worker takes at a
	// time; a tensor is split into at most statsMaxChunks chunks.
	statsChunkBytes = 8 << 20
	statsMaxChunks  = 4096
	// statsReadBytes is the size of each read (one buffer per worker).
	statsReadBytes = 2 << 20
	// statsRunValues is how many values are decoded and summed at once.
	statsRunValues  = 1 << 15
	statsMaxWorkers = 8
	// exactHistValues is the largest tensor whose finite values are kept
	// for an exact histogram; larger ones use a fineHist.
	exactHistValues = 1 << 16
	// maxCodeChannels is the most channels of per-channel quantized bytes
	// counted per code (a 2 MiB histogram per worker).
	maxCodeChannels = 1024
)

// scan reads a fixed-layout tensor in chunks, in parallel, in one pass.
type scan struct {
	src        *valueSource
	dec        unitDecoder
	f          *os.File // ReadAt is safe for concurrent use
	units      int64    // units holding the tensor's values
	chunkUnits int64
	// chunks holds each chunk's moments, merged in element order at the
	// end so that the figures do not depend on the number of workers.
	chunks []chunkResult
	// order is the order chunks are taken in: chunk 0 first, then an
	// even spread (bit-reversed indices), so that a scan cut short by
	// the time budget covers the whole tensor thinly, not a prefix.
	order []int
	next  atomic.Int64
	first []float64
	// exact keeps the finite values of a small tensor (one worker).
	exact []float64
	// codes is set when the workers keep code histograms (codeHist)
	// rather than fine histograms.
	codes bool
	// channels and inner describe per-channel dequantization of bytes:
	// the codes are then counted per channel (channel<<8 | byte).
	channels, inner int64
	// center is the center of the fine histograms (see fineHist).
	center float64
}

type chunkResult struct {
	done bool
	read int64
	m    moments
}

// scanWorker holds one worker's buffers and histogram.
type scanWorker struct {
	buf   []byte
	vals  []float64
	fine  *fineHist
	codes codeHist
	// zeroHeavy says that the last run was mostly zeros.
	zeroHeavy bool
}

// newScan plans the chunks of src's data, and returns false when the
// encoding cannot be split (varints are read in one stream instead).
func newScan(src *valueSource) (*scan, bool, error) {
	dec, ok := newUnitDecoder(src)
	if !ok {
		return nil, false, nil
	}
	loc := src.t.Location
	if loc.Offset < 0 || loc.Length < 0 || loc.Offset > 1<<62-loc.Length {
		return nil, true, errors.New("bad data location")
	}
	units := (src.count + dec.unitVals - 1) / dec.unitVals
	if have := loc.Length / dec.unitBytes; have < units {
		return nil, true, fmt.Errorf("the data holds %d of %d values", have*dec.unitVals, src.count)
	}
	chunkUnits := max(statsChunkBytes/dec.unitBytes, (units+statsMaxChunks-1)/statsMaxChunks, 1)
	n := int((units + chunkUnits - 1) / chunkUnits)
	s := &scan{src: src, dec: dec, units: units, chunkUnits: chunkUnits,
		chunks: make([]chunkResult, n), order: spreadOrder(n), first: []float64{}}
	switch {
	case src.count <= exactHistValues:
		s.exact = make([]float64, 0, src.count)
	case dec.codes && (src.deq == nil || len(src.t.Quant.Scale) == 1):
		s.codes = true
	case dec.codes && dec.unitBytes == 1 && len(src.t.Quant.Scale) <= maxCodeChannels:
		s.codes, s.channels = true, int64(len(src.t.Quant.Scale))
		s.inner = 1
		for _, d := range src.t.Shape[src.t.Quant.Axis+1:] {
			s.inner *= d
		}
	}
	return s, true, nil
}

// spreadOrder lists 0..n-1 in bit-reversed order (0, n/2, n/4, 3n/4, …).
func spreadOrder(n int) []int {
	order := make([]int, 0, n)
	w := bits.Len(uint(max(n-1, 0)))
	for i := range 1 << w {
		r := int(bits.Reverse64(uint64(i)) >> (64 - w))
		if w == 0 {
			r = 0
		}
		if r < n {
			order = append(order, r)
		}
	}
	return order
}

// run reads the chunks with up to GOMAXPROCS workers until all are done
// or ctx ends (chunk 0 is always read), and returns the merged moments,
// the number of values read and the histograms.
func (s *scan) run(ctx context.Context) (statsRead, error) {
	f, err := os.Open(s.src.t.Location.File)
	if err != nil {
		return statsRead{}, err
	}
	defer f.Close()
	s.f = f
	if s.exact == nil {
		if s.center, err = s.firstRunMean(); err != nil {
			return statsRead{}, err
		}
	}
	workers := min(runtime.GOMAXPROCS(0), statsMaxWorkers, len(s.chunks))
	if s.exact != nil {
		workers = 1
	}
	ws := make([]*scanWorker, workers)
	errs := make([]error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := range ws {
		ws[i] = s.newWorker()
		wg.Go(func() {
			if errs[i] = s.work(ctx, ws[i]); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return statsRead{}, err
	}
	r := statsRead{m: newMoments(), exact: s.exact, codeValue: s.codeValue}
	for _, c := range s.chunks {
		if c.done {
			r.m.merge(c.m)
			r.read += c.read
		}
	}
	for _, w := range ws {
		if w.fine != nil {
			r.fine = append(r.fine, w.fine)
		}
		if w.codes != nil {
			r.codes = append(r.codes, w.codes)
		}
	}
	return r, nil
}

// firstRunMean reads the tensor's first run of values (at most
// statsRunValues) and returns the mean of its finite values.
func (s *scan) firstRunMean() (float64, error) {
	ub := s.dec.unitBytes
	n := min(s.units, max(1, statsRunValues/s.dec.unitVals))
	b := make([]byte, n*ub)
	loc := s.src.t.Location
	if got, err := s.f.ReadAt(b, loc.Offset); got < len(b) {
		return 0, fmt.Errorf("the data ends before its recorded length (at offset %d): %v", loc.Offset+int64(got), err)
	}
	vs := s.dec.decode(nil, b)
	vs = vs[:min(int64(len(vs)), s.src.count)]
	applyDequant(s.src, vs, 0)
	return finiteMean(vs), nil
}

// addCodes counts the codes of b, the elements from index base (per
// channel, a run of the same channel at a time, when there are several).
func (s *scan) addCodes(h codeHist, b []byte, base int64) {
	switch {
	case s.dec.unitBytes == 2:
		h.add16(b)
		return
	case s.channels == 0:
		h.add8(b, 0)
		return
	}
	for len(b) > 0 {
		n := min(int64(len(b)), s.inner-base%s.inner)
		h.add8(b[:n], int((base/s.inner)%s.channels)<<8)
		b, base = b[n:], base+n
	}
}

// codeValue is the value of a stored code (channel<<8 | byte when
// counted per channel), decoded and dequantized as the data is.
func (s *scan) codeValue(code int) float64 {
	var at int64
	if s.channels > 0 {
		code, at = code&0xff, int64(code>>8)*s.inner
	}
	b := binary.LittleEndian.AppendUint16(nil, uint16(code))
	vs := s.dec.decode(nil, b[:s.dec.unitBytes])
	applyDequant(s.src, vs, at)
	return vs[0]
}

func (s *scan) newWorker() *scanWorker {
	readUnits := max(1, min(statsReadBytes/s.dec.unitBytes, s.chunkUnits))
	runUnits := max(1, statsRunValues/s.dec.unitVals)
	w := &scanWorker{buf: make([]byte, readUnits*s.dec.unitBytes), vals: make([]float64, 0, runUnits*s.dec.unitVals)}
	switch {
	case s.codes:
		w.codes = newCodeHist(s.dec.unitBytes, max(1, s.channels))
	case s.exact == nil:
		w.fine = newFineHist(s.center)
	}
	return w
}

// work takes chunks in s.order until none are left or ctx ends.
func (s *scan) work(ctx context.Context, w *scanWorker) error {
	for {
		i := int(s.next.Add(1) - 1)
		if i >= len(s.order) || (i > 0 && ctx.Err() != nil) {
			return nil
		}
		if err := s.chunk(ctx, s.order[i], w); err != nil {
			return err
		}
	}
}

// chunk reads chunk c in reads of len(w.buf) and sums it a run at a
// time. Once ctx ends it stops after the current read (except in chunk
// 0), so a big chunk does not overrun the budget; what it read counts.
func (s *scan) chunk(ctx context.Context, c int, w *scanWorker) error {
	loc := s.src.t.Location
	ub, uv := s.dec.unitBytes, s.dec.unitVals
	from, to := int64(c)*s.chunkUnits, min(s.units, int64(c+1)*s.chunkUnits)
	res := chunkResult{m: newMoments()}
	runUnits := int64(cap(w.vals)) / uv
	w.zeroHeavy = false // the figures depend on the chunk alone, not on the worker's last one
	for u := from; u < to; {
		n := min(to-u, int64(len(w.buf))/ub)
		b := w.buf[:n*ub]
		if got, err := s.f.ReadAt(b, loc.Offset+u*ub); int64(got) < n*ub {
			return fmt.Errorf("the data ends before its recorded length (at offset %d): %v", loc.Offset+u*ub+int64(got), err)
		}
		for r := int64(0); r < n; r += runUnits {
			k := min(runUnits, n-r)
			base := (u + r) * uv
			vals := s.dec.decode(w.vals[:0], b[r*ub:(r+k)*ub])
			if w.codes != nil { // one value per unit: no partial unit
				s.addCodes(w.codes, b[r*ub:(r+k)*ub], base)
			}
			vals = vals[:min(int64(len(vals)), s.src.count-base)]
			applyDequant(s.src, vals, base)
			if base < firstValues {
				s.first = append(s.first, vals[:min(len(vals), firstValues-int(base))]...)
			}
			res.read += int64(len(vals))
			s.addRun(w, &res.m, vals)
		}
		u += n
		if c > 0 && ctx.Err() != nil {
			break
		}
	}
	res.done = true
	s.chunks[c] = res
	return nil
}

// addRun folds a run into m: in one loop (addCentered) for big tensors,
// except runs after a mostly-zero run, whose zeros are binned in runs
// (fineHist.addRuns) by the two-loop addRun.
func (s *scan) addRun(w *scanWorker, m *moments, vals []float64) {
	if s.exact != nil || w.zeroHeavy {
		z := m.zeros
		m.addRun(vals, w.keep(s))
		w.zeroHeavy = 2*(m.zeros-z) > int64(len(vals))
		return
	}
	z := m.zeros
	m.addCentered(vals, s.center, w.fine)
	w.zeroHeavy = w.fine != nil && 2*(m.zeros-z) > int64(len(vals))
}

// keep returns where a run's finite values go: the exact list or the
// worker's fine histogram (nowhere when the codes were counted).
func (w *scanWorker) keep(s *scan) keepFunc {
	switch {
	case w.fine != nil:
		return w.fine.add
	case w.codes != nil:
		return sqDev
	}
	return func(vs []float64, mean float64, _ bool) float64 {
		s.exact = append(s.exact, vs...)
		return sqDev(vs, mean, false)
	}
}
