package onnx

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// seedFiles are corpus files small enough to seed fuzzing and to test
// every truncated prefix of.
var seedFiles = []string{
	"onnx/onnx-helper/local_functions_sparse_metadata.onnx",
	"onnx/torch/scripted_control_flow_loop_if.onnx",
	"onnx/torch/function_net_local_functions.onnx",
	"onnx/testdata/test_if_opt.onnx",
	"onnx/testdata/test_loop16_seq_none.onnx",
	"onnx/testdata/test_gradient_of_add_and_mul.onnx",
	"onnx/torch/tiny_cnn_external_data/tiny_cnn.onnx",
}

// fuzzSeeds are the seedFiles small enough for fuzzing to mutate well.
var fuzzSeeds = []string{seedFiles[0], seedFiles[1], seedFiles[3], seedFiles[4], seedFiles[5], seedFiles[6]}

// FuzzDecode checks that no input makes the decoder panic, hang or
// allocate without bound, and that the value numbers it gives the main
// graph fit it. Run: go test -fuzz FuzzDecode ./model/onnx
func FuzzDecode(f *testing.F) {
	dir := testenv.Corpus(f)
	for _, p := range fuzzSeeds {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(chainModel(3))
	f.Add(nestedModel(5))
	if b, err := os.ReadFile(filepath.Join(testdataDir, "data/node/test_abs/test_data_set_0/input_0.pb")); err == nil {
		f.Add(b)
	}
	tmp := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		timer := time.AfterFunc(30*time.Second, func() { panic("decode took more than 30s: a hang") })
		defer timer.Stop()
		m, err := decodeBytes(context.Background(), data, filepath.Join(tmp, "fuzz.onnx"))
		if err != nil {
			return
		}
		if n := m.Graph.Numbers; n != nil && !n.Valid(m.Graph) {
			t.Fatalf("the value numbers do not fit the decoded graph")
		}
		s := model.Summarize(m)
		if s.Nodes < len(m.Graph.Nodes) {
			t.Fatalf("summary counts %d nodes, graph has %d", s.Nodes, len(m.Graph.Nodes))
		}
		for _, tn := range m.Graph.Initializers {
			if l := tn.Location; l != nil && l.File == filepath.Join(tmp, "fuzz.onnx") && l.Offset+l.Length > int64(len(data)) {
				t.Fatalf("tensor %q: location %d+%d past the end (%d bytes)", tn.Name, l.Offset, l.Length, len(data))
			}
		}
	})
}

// TestTruncatedPrefixes decodes every prefix of a few corpus files: each
// either decodes or fails with an error; none panics.
func TestTruncatedPrefixes(t *testing.T) {
	dir := testenv.Corpus(t)
	total := 0
	for _, p := range seedFiles {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for n := 0; n < len(b); n++ {
			if _, err := decodeBytes(context.Background(), b[:n], filepath.Join(dir, p)); err != nil {
				failed++
			}
		}
		total += len(b)
		if _, err := decodeBytes(context.Background(), b, filepath.Join(dir, p)); err != nil {
			t.Fatalf("%s: whole file: %v", p, err)
		}
		t.Logf("%s: %d of %d prefixes rejected", p, failed, len(b))
	}
	t.Logf("%d prefixes decoded without a panic", total)
}

// TestHostileLengths covers lengths past the end and varints that never
// end, in the model and in nested messages.
func TestHostileLengths(t *testing.T) {
	cases := map[string][]byte{
		"graph length past EOF":  pbLenPrefix(modelHeader(), modelGraph, 1<<40),
		"node length past graph": pbBytes(modelHeader(), modelGraph, pbLenPrefix(nil, graphNode, 100)),
		"endless varint":         append(modelHeader(), 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		"group wire type":        pbBytes(modelHeader(), modelGraph, []byte{graphNode<<3 | 3}),
		"huge string":            pbBytes(modelHeader(), modelGraph, pbLenPrefix(nil, graphName, 1<<62)),
		"bad packed dims":        pbBytes(modelHeader(), modelGraph, pbBytes(nil, graphInitializer, pbBytes(pbVarint(nil, tensorDataType, 1), tensorDims, []byte{0xff, 0xff}))),
		"raw data past tensor":   pbBytes(modelHeader(), modelGraph, pbBytes(nil, graphInitializer, pbLenPrefix(pbVarint(nil, tensorDataType, 1), tensorRawData, 1<<30))),
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	for name, data := range cases {
		if _, err := decodeBytes(context.Background(), data, "/nonexistent/h.onnx"); err == nil {
			t.Errorf("%s: decoded without error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	runtime.ReadMemStats(&ms)
	if grew := ms.TotalAlloc - before; grew > 16<<20 {
		t.Errorf("hostile inputs allocated %d bytes", grew)
	}
}
