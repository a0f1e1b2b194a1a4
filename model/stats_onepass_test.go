package model

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"
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
// how many workers read the chunks (the chunks merge in element order),
// on data whose runs switch between mostly zeros and not.
func TestOnePassSameForAnyWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 5 << 20
	var data []byte
	for i := range n {
		v := float32(r.NormFloat64())
		if (i/(3<<15))%3 == 1 {
			v = 0
		}
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
	}
	p := filepath.Join(t.TempDir(), "mixed.bin")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	tn := &Tensor{Name: "mixed", DType: "float32", Shape: []int64{n}, Location: &Location{File: p, Length: int64(len(data)), Encoding: EncRaw}}
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

// TestReadStatsRefusesHostileTensors gives ReadStats tensors whose
// records lie (bad offsets, data shorter than the shape or past the file,
// blocks cut short): each is an error, never a panic, within a hang bound
// of 10 s (10x a read of these few bytes on a loaded machine).
func TestReadStatsRefusesHostileTensors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.bin")
	if err := os.WriteFile(p, make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	loc := func(off, n int64, enc Encoding) *Location {
		return &Location{File: p, Offset: off, Length: n, Encoding: enc}
	}
	for name, tn := range map[string]*Tensor{
		"negative offset":    {DType: "float32", Shape: []int64{4}, Location: loc(-8, 16, EncRaw)},
		"offset overflows":   {DType: "float32", Shape: []int64{4}, Location: loc(math.MaxInt64-4, 16, EncRaw)},
		"data past the file": {DType: "float16", Shape: []int64{400000}, Location: loc(0, 800000, EncRaw)},
		"fewer bytes":        {DType: "float32", Shape: []int64{2, 100}, Location: loc(0, 100, EncRaw)},
		"block cut":          {DType: "q4_0", Shape: []int64{64, 2}, Location: loc(0, 20, EncOpaque)},
		"blocks past file":   {DType: "q8_0", Shape: []int64{32, 40}, Location: loc(0, 34*40, EncOpaque)},
		"varints past file":  {DType: "int32", Shape: []int64{400}, Location: loc(50, 400, EncVarint)},
		"sub-byte short":     {DType: "int4", Shape: []int64{401}, Location: loc(0, 200, EncRaw)},
		"missing file":       {DType: "float32", Shape: []int64{4}, Location: &Location{File: p + ".gone", Length: 16, Encoding: EncRaw}},
	} {
		tn.Name = name
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if s, err := ReadStats(ctx, tn, StatsOptions{}); err == nil {
			t.Errorf("%s: statistics %+v", name, s)
		}
		cancel()
	}
}

// TestOnePassGenericDecoders checks the element decoders without a
// specialised loop (sub-byte with an odd count, big-endian, float64,
// varints read in one stream, per-channel dequantization, counted per
// channel and code so exactly) against the two-pass statistics.
func TestOnePassGenericDecoders(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 100001
	var f64, be16, nib, vari, i8 []byte
	for i := range n {
		f64 = binary.LittleEndian.AppendUint64(f64, math.Float64bits(r.NormFloat64()))
		be16 = binary.BigEndian.AppendUint16(be16, uint16(r.IntN(1<<16)))
		if i%2 == 0 {
			nib = append(nib, byte(r.IntN(256)))
		}
		vari = binary.AppendUvarint(vari, uint64(r.IntN(1<<20)))
		i8 = append(i8, byte(r.IntN(256)))
	}
	p := filepath.Join(t.TempDir(), "g.bin")
	all := [][]byte{f64, be16, nib, vari, i8}
	var data []byte
	var offs []int64
	for _, b := range all {
		offs = append(offs, int64(len(data)))
		data = append(data, b...)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	loc := func(k int, enc Encoding) *Location {
		return &Location{File: p, Offset: offs[k], Length: int64(len(all[k])), Encoding: enc}
	}
	scales, zeros := make([]float64, 256), make([]int64, 256)
	for i := range scales {
		scales[i], zeros[i] = 0.01+r.Float64(), int64(r.IntN(256))
	}
	for _, tn := range []*Tensor{
		{Name: "float64", DType: "float64", Shape: []int64{n}, Location: loc(0, EncRaw)},
		{Name: "int16 big-endian", DType: "int16", Shape: []int64{n}, Location: loc(1, EncRawBigEndian)},
		{Name: "int4", DType: "int4", Shape: []int64{n}, Location: loc(2, EncRaw)},
		{Name: "varint", DType: "int32", Shape: []int64{n}, Location: loc(3, EncVarint)},
		{Name: "int8 per channel", DType: "int8", Shape: []int64{7, n / 7}, Location: loc(4, EncRaw),
			Quant: &Quantization{Scale: []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}, ZeroPoint: []int64{0, 1, 2, 3, 4, 5, 6}}},
		{Name: "uint8 256 channels", DType: "uint8", Shape: []int64{3, 256, 130}, Location: loc(4, EncRaw),
			Quant: &Quantization{Scale: scales, ZeroPoint: zeros, Axis: 1}},
	} {
		got, err := ReadStats(context.Background(), tn, StatsOptions{Bins: 48})
		if err != nil {
			t.Fatalf("%s: %v", tn.Name, err)
		}
		want, err := twoPassStats(context.Background(), tn, 48)
		if err != nil {
			t.Fatal(err)
		}
		compareOnePass(t, tn.Name, got, want, tn.Quant != nil)
	}
}

// TestOnePassFarFromCenter gives the one-loop sums (shifted by the first
// run's mean) a tensor whose first run is far from the rest, and a
// tensor of a narrow spread far from zero: the figures and the fine
// histogram must still agree with the two-pass ones.
func TestOnePassFarFromCenter(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 300000
	var far, narrow []byte
	for i := range n {
		v := r.NormFloat64() * 1e-3
		if i < 40000 {
			v += 1e8
		}
		far = binary.LittleEndian.AppendUint64(far, math.Float64bits(v))
		narrow = binary.LittleEndian.AppendUint32(narrow, math.Float32bits(float32(1000+r.NormFloat64()*1e-3)))
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"float64": far, "float32": narrow} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		tn := &Tensor{Name: name, DType: DType(name), Shape: []int64{n}, Location: &Location{File: p, Length: int64(len(data)), Encoding: EncRaw}}
		got, err := ReadStats(context.Background(), tn, StatsOptions{Bins: 48})
		if err != nil {
			t.Fatal(err)
		}
		want, err := twoPassStats(context.Background(), tn, 48)
		if err != nil {
			t.Fatal(err)
		}
		compareOnePass(t, name, got, want, false)
	}
}

// TestSpreadOrder checks the order chunks are taken in: every chunk once,
// chunk 0 first, and any prefix of the order spread over the tensor (the
// first k chunks leave no gap wider than about n/k chunks).
func TestSpreadOrder(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 64, 100, 1000} {
		order := spreadOrder(n)
		seen := make([]bool, n)
		for _, c := range order {
			if c < 0 || c >= n || seen[c] {
				t.Fatalf("n=%d: order %v", n, order)
			}
			seen[c] = true
		}
		if len(order) != n || order[0] != 0 {
			t.Fatalf("n=%d: order %v", n, order)
		}
		for k := 2; k <= n; k *= 2 {
			taken := slices.Sorted(slices.Values(order[:k]))
			gap := n - taken[k-1]
			for i := 1; i < k; i++ {
				gap = max(gap, taken[i]-taken[i-1])
			}
			if gap > 2*n/k+1 {
				t.Errorf("n=%d: the first %d chunks %v leave a gap of %d", n, k, taken, gap)
			}
		}
	}
}
