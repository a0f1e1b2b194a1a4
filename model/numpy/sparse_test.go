//go:build linux

package numpy

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSparseNPY opens a sparse 16 GiB .npy: only its header is read.
func TestSparseNPY(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.npy")
	head := npy(1, hdr("'<f4'", "(65536, 65536)"), nil)
	if err := os.WriteFile(p, head, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, int64(len(head))+4*65536*65536); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	m, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("16 GiB .npy opened in %v", d)
	if l := m.Graph.Initializers[0].Location; l.Length != 4*65536*65536 || l.Offset != int64(len(head)) {
		t.Fatalf("location %+v", *l)
	}
	// A hang bound, 10x the 100 ms target: reading the 16 GiB would take
	// minutes.
	if d > time.Second {
		t.Errorf("took %v, more than 10x the 100 ms target", d)
	}
}
