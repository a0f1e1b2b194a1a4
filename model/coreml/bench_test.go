package coreml

import "testing"

// BenchmarkEmptyLayers decodes a network of 200,000 empty layers.
func BenchmarkEmptyLayers(b *testing.B) {
	data := emptyLayers(200_000)
	for b.Loop() {
		if _, err := decodeBytes(b, data); err != nil {
			b.Fatal(err)
		}
	}
}
