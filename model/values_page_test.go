package model_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv/facts"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// near reports whether got is within rel of want, or within abs.
func near(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= math.Max(rel*math.Abs(want), abs)
}

// sameFirst compares a value with a facts' first value: a number within
// relative 1e-6, or "nan", "inf", "-inf".
func sameFirst(got float64, want any) bool {
	switch w := want.(type) {
	case string:
		return w == "nan" && math.IsNaN(got) || w == "inf" && math.IsInf(got, 1) || w == "-inf" && math.IsInf(got, -1)
	case float64:
		return near(got, w, 1e-6, 0)
	}
	return false
}

// TestValuePagesAndChannelsAgreeWithFacts reads every tensor with
// tensor_stats facts: the first page of values must be the facts' first
// values, a page read from the middle (seeking by element or ggml block)
// must equal the same values read from the start, and the per-channel
// ranges along the slowest axis must cover the facts' min and max and
// average to their mean.
func TestValuePagesAndChannelsAgreeWithFacts(t *testing.T) {
	n := 0
	for _, f := range facts.StatsFacts(t) {
		path, want := f.Path, f.Tensors
		m, err := all.Registry().Open(context.Background(), path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		for name, w := range want {
			tn := model.FindTensor(m, name)
			if tn == nil {
				t.Errorf("%s: no tensor %q", path, name)
				continue
			}
			n++
			where := filepath.Base(path) + " " + name
			checkPages(t, where, tn, w)
			dims := slices.Clone(tn.Shape)
			if strings.HasSuffix(path, ".gguf") {
				slices.Reverse(dims)
			}
			if len(dims) >= 2 {
				checkChannels(t, where, tn, dims, w)
			}
		}
	}
	t.Logf("%d tensors paged", n)
}

func checkPages(t *testing.T, where string, tn *model.Tensor, w facts.TensorStats) {
	first, err := model.ReadValues(context.Background(), tn, 0, 8)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	for i := range min(len(first), len(w.First)) {
		if !sameFirst(first[i], w.First[i]) {
			t.Errorf("%s: value %d is %v, facts %v", where, i, first[i], w.First[i])
		}
	}
	off := w.Count / 2
	count := min(int64(40), w.Count-off)
	var whole []float64
	got, err := model.StreamValues(context.Background(), tn, func(vs []float64) error {
		whole = append(whole, vs...)
		return nil
	})
	if err != nil || got != w.Count || int64(len(whole)) != w.Count {
		t.Errorf("%s: streamed %d values of %d, %v", where, got, w.Count, err)
		return
	}
	page, err := model.ReadValues(context.Background(), tn, off, count)
	if err != nil || !sameValues(page, whole[off:off+count]) {
		t.Errorf("%s: page at %d = %v (%v), want %v", where, off, page, err, whole[off:off+count])
	}
	if _, err := model.ReadValues(context.Background(), tn, w.Count+1, 1); err == nil {
		t.Errorf("%s: an offset past the end reads", where)
	}
}

func sameValues(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })
}

func checkChannels(t *testing.T, where string, tn *model.Tensor, dims []int64, w facts.TensorStats) {
	c, err := model.ReadChannels(context.Background(), tn, dims, 0, time.Minute)
	if err != nil {
		t.Errorf("%s: channels: %v", where, err)
		return
	}
	if int64(len(c.Min)) != dims[0] || c.Sampled || c.Read != w.Count {
		t.Errorf("%s: %d channels for dims %v, read %d of %d", where, len(c.Min), dims, c.Read, w.Count)
		return
	}
	floor := 1e-7 * math.Max(math.Abs(w.Min), math.Abs(w.Max))
	if lo, hi := slices.Min(c.Min), slices.Max(c.Max); !near(lo, w.Min, 1e-6, floor) || !near(hi, w.Max, 1e-6, floor) {
		t.Errorf("%s: channel ranges span [%v, %v], facts [%v, %v]", where, lo, hi, w.Min, w.Max)
	}
	if w.NaN+w.Inf > 0 {
		return // channel means are over each channel's finite values
	}
	var sum float64
	for _, v := range c.Mean {
		sum += v
	}
	if mean := sum / float64(len(c.Mean)); !near(mean, w.Mean, 1e-5, floor) {
		t.Errorf("%s: channel means average %v, facts mean %v", where, mean, w.Mean)
	}
}
