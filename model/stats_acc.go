package model

import (
	"encoding/binary"
	"math"
)

// moments are one-pass statistics of a run of values: counts of the
// special values, the extremes, and the mean and sum of squared
// deviations (M2) of the finite values. Runs merge with Chan et al.'s
// pairwise update, so the result does not depend on how the tensor was
// split, only on the order of the merges (kept in element order).
type moments struct {
	n, zeros, nan, inf int64
	mean, m2           float64
	min, max           float64
}

func newMoments() moments { return moments{min: math.Inf(1), max: math.Inf(-1)} }

// keepFunc takes a run's finite values (for the histogram) and returns
// the sum of their squared deviations from mean; mostlyZeros says that
// more than half of them are zeros.
type keepFunc func(fin []float64, mean float64, mostlyZeros bool) float64

// addRun takes in a run of values in two loops over the run while it is
// in cache: the first counts zeros, NaN and ±Inf and finds the extremes
// and the sum of the finite values; the second, keep, sums the squared
// deviations from the run's mean while it bins the values. Only a run
// that holds NaN or ±Inf is compacted (its finite values moved to the
// front of vs) between the two.
func (m *moments) addRun(vs []float64, keep keepFunc) {
	lo, hi := m.min, m.max
	var sum float64
	var zeros, bad int64
	for _, v := range vs {
		if d := v - v; d != d { // v is NaN or ±Inf
			bad++
			continue
		}
		if v == 0 {
			zeros++
		}
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
		sum += v
	}
	fin := vs
	if bad > 0 {
		fin = m.finiteOnly(vs)
	}
	m.zeros += zeros
	m.min, m.max = lo, hi
	if len(fin) == 0 {
		return
	}
	mean := sum / float64(len(fin))
	sq := keep(fin, mean, 2*zeros > int64(len(fin)))
	m.merge(moments{n: int64(len(fin)), mean: mean, m2: sq, min: lo, max: hi})
}

// finiteOnly counts NaN and ±Inf in vs and moves its finite values to the
// front.
func (m *moments) finiteOnly(vs []float64) []float64 {
	j := 0
	for _, v := range vs {
		switch {
		case v != v:
			m.nan++
		case v-v != 0:
			m.inf++
		default:
			vs[j] = v
			j++
		}
	}
	return vs[:j]
}

// sqDev is the sum of squared deviations of vs from mean.
func sqDev(vs []float64, mean float64, _ bool) float64 {
	var sq float64
	for _, v := range vs {
		d := v - mean
		sq += d * d
	}
	return sq
}

// merge folds o's finite-value moments into m (counts of special values
// and extremes too).
func (m *moments) merge(o moments) {
	m.zeros += o.zeros
	m.nan += o.nan
	m.inf += o.inf
	m.min, m.max = min(m.min, o.min), max(m.max, o.max)
	if o.n == 0 {
		return
	}
	n := m.n + o.n
	d := o.mean - m.mean
	m.mean += d * float64(o.n) / float64(n)
	m.m2 += o.m2 + d*d*float64(m.n)*float64(o.n)/float64(n)
	m.n = n
}

// fineBins is the resolution of the fine histogram: one bin per value of
// the top 16 bits of a float32 pattern (sign, exponent and 7 mantissa
// bits), so each bin spans a relative width of at most 2^-7.
const fineBins = 1 << 16

// fineHist counts finite values v by the top 16 bits of the float32
// pattern of v - center, with the least and greatest seen in each bin.
// It needs no range, so it fills in the same single read as the moments;
// rebin turns it into the output histogram once the range is known. The
// center (the mean of the tensor's first run of values) makes the
// resolution relative to the spread of the values, not their magnitude
// (weights of 1 ± 0.01 are resolved as finely as weights of 0 ± 0.01).
type fineHist struct {
	center float64
	bins   [fineBins]fineBin
}

type fineBin struct {
	n      int64
	lo, hi float32 // of v - center
}

