package model

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Stats are statistics of a tensor's values over the whole tensor,
// dequantized where the tensor is quantized (affine scale and zero point,
// ggml block types). Min, Max, Mean and Std are over the finite values.
type Stats struct {
	Name  string  `json:"name"`
	DType DType   `json:"dtype"`
	Shape []int64 `json:"shape"`
	// Count is the number of elements in the tensor.
	Count int64   `json:"count"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	// Std is the population standard deviation (ddof 0).
	Std   float64 `json:"std"`
	Zeros int64   `json:"zeros"`
	NaN   int64   `json:"nan"`
	Inf   int64   `json:"inf"`
	// Histogram bins the finite values read.
	Histogram Histogram `json:"histogram"`
	// First holds the first (up to 8) values in stored order.
	First []float64 `json:"first"`
	// Sampled is set when the time budget ran out: the figures then
	// cover the Read elements of the chunks read, spread over the tensor
	// (a prefix for data that must be read in order, such as varints).
	Sampled bool  `json:"sampled,omitempty"`
	Read    int64 `json:"read"`
}

// Histogram is counts of values in bins; len(Edges) == len(Counts)+1.
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts []int64   `json:"counts"`
}

// StatsOptions tune ReadStats.
type StatsOptions struct {
	// Budget bounds the time spent reading; past it the statistics are
	// marked Sampled. Zero means DefaultStatsBudget.
	Budget time.Duration
	// Bins is the number of histogram bins; zero means 32.
	Bins int
}

// DefaultStatsBudget is the time ReadStats spends before sampling.
const DefaultStatsBudget = 10 * time.Second

const firstValues = 8

// ReadStats reads a tensor's data from its Location in one streaming
// pass in bounded memory. Fixed-layout data (raw elements, ggml blocks) is
// split into chunks read by up to GOMAXPROCS workers, each keeping its own
// moments and histogram, merged at the end. The mean and standard
// deviation are exact to rounding (moments); the histogram needs the
// range before binning, so instead of a second read it is exact for
// tensors of up to 65,536 values (kept), for 8- and 16-bit elements
// (counted per stored code, codeHist), and otherwise re-binned from a
// fine histogram of resolution 2^-7 relative to the distance from a
// center (fineHist). Past the time
// budget the figures cover the chunks read, spread over the tensor, and
// are marked Sampled.
func ReadStats(ctx context.Context, t *Tensor, opt StatsOptions) (*Stats, error) {
	src, err := newValueSource(t)
	if err != nil {
		return nil, err
	}
	if opt.Budget <= 0 {
		opt.Budget = DefaultStatsBudget
	}
	if opt.Bins <= 0 {
		opt.Bins = 32
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Budget)
	defer cancel()
	s := &Stats{Name: t.Name, DType: t.DType, Shape: t.Shape, Count: src.count, First: []float64{}}
	var r statsRead
	sc, split, err := newScan(src)
	switch {
	case err != nil:
	case split:
		r, err = sc.run(ctx)
		s.First = sc.first
	default:
		r, err = streamStats(ctx, src, s)
	}
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	r.fill(s, opt.Bins)
	return s, nil
}

// statsRead is what one read of a tensor gathered.
type statsRead struct {
	m     moments
	read  int64
	exact []float64   // the finite values, for a small tensor
	fine  []*fineHist // otherwise their fine histograms
	codes []codeHist  // or the counts of stored codes
	// codeValue is the value of a stored code.
	codeValue func(code int) float64
}

// streamStats reads data that cannot be split at byte offsets (varints)
// in one sequential stream.
func streamStats(ctx context.Context, src *valueSource, s *Stats) (statsRead, error) {
	r := statsRead{m: newMoments()}
	n, err := src.each(ctx, src.count, func(vs []float64) {
		if k := firstValues - len(s.First); k > 0 {
			s.First = append(s.First, vs[:min(k, len(vs))]...)
		}
		if r.fine == nil {
			r.fine = []*fineHist{newFineHist(finiteMean(vs))}
		}
		r.m.addRun(vs, r.fine[0].add)
	})
	r.read = n
	return r, err
}

// finiteMean is the mean of the finite values of vs, 0 for none.
func finiteMean(vs []float64) float64 {
	var sum float64
	var n int
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			sum += v
			n++
		}
	}
	if n == 0 || math.IsInf(sum, 0) {
		return 0
	}
	return sum / float64(n)
}

// fill sets s's figures from what was read.
func (r statsRead) fill(s *Stats, bins int) {
	m := r.m
	s.Read, s.Sampled = r.read, r.read < s.Count
	s.Zeros, s.NaN, s.Inf = m.zeros, m.nan, m.inf
	if m.n == 0 {
		s.Min, s.Max = 0, 0
	} else {
		s.Min, s.Max, s.Mean, s.Std = m.min, m.max, m.mean, math.Sqrt(m.m2/float64(m.n))
	}
	h := newHistogram(s.Min, s.Max, bins)
	s.Histogram = Histogram{Edges: h.edges, Counts: make([]int64, len(h.edges)-1)}
	if m.n == 0 {
		return
	}
	for _, v := range r.exact {
		s.Histogram.Counts[h.bin(v)]++
	}
	if len(r.codes) > 0 {
		for _, c := range r.codes[1:] {
			r.codes[0].merge(c)
		}
		r.codes[0].rebin(r.codeValue, h, s.Histogram.Counts)
	}
	if len(r.fine) > 0 {
		for _, f := range r.fine[1:] {
			r.fine[0].merge(f)
		}
		r.fine[0].rebin(h, s.Histogram.Counts)
	}
}

type binner struct {
	edges  []float64
	lo, hi float64
}

func newHistogram(lo, hi float64, bins int) binner {
	if !(hi > lo) {
		return binner{edges: []float64{lo, hi}, lo: lo, hi: hi}
	}
	e := make([]float64, bins+1)
	for i := range e {
		e[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	e[bins] = hi
	return binner{edges: e, lo: lo, hi: hi}
}

func (b binner) bin(v float64) int {
	n := len(b.edges) - 1
	if n == 1 {
		return 0
	}
	i := int((v - b.lo) / (b.hi - b.lo) * float64(n))
	return max(0, min(i, n-1))
}

// MarshalJSON spells non-finite numbers in First as numpy prints them:
// "nan", "inf", "-inf".
func (s Stats) MarshalJSON() ([]byte, error) {
	type plain Stats
	first := make([]any, len(s.First))
	for i, v := range s.First {
		first[i] = numpyNumber(v)
	}
	edges := make([]any, len(s.Histogram.Edges))
	for i, v := range s.Histogram.Edges {
		edges[i] = numpyNumber(v)
	}
	// Sums of huge float64 values overflow: such figures are spelled as
	// strings too, rather than failing the whole answer.
	return json.Marshal(struct {
		plain
		Min       any `json:"min"`
		Max       any `json:"max"`
		Mean      any `json:"mean"`
		Std       any `json:"std"`
		Histogram struct {
			Edges  []any   `json:"edges"`
			Counts []int64 `json:"counts"`
		} `json:"histogram"`
		First []any `json:"first"`
	}{plain: plain(s), Min: numpyNumber(s.Min), Max: numpyNumber(s.Max), Mean: numpyNumber(s.Mean), Std: numpyNumber(s.Std),
		Histogram: struct {
			Edges  []any   `json:"edges"`
			Counts []int64 `json:"counts"`
		}{edges, s.Histogram.Counts}, First: first})
}

func numpyNumber(v float64) any {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return v
}
