package web

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// sample is the manifest entry chosen to show one format in the browser,
// with the model it decodes to.
type sample struct {
	entry testenv.Entry
	m     *model.Model
	// sub is the index of the first top-level node holding a subgraph, -1
	// when none does.
	sub int
}

// registryFormat maps a manifest format to the decoder that opens it.
func registryFormat(manifest string) string {
	if manifest == "safetensors-index" {
		return "safetensors"
	}
	return manifest
}

// samplesByFormat picks, for every registered format, the first valid
// manifest entry (both manifests, in order) whose model has a node
// subgraph or several root graphs, else the first that has nodes, else the
// first that opens: so a format registered later is shown with no change
// here.
func samplesByFormat(t *testing.T, lib *fixture.Library) map[string]sample {
	t.Helper()
	rank := func(s sample) int {
		switch {
		case s.sub >= 0 || len(s.m.Functions) > 0:
			return 2
		case s.m.Graph != nil && len(s.m.Graph.Nodes) > 0:
			return 1
		}
		return 0
	}
	out := map[string]sample{}
	for _, e := range testenv.Manifests(t) {
		name := registryFormat(e.Format)
		if !e.Valid() || e.Bytes > 8<<20 || (out[name].m != nil && rank(out[name]) == 2) {
			continue
		}
		m, err := lib.Registry().Open(context.Background(), e.Abs())
		if err != nil || m.Format != name || m.Graph == nil {
			continue
		}
		s := sample{entry: e, m: m, sub: firstSubgraphNode(m.Graph)}
		if out[name].m == nil || rank(s) > rank(out[name]) {
			out[name] = s
		}
	}
	return out
}

func firstSubgraphNode(g *model.Graph) int {
	for i, n := range g.Nodes {
		if len(n.Subgraphs()) > 0 {
			return i
		}
	}
	return -1
}

// TestEveryRegisteredFormat shows one manifest file of every registered
// format in the viewer with every group open: the drawn counts are the
// view's own, the model panel names the format, no error is shown; a node
// subgraph is entered and left by the path bar, and a second root graph
// (signature, method, function) is chosen in the graph selector.
func TestEveryRegisteredFormat(t *testing.T) {
	lib := fixture.NewLibrary()
	samples := samplesByFormat(t, lib)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	for _, f := range lib.Registry().Formats() {
		s, ok := samples[f.Name]
		if !ok {
			if f.Name != fixture.TestFormat().Name {
				t.Errorf("%s: no manifest file of this format opens", f.Name)
			}
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Logf("%s: subgraph node %d, %d more root graphs", s.entry.Name(), s.sub, len(s.m.Functions))
			id := lib.Add(s.entry.Name(), s.m)
			st := navigate(t, ctx, e, "expand=all&model="+id)
			checkDrawn(t, ctx, st, f.Name)
			shot(t, ctx, "format-"+f.Name)
			if s.sub >= 0 {
				enterAndLeave(t, ctx, s.m.Graph, s.sub)
			}
			if len(s.m.Functions) > 0 {
				chooseSecondRoot(t, ctx)
			}
		})
	}
}

// checkDrawn compares #graph with the view and the model panel.
func checkDrawn(t *testing.T, ctx context.Context, st graphState, format string) {
	t.Helper()
	if st.State != "ready" || st.Error != "" {
		t.Fatalf("state %q, error %q", st.State, st.Error)
	}
	var stats struct {
		Nodes int `json:"modelNodes"`
		Edges int `json:"modelEdges"`
	}
	eval(t, ctx, `modelpeek.view().stats`, &stats)
	if st.Nodes != stats.Nodes || st.Edges != stats.Edges {
		t.Errorf("#graph says %d nodes, %d edges; the view %d, %d", st.Nodes, st.Edges, stats.Nodes, stats.Edges)
	}
	panel := waitContains(ctx, "#sidebar", "format\t"+format, 10*time.Second)
	if !strings.Contains(panel, "format\t"+format) {
		t.Errorf("the model panel does not name the format %q:\n%s", format, panel)
	}
}

// enterAndLeave double-clicks node idx of g, sees its first subgraph drawn
// and named in the path bar, and goes back with Backspace.
func enterAndLeave(t *testing.T, ctx context.Context, g *model.Graph, idx int) {
	t.Helper()
	id := nodeID(t, ctx, `n.index === `+strconv.Itoa(idx))
	clickNode(t, ctx, id, true)
	sub := g.Nodes[idx].Subgraphs()[0]
	st := waitGraph(t, ctx, 20*time.Second, func(s graphState) bool {
		return s.State == "ready" && strings.Contains(text(t, ctx, "#breadcrumb"), "›")
	})
	if len(sub.Nodes) > 0 && st.Nodes == 0 {
		t.Errorf("the %s subgraph has %d nodes, none drawn", g.Nodes[idx].OpType, len(sub.Nodes))
	}
	eval(t, ctx, `(window.dispatchEvent(new KeyboardEvent('keydown', {key: 'Backspace'})), true)`, new(bool))
	waitGraph(t, ctx, 20*time.Second, func(s graphState) bool {
		return s.State == "ready" && !strings.Contains(text(t, ctx, "#breadcrumb"), "›")
	})
}

// chooseSecondRoot picks the second graph of the graph selector and sees it
// drawn, then goes back to the first.
func chooseSecondRoot(t *testing.T, ctx context.Context) {
	t.Helper()
	var n int
	eval(t, ctx, `document.querySelectorAll('#graph-select option').length`, &n)
	if n < 2 {
		t.Fatalf("a model with several root graphs offers %d in the selector", n)
	}
	pick := func(i int) {
		eval(t, ctx, `(() => { const s = document.getElementById('graph-select'); s.selectedIndex = `+strconv.Itoa(i)+`;
		  s.dispatchEvent(new Event('change')); return true; })()`, new(bool))
		waitGraph(t, ctx, 20*time.Second, func(s graphState) bool {
			var sel int
			evalErr(ctx, 5*time.Second, `document.getElementById('graph-select').selectedIndex`, &sel)
			return s.State == "ready" && sel == i
		})
	}
	pick(1)
	pick(0)
}
