package model

import (
	"context"
	"math"
	"reflect"
	"runtime"
	"testing"
)

// TestOnePassAgreesWithTwoPass checks ReadStats against the former
// two-pass statistics on generated tensors of every specialised decoder,
// small (exact histogram: identical bins) and large (parallel chunks and
// the re-binned fine histogram: values may move only to a neighbouring
// bin near an edge, so the bins differ by little; 8- and 16-bit types are
// counted per code, so exactly).
func TestOnePassAgreesWithTwoPass(t *testing.T) {
	for _, dtype := range []string{"float32", "float16", "bfloat16", "int8", "q4_0", "q8_0"} {
		for _, n := range []int{32 * 1000, 5 << 20} {
			tn := benchTensor(t, dtype, n)
			got, err := ReadStats(context.Background(), tn, StatsOptions{Bins: 48})
			if err != nil {
				t.Fatalf("%s: %v", dtype, err)
			}
			want, err := twoPassStats(context.Background(), tn, 48)
			if err != nil {
				t.Fatal(err)
			}
			exact := n <= exactHistValues || dtype == "float16" || dtype == "bfloat16" || dtype == "int8"
			compareOnePass(t, dtype, got, want, exact)
		}
	}
}

func compareOnePass(t *testing.T, what string, got, want *Stats, exact bool) {
	t.Helper()
	if got.Count != want.Count || got.Read != want.Read || got.Sampled || got.Zeros != want.Zeros || got.NaN != want.NaN || got.Inf != want.Inf {
		t.Errorf("%s: counts %+v, want %+v", what, got, want)
	}
	if got.Min != want.Min || got.Max != want.Max || !reflect.DeepEqual(fmtFirst(got.First), fmtFirst(want.First)) {
		t.Errorf("%s: min %v max %v first %v, want %v %v %v", what, got.Min, got.Max, got.First, want.Min, want.Max, want.First)
	}
	for _, p := range [][2]float64{{got.Mean, want.Mean}, {got.Std, want.Std}} {
		if math.Abs(p[0]-p[1]) > 1e-9*math.Max(math.Abs(p[1]), 1e-12) {
			t.Errorf("%s: mean/std %v, want %v", what, p[0], p[1])
		}
	}
	if !reflect.DeepEqual(got.Histogram.Edges, want.Histogram.Edges) {
		t.Errorf("%s: edges %v, want %v", what, got.Histogram.Edges, want.Histogram.Edges)
	}
	var sum, moved int64
	for i, c := range got.Histogram.Counts {
		sum += c
		moved += max(0, c-want.Histogram.Counts[i])
	}
	finite := want.Count - want.NaN - want.Inf
	if sum != finite || exact && moved != 0 || moved > finite/500 {
		t.Errorf("%s: histogram %v (sum %d), want %v (sum %d)", what, got.Histogram.Counts, sum, want.Histogram.Counts, finite)
	}
	t.Logf("%s: %d of %d values in another bin than the two-pass histogram's", what, moved, finite)
}

// fmtFirst makes NaNs comparable.
func fmtFirst(vs []float64) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = jsonFloatString(v)
	}
	return out
}

func jsonFloatString(v float64) string {
	b, _ := Stats{First: []float64{v}}.MarshalJSON()
	return string(b)
}

// TestOnePassSameForAnyWorkers checks that the figures do not depend on
// how many workers read the chunks (the chunks merge in element order).
func TestOnePassSameForAnyWorkers(t *testing.T) {
	tn := benchTensor(t, "float32", 5<<20)
	var stats []*Stats
	for _, procs := range []int{1, 2, 5} {
		prev := runtime.GOMAXPROCS(procs)
		s, err := ReadStats(context.Background(), tn, StatsOptions{})
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		stats = append(stats, s)
	}
	for _, s := range stats[1:] {
		if !reflect.DeepEqual(fmtFirst([]float64{s.Mean, s.Std, s.Min, s.Max}), fmtFirst([]float64{stats[0].Mean, stats[0].Std, stats[0].Min, stats[0].Max})) ||
			!reflect.DeepEqual(s.Histogram, stats[0].Histogram) {
			t.Errorf("figures differ with the number of workers: %+v and %+v", s, stats[0])
		}
	}
}
