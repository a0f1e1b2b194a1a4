package model

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// MaxChannels is the most channels ReadChannels reports.
const MaxChannels = 8192

// Channels are per-channel statistics of a tensor along one axis: the
// range and mean of each channel's finite values (a conv or linear
// weight's output channels).
type Channels struct {
	Name string    `json:"name"`
	Axis int       `json:"axis"`
	Dims []int64   `json:"dims"`
	Min  []float64 `json:"min"`
	Max  []float64 `json:"max"`
	Mean []float64 `json:"mean"`
	// Sampled is set when the time budget ran out after Read values.
	Sampled bool  `json:"sampled,omitempty"`
	Read    int64 `json:"read"`
}

// ReadChannels streams t's values (dequantized, like ReadStats) and
// gathers statistics per index along axis of dims, the tensor's shape in
// storage order (slowest dimension first; GGUF's ne reversed). A channel
// without finite values has min, max and mean 0.
func ReadChannels(ctx context.Context, t *Tensor, dims []int64, axis int, budget time.Duration) (*Channels, error) {
	src, err := newValueSource(t)
	if err != nil {
		return nil, err
	}
	n, ok := NumElements(dims)
	if !ok || n != src.count || axis < 0 || axis >= len(dims) {
		return nil, fmt.Errorf("axis %d of shape %v does not fit tensor %q", axis, dims, t.Name)
	}
	k := dims[axis]
	if k <= 0 || k > MaxChannels {
		return nil, fmt.Errorf("%d channels along axis %d (at most %d are shown)", k, axis, MaxChannels)
	}
	inner := int64(1)
	for _, d := range dims[axis+1:] {
		inner *= d
	}
	if budget <= 0 {
		budget = DefaultStatsBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	c := &Channels{Name: t.Name, Axis: axis, Dims: dims, Min: make([]float64, k), Max: make([]float64, k), Mean: make([]float64, k)}
	for i := range c.Min {
		c.Min[i], c.Max[i] = math.Inf(1), math.Inf(-1)
	}
	finite := make([]int64, k)
	var at int64
	read, err := src.each(ctx, src.count, func(vs []float64) {
		for _, v := range vs {
			ch := (at / inner) % k
			at++
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			finite[ch]++
			c.Mean[ch] += v
			c.Min[ch], c.Max[ch] = min(c.Min[ch], v), max(c.Max[ch], v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	for i := range finite {
		if finite[i] == 0 {
			c.Min[i], c.Max[i], c.Mean[i] = 0, 0, 0
			continue
		}
		c.Mean[i] /= float64(finite[i])
	}
	c.Read, c.Sampled = read, read < src.count
	return c, nil
}

// MarshalJSON spells non-finite numbers as strings, like Attribute does.
func (c Channels) MarshalJSON() ([]byte, error) {
	type plain Channels
	return json.Marshal(struct {
		plain
		Min  []any `json:"min"`
		Max  []any `json:"max"`
		Mean []any `json:"mean"`
	}{plain(c), jsonNumbers(c.Min), jsonNumbers(c.Max), jsonNumbers(c.Mean)})
}
