package tflite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// BenchmarkOpenMobileNetV2 opens the largest corpus model (4 MB, 65
// operators, per-channel quantised weights).
func BenchmarkOpenMobileNetV2(b *testing.B) {
	path := filepath.Join(testenv.Corpus(b), "tflite", "tflite-micro", "mobilenet_v2_quantized_1x3x224x224.tflite")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
}
