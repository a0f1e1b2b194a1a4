package onnx

import (
	"context"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// TestBudgetScalesWithFile: a real graph of 500,000 nodes opens (its
// estimated structure is past the 256 MiB a fixed budget allowed), while
// the budget of a small file stays small. TestAbsurdCounts covers the
// hostile side: a small file of millions of empty nodes is refused.
func TestBudgetScalesWithFile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: decodes 500,000 nodes")
	}
	const n = 500_000
	data := chainModel(n)
	m, err := decodeBytes(context.Background(), data, "/nonexistent/chain.onnx")
	if err != nil {
		t.Fatalf("%d nodes in %d MB: %v", n, len(data)>>20, err)
	}
	if got := model.CountNodes(m.Graph); got != n {
		t.Fatalf("%d nodes, want %d", got, n)
	}
	if limit := memoryLimit(int64(len(data))); limit <= 256<<20 {
		t.Errorf("a %d MB file gets a budget of %d MiB, no more than a fixed 256 MiB", len(data)>>20, limit>>20)
	}
	if limit := memoryLimit(1 << 20); limit > 64<<20 {
		t.Errorf("a 1 MiB file gets a budget of %d MiB", limit>>20)
	}
}
