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
	// cover only the leading Read elements.
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

// ReadStats streams a tensor's data from its Location in bounded memory
// (two passes: moments and extremes, then deviations and histogram).
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
	p1, err := firstPass(ctx, src, s)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if err := secondPass(ctx, src, s, p1, opt.Bins); err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	return s, nil
}

// firstPass counts, finds the extremes and the mean; it returns the
// number of finite values seen.
func firstPass(ctx context.Context, src *valueSource, s *Stats) (int64, error) {
	var sum float64
	var finite int64
	s.Min, s.Max = math.Inf(1), math.Inf(-1)
	n, err := src.each(ctx, src.count, func(vs []float64) {
		for _, v := range vs {
			if len(s.First) < firstValues {
				s.First = append(s.First, v)
			}
			switch {
			case math.IsNaN(v):
				s.NaN++
				continue
			case math.IsInf(v, 0):
				s.Inf++
				continue
			case v == 0:
				s.Zeros++
			}
			finite++
			sum += v
			s.Min, s.Max = min(s.Min, v), max(s.Max, v)
		}
	})
	if err != nil {
		return 0, err
	}
	s.Read = n
	s.Sampled = n < src.count
	if finite == 0 {
		s.Min, s.Max = 0, 0
		return 0, nil
	}
	s.Mean = sum / float64(finite)
	return finite, nil
}

// secondPass reads the same elements again for the standard deviation
// (sum of squared deviations, exact where one pass is not) and histogram.
func secondPass(ctx context.Context, src *valueSource, s *Stats, finite int64, bins int) error {
	h := newHistogram(s.Min, s.Max, bins)
	s.Histogram = Histogram{Edges: h.edges, Counts: make([]int64, len(h.edges)-1)}
	if finite == 0 {
		return nil
	}
	var sq float64
	_, err := src.each(context.WithoutCancel(ctx), s.Read, func(vs []float64) {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			d := v - s.Mean
			sq += d * d
			s.Histogram.Counts[h.bin(v)]++
		}
	})
	s.Std = math.Sqrt(sq / float64(finite))
	return err
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
