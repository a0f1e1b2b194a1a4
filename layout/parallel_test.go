package layout

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// TestSameOnAnyWorkers checks that a layout does not depend on how many
// goroutines share its parallel stages (the boxes' placing, the edges'
// routes, the four alignments, the name-scope trie): graphs with tens of
// thousands of layers, laid out with every group open on one worker and
// on four, give the same view, with crossing reduction and without it.
func TestSameOnAnyWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("lays out 60,000-node graphs")
	}
	for _, c := range []struct {
		name string
		g    *model.Graph
	}{
		{"transformer", GenTransformer(30_000)},
		{"resnet", GenResNet(30_000)},
	} {
		for _, sweeps := range []int{0, -1} {
			sameOnAnyWorkers(t, c.name, c.g, Options{ExpandAll: true, Sweeps: sweeps})
		}
	}
}

// sameOnAnyWorkers lays g out on one worker and on four and compares.
func sameOnAnyWorkers(t *testing.T, name string, g *model.Graph, opts Options) {
	t.Helper()
	var got [2][]byte
	for i, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		v := mustLayout(t, g, opts)
		runtime.GOMAXPROCS(prev)
		v.Stats.LayoutMillis = 0
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = b
	}
	if string(got[0]) != string(got[1]) {
		t.Errorf("%s, sweeps %d: the view on one worker (%d bytes) differs from the view on four (%d bytes)",
			name, opts.Sweeps, len(got[0]), len(got[1]))
	}
}
