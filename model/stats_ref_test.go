package model

import (
	"context"
	"fmt"
	"math"
)

// twoPassStats is the former ReadStats, kept as the reference the
// one-pass statistics are checked and benchmarked against: a first pass
// for counts, extremes and the mean, a second pass over the same values
// for the squared deviations and the histogram. No time budget.
func twoPassStats(ctx context.Context, t *Tensor, bins int) (*Stats, error) {
	src, err := newValueSource(t)
	if err != nil {
		return nil, err
	}
	s := &Stats{Name: t.Name, DType: t.DType, Shape: t.Shape, Count: src.count, First: []float64{}}
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
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	s.Read = n
	if finite == 0 {
		s.Min, s.Max = 0, 0
	} else {
		s.Mean = sum / float64(finite)
	}
	h := newHistogram(s.Min, s.Max, bins)
	s.Histogram = Histogram{Edges: h.edges, Counts: make([]int64, len(h.edges)-1)}
	if finite == 0 {
		return s, nil
	}
	var sq float64
	_, err = src.each(ctx, s.Read, func(vs []float64) {
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
	return s, err
}
