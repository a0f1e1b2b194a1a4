package compare_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/compare"
	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// transformerPair returns two copies of a generated transformer graph of
// n nodes; the second loses its node names when nameless.
func transformerPair(n int, nameless bool) (a, b *model.Model) {
	a = &model.Model{Format: "onnx", Graph: layout.GenTransformer(n)}
	b = &model.Model{Format: "onnx", Graph: layout.GenTransformer(n)}
	if nameless {
		for _, nd := range b.Graph.Nodes {
			nd.Name = ""
		}
	}
	return a, b
}

// TestStructuralMatching: without names, a transformer still pairs
// (almost) every node with its own copy, by structure alone.
func TestStructuralMatching(t *testing.T) {
	a, b := transformerPair(2000, true)
	r, err := compare.Models(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for _, p := range r.Pairs {
		if p.A == p.B {
			right++
		}
		if p.Score <= 0 || p.Score > 1 {
			t.Fatalf("pair %+v: score outside (0, 1]", p)
		}
	}
	n := len(a.Graph.Nodes)
	t.Logf("nameless: %d of %d matched, %d to their own copy", r.Nodes.Matched, n, right)
	if 10*right < 9*n {
		t.Errorf("only %d of %d nodes paired with their copy", right, n)
	}
}

// BenchmarkMatch10k matches two 10,000-node graphs (target under 300 ms),
// by name and by structure alone.
func BenchmarkMatch10k(b *testing.B) {
	for _, nameless := range []bool{false, true} {
		b.Run(fmt.Sprintf("nameless=%v", nameless), func(b *testing.B) {
			ma, mb := transformerPair(10000, nameless)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := compare.Models(context.Background(), ma, mb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sparseTensor makes a sparse file of size bytes holding one float32
// tensor that is zero except for one value, and returns it as a model.
func sparseTensor(tb testing.TB, dir, name string, size int64, value float32) *model.Model {
	tb.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		tb.Fatal(err)
	}
	buf := binary.LittleEndian.AppendUint32(nil, math.Float32bits(value))
	if _, err := f.WriteAt(buf, size/2); err != nil {
		tb.Fatal(err)
	}
	t := &model.Tensor{Name: "w", DType: "float32", Shape: []int64{size / 4},
		Location: &model.Location{File: p, Length: size, Encoding: model.EncRaw}}
	return &model.Model{Format: "raw", Graph: &model.Graph{Initializers: []*model.Tensor{t}}}
}

// compareSparse compares two sparse single-tensor files of size bytes
// that differ in one value.
func compareSparse(tb testing.TB, size int64) *compare.Result {
	dir := tb.TempDir()
	a, b := sparseTensor(tb, dir, "a", size, 0), sparseTensor(tb, dir, "b", size, 3)
	r, err := compare.Models(context.Background(), a, b)
	if err != nil {
		tb.Fatal(err)
	}
	if len(r.Weights.Changed) != 1 || r.Weights.Changed[0].MaxAbsDiff == nil || *r.Weights.Changed[0].MaxAbsDiff != 3 {
		tb.Fatalf("weights %+v: want one changed by 3", r.Weights)
	}
	return r
}

// TestStreamBoundedMemory compares two 128 MB tensors: the heap allocated
// during the comparison stays far below one tensor's size.
func TestStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 256 MB")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	compareSparse(t, 128<<20)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %.1f MB comparing two 128 MB tensors", float64(alloc)/(1<<20))
	if alloc > 16<<20 {
		t.Errorf("allocated %d bytes; the values are not streamed", alloc)
	}
}

// BenchmarkStreamWeights compares two sparse weight files
// (MODELPEEK_DIFF_BIG_MB, default 512 MB each) and reports the process's
// peak RSS.
func BenchmarkStreamWeights(b *testing.B) {
	size := int64(512)
	if v, err := strconv.ParseInt(os.Getenv("MODELPEEK_DIFF_BIG_MB"), 10, 64); err == nil && v > 0 {
		size = v
	}
	b.SetBytes(2 * size << 20)
	for range b.N {
		compareSparse(b, size<<20)
	}
	b.ReportMetric(float64(peakRSS(b))/1024, "peakRSS-MB")
}

// peakRSS reads VmHWM in kB (0 where /proc is absent).
func peakRSS(tb testing.TB) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// TestStructuralEdit: nameless on both sides, a node inserted in the
// middle of B is the one node added, and the rest pair with their copies.
func TestStructuralEdit(t *testing.T) {
	a, b := transformerPair(2000, true)
	for _, nd := range a.Graph.Nodes {
		nd.Name = ""
	}
	g := b.Graph
	mid := len(g.Nodes) / 2
	prev := g.Nodes[mid-1]
	ins := &model.Node{OpType: "Identity", Inputs: []string{prev.Outputs[0]}, Outputs: []string{"inserted"}}
	for _, nd := range g.Nodes[mid:] {
		for k, in := range nd.Inputs {
			if in == prev.Outputs[0] {
				nd.Inputs[k] = "inserted"
			}
		}
	}
	g.Nodes = slices.Insert(g.Nodes, mid, ins)
	r, err := compare.Models(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Nodes.Added) != 1 || r.Nodes.Added[0] != "Identity#"+strconv.Itoa(mid) || len(r.Nodes.Removed) != 0 {
		t.Errorf("added %q removed %q, want only the inserted Identity", r.Nodes.Added, r.Nodes.Removed)
	}
	right := 0
	for _, p := range r.Pairs {
		if p.B == p.A || p.A >= mid && p.B == p.A+1 {
			right++
		}
	}
	if n := len(a.Graph.Nodes); 100*right < 99*n {
		t.Errorf("%d of %d nodes paired with their copy", right, n)
	}
}
