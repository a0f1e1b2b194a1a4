package onnx

import (
	"context"
	"runtime"
	"testing"
)

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkIRBytesPerNode opens a 100,000-node chain (every value typed by
// shape inference) and reports the heap its IR holds per node after a
// collection: what 500,000-node models cost to keep open.
func BenchmarkIRBytesPerNode(b *testing.B) {
	const n = 100_000
	path := writeTemp(b, "chain.onnx", chainModel(n))
	var perNode float64
	for b.Loop() {
		before := liveHeap()
		m, err := Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		perNode = float64(liveHeap()-before) / n
		runtime.KeepAlive(m)
	}
	b.ReportMetric(perNode, "B/node")
}
