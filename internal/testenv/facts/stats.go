package facts

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// TensorStats is one tensor_stats fact (corpus README); First holds
// numbers or the strings "nan", "inf", "-inf".
type TensorStats struct {
	DType string  `json:"dtype"`
	Shape []int64 `json:"shape"`
	Count int64   `json:"count"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	Std   float64 `json:"std"`
	Zeros int64   `json:"zeros"`
	NaN   int64   `json:"nan"`
	Inf   int64   `json:"inf"`
	First []any   `json:"first"`
}

// StatsFile is a model file with tensor_stats facts.
type StatsFile struct {
	// Path is the file's absolute path; Format its manifest format.
	Path, Format string
	Tensors      map[string]TensorStats
}

// StatsFacts gathers every tensor_stats fact: the manifests' entries (any
// format) and tensor-stats-existing.json, failing when there are none.
func StatsFacts(t testing.TB) []StatsFile {
	t.Helper()
	var out []StatsFile
	for _, e := range testenv.Manifests(t) {
		var f struct {
			TensorStats map[string]TensorStats `json:"tensor_stats"`
		}
		if json.Unmarshal(e.Facts, &f) == nil && len(f.TensorStats) > 0 {
			out = append(out, StatsFile{Path: e.Abs(), Format: e.Format, Tensors: f.TensorStats})
		}
	}
	corpus := testenv.Corpus(t)
	raw, err := os.ReadFile(filepath.Join(corpus, "tensor-stats-existing.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Files map[string]struct {
			TensorStats map[string]TensorStats `json:"tensor_stats"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatalf("tensor-stats-existing.json: %v", err)
	}
	for p, f := range ex.Files {
		format, _, _ := strings.Cut(p, "/")
		out = append(out, StatsFile{Path: filepath.Join(corpus, filepath.FromSlash(p)), Format: format, Tensors: f.TensorStats})
	}
	if len(out) == 0 {
		t.Fatal("no tensor_stats facts found")
	}
	return out
}

// CompareStats checks statistics against a fact with the corpus README's
// tolerances: counts exact; min, max and first within relative 1e-6 (the
// facts are float32 values printed in float64, so only summation order
// may differ); mean and std within relative 1e-5 with an absolute floor
// of 1e-7 × max(|min|, |max|); and a histogram whose edges outnumber its
// counts by one and whose counts add up to the finite values.
func CompareStats(s *model.Stats, w TensorStats) []string {
	var bad []string
	add := func(what string, got, want any) {
		bad = append(bad, what+": got "+jsonString(got)+", want "+jsonString(want))
	}
	if NormDType(string(s.DType)) != NormDType(w.DType) {
		add("dtype", s.DType, w.DType)
	}
	if s.Count != w.Count || s.Zeros != w.Zeros || s.NaN != w.NaN || s.Inf != w.Inf {
		add("count/zeros/nan/inf", []int64{s.Count, s.Zeros, s.NaN, s.Inf}, []int64{w.Count, w.Zeros, w.NaN, w.Inf})
	}
	if s.Sampled {
		add("sampled", s.Sampled, false)
	}
	floor := 1e-7 * math.Max(math.Abs(w.Min), math.Abs(w.Max))
	for _, c := range []struct {
		what      string
		got, want float64
		rel       float64
	}{{"min", s.Min, w.Min, 1e-6}, {"max", s.Max, w.Max, 1e-6}, {"mean", s.Mean, w.Mean, 1e-5}, {"std", s.Std, w.Std, 1e-5}} {
		if !near(c.got, c.want, c.rel, floor) {
			add(c.what, c.got, c.want)
		}
	}
	if len(s.First) != len(w.First) {
		add("len(first)", len(s.First), len(w.First))
	}
	for i := range min(len(s.First), len(w.First)) {
		if !sameFirst(s.First[i], w.First[i]) {
			add("first", s.First[i], w.First[i])
		}
	}
	var sum int64
	for _, c := range s.Histogram.Counts {
		sum += c
	}
	if len(s.Histogram.Edges) != len(s.Histogram.Counts)+1 || sum != s.Count-s.NaN-s.Inf {
		add("histogram", s.Histogram, "edges = counts+1, counts summing to finite count")
	}
	return bad
}

func near(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= math.Max(rel*math.Abs(want), abs)
}

func sameFirst(got float64, want any) bool {
	switch w := want.(type) {
	case string:
		return (w == "nan" && math.IsNaN(got)) || (w == "inf" && math.IsInf(got, 1)) || (w == "-inf" && math.IsInf(got, -1))
	case float64:
		return near(got, w, 1e-6, 0)
	}
	return false
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
