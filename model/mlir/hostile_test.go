package mlir

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// openNoPanic opens data as a file: an error naming the format, or a
// usable model.
func openNoPanic(t *testing.T, path string, data []byte) *model.Model {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(context.Background(), path)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "mlir: ") {
			t.Errorf("%d bytes: error without the format name: %v", len(data), err)
		}
		return nil
	}
	model.Summarize(m)
	return m
}

func TestHostile(t *testing.T) {
	dir := t.TempDir()
	deep := strings.Repeat(`"a.b"() ({`+"\n", 10000) + strings.Repeat("})\n", 10000)
	cases := map[string]string{
		"regions 10^4 deep":   "func.func @main() {\n" + deep + "return\n}\n",
		"unterminated string": "func.func @main() {\n %0 = \"a.b\"() {x = \"oops} : () -> ()\n}\n",
		"unterminated angle":  "func.func @main(%a: tensor<4xf32) {\n return\n}\n",
		"unbalanced parens":   "func.func @main() {\n %0 = a.b ))) : f32\n}\n",
		"result count lie":    "func.func @main() {\n %0:99999999999 = a.b : f32\n}\n",
		"no function":         "module {\n}\n",
		"bytecode":            "ML\xefR\x00\x01garbage",
		"only a brace":        "{",
		"dangling block":      "func.func @main() {\n^bb0(\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) { openNoPanic(t, filepath.Join(dir, "a.mlir"), []byte(text)) })
	}
	if openNoPanic(t, filepath.Join(dir, "b.mlir"), []byte("ML\xefR\x00")) != nil {
		t.Error("bytecode was accepted")
	}
	for _, e := range testenv.ManifestEntries(t, "mlir") {
		data, err := os.ReadFile(e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n += 13 {
			openNoPanic(t, filepath.Join(dir, "cut.mlir"), data[:n])
		}
		for i := 0; i < len(data); i += 17 {
			bad := append([]byte(nil), data...)
			bad[i] = "{}()<>\"%:,\n"[i%11]
			openNoPanic(t, filepath.Join(dir, "flip.mlir"), bad)
		}
	}
}

func TestDetect(t *testing.T) {
	for text, want := range map[string]model.Confidence{
		"// RUN: x\nmodule {\n}":            model.Strong,
		"module @jit attributes {a = 1} {":  model.Strong,
		"func.func @main() {":               model.Strong,
		"\"builtin.module\"() ({":           model.Strong,
		"#map = affine_map<(d0) -> (d0)>\n": model.Plausible,
		"module.exports = function() {}":    model.No,
		"these are my notes":                model.No,
		"ML\xefR\x00":                       model.Strong,
	} {
		if got := Detect([]byte(text), int64(len(text))); got != want {
			t.Errorf("Detect(%.30q) = %v, want %v", text, got, want)
		}
	}
}

func FuzzOpen(f *testing.F) {
	for _, e := range testenv.ManifestEntries(f, "mlir") {
		if data, err := os.ReadFile(e.Abs()); err == nil && len(data) < 1<<16 {
			f.Add(data)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.mlir")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if m, err := Open(context.Background(), p); err == nil {
			model.Summarize(m)
		}
	})
}

// TestBigConstant checks that a large literal is located, not copied: the
// tensor points at its text and attributes show a bounded prefix.
func TestBigConstant(t *testing.T) {
	lit := `dense<"0x` + strings.Repeat("00", 4*5000) + `">`
	src := "func.func @main() -> tensor<5000xf32> {\n  %cst = stablehlo.constant " + lit + " : tensor<5000xf32>\n  return %cst : tensor<5000xf32>\n}\n"
	m := openNoPanic(t, filepath.Join(t.TempDir(), "big.mlir"), []byte(src))
	if m == nil || len(m.Graph.Initializers) != 1 {
		t.Fatalf("model %+v", m)
	}
	w := m.Graph.Initializers[0]
	if w.Location == nil || w.Location.Length != int64(len(lit)) || src[w.Location.Offset:w.Location.Offset+w.Location.Length] != lit {
		t.Errorf("location %+v", w.Location)
	}
	for _, a := range m.Graph.Nodes[0].Attrs {
		if len(a.String) > maxAttrText+8 || (a.Name == "syntax" && !a.Truncated) {
			t.Errorf("attribute %s: %d bytes, truncated %v", a.Name, len(a.String), a.Truncated)
		}
	}
}

// TestGenericArgsWired checks that a generic function's entry block
// arguments are its inputs, read by its ops under the same names.
func TestGenericArgsWired(t *testing.T) {
	m, err := Open(context.Background(), filepath.Join(testenv.Corpus(t), "mlir/tosa/tosa_mlp.generic.mlir"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Graph.Nodes {
		if n.OpType == "tosa.fully_connected" && n.Inputs[0] != "%arg0" {
			t.Errorf("fully_connected reads %q, want the input %%arg0", n.Inputs)
		}
	}
}

func TestBytecodeRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.mlirbc")
	os.WriteFile(p, []byte("ML\xefR\x0dStableHLO_v1.0\x00rest"), 0o644)
	_, err := Open(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), `version 6 from "StableHLO_v1.0" is not supported yet`) {
		t.Fatalf("err = %v", err)
	}
}