func newFineHist(center float64) *fineHist {
	h := &fineHist{center: center}
	for i := range h.bins {
		h.bins[i].lo, h.bins[i].hi = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	return h
}

// add bins vs and returns their squared deviations from mean (one loop
// for both). When most values are zeros (a sparse or pruned tensor) it
// counts runs of values in the same fine bin in registers and stores
// each run once, rather than one dependent increment of the same counter
// per value; otherwise one increment per value (no branch to mispredict).
func (h *fineHist) add(vs []float64, mean float64, mostlyZeros bool) float64 {
	if mostlyZeros {
		return h.addRuns(vs, mean)
	}
	var sq float64
	c := h.center
	for _, v := range vs {
		d := v - mean
		sq += d * d
		f := float32(v - c)
		b := &h.bins[math.Float32bits(f)>>16]
		b.n++
		if f < b.lo {
			b.lo = f
		}
		if f > b.hi {
			b.hi = f
		}
	}
	return sq
}

func (h *fineHist) addRuns(vs []float64, mean float64) float64 {
	var sq float64
	c := h.center
	key, n := uint32(0), int64(0)
	var lo, hi float32
	for _, v := range vs {
		d := v - mean
		sq += d * d
		f := float32(v - c)
		if k := math.Float32bits(f) >> 16; k != key {
			h.put(key, n, lo, hi)
			key, n, lo, hi = k, 0, f, f
		}
		n++
		if f < lo {
			lo = f
		}
		if f > hi {
			hi = f
		}
	}
	h.put(key, n, lo, hi)
	return sq
}

// put adds n values between lo and hi to bin k.
func (h *fineHist) put(k uint32, n int64, lo, hi float32) {
	b := &h.bins[k]
	b.n += n
	b.lo, b.hi = min(b.lo, lo), max(b.hi, hi)
}

// merge adds o's counts to h (both with the same center).
func (h *fineHist) merge(o *fineHist) {
	for k := range h.bins {
		a, b := &h.bins[k], &o.bins[k]
		a.n += b.n
		a.lo, a.hi = min(a.lo, b.lo), max(a.hi, b.hi)
	}
}

// rebin spreads the fine counts over the bins of b (whose range holds
// every finite value). A fine bin whose values (from the least to the
// greatest seen) lie inside one output bin goes there whole, so the
// histogram is exact unless two values less than 2^-7 of their distance
// from the center apart lie on both sides of an edge: only such a fine
// bin is split, in proportion to the overlaps of its range (rounded so
// that the counts still add up exactly), and a value can then only be
// counted in a bin that its fine bin overlaps. Data with few distinct
// values (block scales) is binned exactly.
func (h *fineHist) rebin(b binner, counts []int64) {
	for k := range h.bins {
		fb := &h.bins[k]
		c := fb.n
		if c == 0 {
			continue
		}
		lo := max(float64(fb.lo)+h.center, b.lo)
		hi := min(float64(fb.hi)+h.center, b.hi)
		i, j := b.bin(lo), b.bin(hi)
		if i >= j || !(hi > lo) {
			counts[i] += c
			continue
		}
		var given int64
		for x := i; x < j; x++ {
			upto := int64(math.Round(float64(c) * (b.edges[x+1] - lo) / (hi - lo)))
			upto = max(given, min(upto, c))
			counts[x] += upto - given
			given = upto
		}
		counts[j] += c - given
	}
}

// codeHist counts one- or two-byte elements by their stored code (and
// channel, for per-channel quantized bytes): the exact histogram of a
// type with at most 65,536 values, kept in a loop of one increment per
// element.
type codeHist []int64

func newCodeHist(unitBytes, channels int64) codeHist {
	return make(codeHist, channels<<(8*unitBytes))
}

// add8 counts the byte codes of b, off (channel<<8) added.
func (h codeHist) add8(b []byte, off int) {
	h = h[off : off+256]
	for _, c := range b {
		h[c]++
	}
}

// add16 counts the little-endian two-byte codes of b.
func (h codeHist) add16(b []byte) {
	for ; len(b) >= 2; b = b[2:] {
		h[binary.LittleEndian.Uint16(b)]++
	}
}

func (h codeHist) merge(o codeHist) {
	for k, c := range o {
		h[k] += c
	}
}

// rebin adds each code's count to the bin of its value (decoded and
// dequantized like the data; codes of NaN and ±Inf are left out).
func (h codeHist) rebin(value func(code int) float64, b binner, counts []int64) {
	for k, c := range h {
		if c == 0 {
			continue
		}
		if v := value(k); !math.IsNaN(v) && !math.IsInf(v, 0) {
			counts[b.bin(v)] += c
		}
	}
}

// addCentered takes in a run of values in one loop: counts, extremes, and
// the sums of the deviations d = v - c from the center c and of their
// squares (the run's mean is c + Σd/n and M2 = Σd² - (Σd)²/n), binning
// each d into h when h is not nil. The shifted sums lose precision only
// when the run's mean is far from c compared with its spread: when the
// subtraction cancels more than 6 of float64's 16 digits, M2 is summed
// again from the run's mean (the run is still in cache). vs may be
// overwritten.
func (m *moments) addCentered(vs []float64, c float64, h *fineHist) {
	lo, hi := m.min, m.max
	var s1, s2 float64
	var zeros, bad int64
	for _, v := range vs {
		if v-v != 0 { // NaN or ±Inf
			bad++
			continue
		}
		if v == 0 {
			zeros++
		}
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
		d := v - c
		s1 += d
		s2 += d * d
		if h != nil {
			h.one(float32(d))
		}
	}
	m.zeros += zeros
	m.min, m.max = lo, hi
	fin := vs
	if bad > 0 {
		fin = m.finiteOnly(vs)
	}
	n := float64(len(fin))
	if n == 0 {
		return
	}
	mean, m2 := c+s1/n, s2-s1*s1/n
	if m2 < 1e-6*s2 || math.IsInf(s2, 0) {
		var sum float64
		for _, v := range fin {
			sum += v
		}
		mean = sum / n
		m2 = sqDev(fin, mean, false)
	}
	m.merge(moments{n: int64(len(fin)), mean: mean, m2: m2, min: lo, max: hi})
}

// one counts f, a value minus the center.
func (h *fineHist) one(f float32) {
	b := &h.bins[math.Float32bits(f)>>16]
	b.n++
	if f < b.lo {
		b.lo = f
	}
	if f > b.hi {
		b.hi = f
	}
}
