package ncnn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
	"github.com/modelpeek/modelpeek/model"
)

func TestManifest(t *testing.T) {
	facts.CheckEntries(t, testenv.ManifestEntries(t, "ncnn"), Open)
}

// TestWeightsLocated checks that the tiny MLP's weights are placed in its
// .bin and account for the whole file.
func TestWeightsLocated(t *testing.T) {
	for _, name := range []string{"tiny_mlp.param", "tiny_mlp.param.bin"} {
		m, err := Open(context.Background(), filepath.Join(testenv.Corpus(t), "ncnn/mlp", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Warnings) > 0 {
			t.Errorf("%s: warnings %q", name, m.Warnings)
		}
		var got []string
		for _, w := range m.Graph.Initializers {
			got = append(got, w.Name+model.ShapeOf(w.Shape).String())
		}
		if len(got) != 4 || len(m.Files) != 2 {
			t.Errorf("%s: weights %q, files %q", name, got, m.Files)
		}
	}
}

// openNoPanic opens data as a file: an error or a model, never a panic.
func openNoPanic(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(context.Background(), path)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "ncnn: ") {
			t.Errorf("%d bytes: error without the format name: %v", len(data), err)
		}
		return
	}
	model.Summarize(m)
}

func TestHostile(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"huge counts":      "7767517\n2147483647 2147483647\nInput in 0 1 in\n",
		"negative counts":  "7767517\n-1 4\nInput in 0 1 in\n",
		"bad bottom count": "7767517\n1 1\nInput in 99999999 1 in\n",
		"bad param":        "7767517\n1 1\nInput in 0 1 in 999=3\n",
		"array length lie": "7767517\n1 1\nInput in 0 1 in -23300=99999999\n",
		"not numbers":      "7767517\n1 1\nInput in 0 1 in 0=abc,1\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) { openNoPanic(t, filepath.Join(dir, "a.param"), []byte(text)) })
	}
	bin := []int32{magic, 1, 1 << 30, 16, 0, 1 << 30}
	b := make([]byte, 0, 4*len(bin))
	for _, v := range bin {
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	openNoPanic(t, filepath.Join(dir, "b.param.bin"), b)
	for _, rel := range []string{"ncnn/mlp/tiny_mlp.param.bin", "ncnn/branches/split_slice_two_heads.param.bin", "ncnn/mlp/tiny_mlp.param"} {
		data, err := os.ReadFile(filepath.Join(testenv.Corpus(t), rel))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n++ {
			openNoPanic(t, filepath.Join(dir, "cut.param.bin"), data[:n])
		}
		for i := 0; i < len(data); i++ {
			bad := append([]byte(nil), data...)
			bad[i] ^= 0x80
			openNoPanic(t, filepath.Join(dir, "flip.param.bin"), bad)
		}
	}
}

func FuzzOpen(f *testing.F) {
	for _, e := range testenv.ManifestEntries(f, "ncnn") {
		if data, err := os.ReadFile(e.Abs()); err == nil && len(data) < 1<<16 {
			f.Add(data)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.param")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if m, err := Open(context.Background(), p); err == nil {
			model.Summarize(m)
		}
	})
}

// TestWeightLayouts places weights stored as float16, int8 (with int8
// scales) and raw float32 and checks the offsets add up to the file.
func TestWeightLayouts(t *testing.T) {
	dir := t.TempDir()
	param := "7767517\n4 4\n" +
		"Input in 0 1 in 0=4 1=4 2=2\n" +
		"Convolution c16 1 1 in a 0=2 1=1 5=1 6=4\n" +
		"ConvolutionDepthWise dw8 1 1 a b 0=2 1=3 5=0 6=18 7=2 8=101\n" +
		"BatchNorm bn 1 1 b out 0=2\n"
	le := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
		}
		return b
	}
	var bin []byte
	bin = append(bin, le(tagFloat16, 0, 0)...)       // 4 float16 weights
	bin = append(bin, le(0, 0)...)                   // 2 float32 biases
	bin = append(bin, le(tagInt8, 0, 0, 0, 0, 0)...) // 18 int8 weights, padded to 20
	bin = append(bin, le(0, 0, 0, 0)...)             // 2 weight scales, bottom and top scale
	bin = append(bin, make([]byte, 4*2*4)...)        // BatchNorm: 4 arrays of 2
	os.WriteFile(filepath.Join(dir, "m.param"), []byte(param), 0o644)
	os.WriteFile(filepath.Join(dir, "m.bin"), bin, 0o644)
	m, err := Open(context.Background(), filepath.Join(dir, "m.param"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) > 0 {
		t.Fatalf("warnings %q", m.Warnings)
	}
	got := map[string]string{}
	for _, w := range m.Graph.Initializers {
		got[w.Name] = string(w.DType) + model.ShapeOf(w.Shape).String()
	}
	want := map[string]string{"c16.weight": "float16[2,2,1,1]", "c16.bias": "float32[2]", "dw8.weight": "int8[2,1,3,3]",
		"dw8.weight_int8_scales": "float32[2]", "dw8.top_int8_scales": "float32[1]", "bn.var": "float32[2]"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
