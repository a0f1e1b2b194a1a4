package tensorflow

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/model"
)

// frozenChain writes a frozen GraphDef of n nodes: a Placeholder, then a
// chain of Relu/AddV2 nodes each reading the one before (AddV2 also reads
// the Placeholder), as an exported inference graph is shaped.
func frozenChain(t testing.TB, n int) string {
	t.Helper()
	var file []byte
	file = bytesField(file, 1, node("x", "Placeholder", nil, nil))
	prev := "x"
	for i := 1; i < n; i++ {
		name := "layer_" + strconv.Itoa(i)
		op, ins := "Relu", []string{prev}
		if i%2 == 0 {
			op, ins = "AddV2", []string{prev, "x"}
		}
		file = bytesField(file, 1, node(name, op, ins, nil))
		prev = name
	}
	path := filepath.Join(t.TempDir(), "frozen.pb")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFrozenGraph100k opens a frozen GraphDef of 100,000 nodes. The bound
// is a hang bound, 10x the 1 s target of issue 15 (about 0.3 s here);
// BenchmarkFrozenGraph100k measures the figure.
func TestFrozenGraph100k(t *testing.T) {
	path := frozenChain(t, 100_000)
	start := time.Now()
	m, err := Open(context.Background(), path)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	s := model.Summarize(m)
	if s.Nodes != 100_000 || s.Ops["AddV2"] != 49_999 || len(s.Inputs) != 1 {
		t.Fatalf("summary: %d nodes, ops %v, inputs %v", s.Nodes, s.Ops, s.Inputs)
	}
	t.Logf("100,000-node frozen graph opened in %v", took)
	if took > 10*time.Second {
		t.Errorf("opening took %v, more than 10x the 1 s target", took)
	}
}

func BenchmarkFrozenGraph100k(b *testing.B) {
	path := frozenChain(b, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
}
