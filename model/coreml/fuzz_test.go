package coreml

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// FuzzOpen decodes arbitrary bytes as a Core ML spec, whole and through
// the read window. Seeds: the corpus specs and crafted nestings. There is
// no recover: a panic fails the run.
func FuzzOpen(f *testing.F) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "coreml")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.mlmodel"))
	pkgs, _ := filepath.Glob(filepath.Join(dir, "*.mlpackage", "Data", "com.apple.CoreML", "model.mlmodel"))
	for _, p := range append(paths, pkgs...) {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add(nestedPipelines(3))
	f.Add(nestedLoops(3))
	f.Add(craftedProgram())
	tmp := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeBytes(t, data)
		if err == nil {
			model.Summarize(m)
		}
		p := filepath.Join(tmp, "f.mlmodel")
		if os.WriteFile(p, data, 0o644) != nil {
			return
		}
		if m2, err2 := openSpecFile(t.Context(), p, 0); (err == nil) != (err2 == nil) {
			t.Fatalf("whole-file and windowed decodes disagree: %v / %v", err, err2)
		} else if err2 == nil && model.CountNodes(m2.Graph) != model.CountNodes(m.Graph) {
			t.Fatal("whole-file and windowed decodes differ")
		}
	})
}

// FuzzMILText parses arbitrary text as a model.mil.
func FuzzMILText(f *testing.F) {
	f.Add(controlFlowMIL)
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "real-world", "coreml", "coremltools", "add_model.mlmodelc", "model.mil")); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, src string) {
		d := &decoder{ctx: t.Context(), src: bytesSource(nil), path: "/nonexistent/model.mil"}
		p := &milParser{lex: milLexer{src: src}, d: d}
		fns := p.parseProgram()
		if p.err == nil {
			m := &model.Model{Facts: map[string]any{}}
			if programModel(fns, d, m) == nil {
				model.Summarize(m)
			}
		}
	})
}
