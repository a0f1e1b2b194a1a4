package shapeinfer_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx"
	"github.com/modelpeek/modelpeek/model/onnx/shapeinfer"
)

// BenchmarkInfer measures inference alone on the corpus's largest graph,
// against BenchmarkOpen (decoding, which includes it) for the ratio.
func BenchmarkInfer(b *testing.B) {
	m := openBench(b)
	opt := shapeinfer.Options{DType: onnx.DType}
	for b.Loop() {
		shapeinfer.Infer(context.Background(), m.Graph, opt)
	}
}

func BenchmarkOpen(b *testing.B) {
	openBench(b)
	for b.Loop() {
		openBench(b)
	}
}

func openBenchPath(b *testing.B) string {
	return filepath.Join(testenv.Corpus(b), "onnx", "onnx-helper", "transformer_pattern_2000_nodes.onnx")
}

func openBench(b *testing.B) *model.Model {
	m, err := onnx.Open(context.Background(), openBenchPath(b))
	if err != nil {
		b.Fatal(err)
	}
	return m
}
