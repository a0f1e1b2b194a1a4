package web

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv"
)

// moduleFacts are the facts of a whole pickled nn.Module entry.
type moduleFacts struct {
	ModuleClass string   `json:"module_class"`
	Submodules  []string `json:"submodules"`
	StateDict   map[string]struct {
		DType string `json:"dtype"`
	} `json:"state_dict"`
}

// TestWholeModuleInViewer opens every whole pickled nn.Module of the
// manifests (facts.module_class): the pickle holds the module tree and
// the weights, not forward(), so the page draws no edge, every submodule
// is a box or a group, the model panel says the file stores no data flow,
// and the parameter map shows every data type of the state dict.
func TestWholeModuleInViewer(t *testing.T) {
	lib := fixture.NewLibrary()
	type opened struct {
		id, name string
		facts    moduleFacts
	}
	var models []opened
	for _, e := range testenv.ManifestEntries(t, "pytorch") {
		var f moduleFacts
		if err := json.Unmarshal(e.Facts, &f); err != nil || f.ModuleClass == "" || !e.Valid() {
			continue
		}
		models = append(models, opened{lib.OpenFile(context.Background(), e.Abs()), e.Name(), f})
	}
	if len(models) == 0 {
		t.Fatal("no whole pickled module in the manifests")
	}
	e := startServer(t, lib)
	ctx := newBrowser(t)
	for i, m := range models {
		st := navigate(t, ctx, e, "model="+m.id+"&expand=all")
		var drawn struct {
			Edges int      `json:"edges"`
			Names []string `json:"names"`
		}
		eval(t, ctx, `(() => { const v = modelpeek.view(); return {edges: v.edges.length,
		  names: v.nodes.map(n => n.name || '').concat(v.groups.map(g => g.id.replace(/^g:/, '')))}; })()`, &drawn)
		if st.Nodes == 0 || st.Edges != 0 || drawn.Edges != 0 {
			t.Errorf("%s: drawn %d boxes and %d edges (%d lines), want boxes and no edge", m.name, st.Nodes, st.Edges, drawn.Edges)
		}
		for _, s := range m.facts.Submodules {
			if !slices.ContainsFunc(drawn.Names, func(n string) bool { return n == s || strings.HasPrefix(n, s+".") }) {
				t.Errorf("%s: submodule %s is neither a box nor a group", m.name, s)
			}
		}
		if got := waitContains(ctx, "#sidebar", "no data flow", 10*time.Second); !strings.Contains(got, "no data flow") {
			t.Errorf("%s: the model panel does not say the file stores no data flow", m.name)
		}
		shot(t, ctx, "whole-module-"+strconv.Itoa(i))
		run(t, ctx, 10*time.Second, chromedp.Click("#btn-params"))
		for _, dt := range dtypes(m.facts) {
			if got := waitContains(ctx, "#parammap", dt, 10*time.Second); !strings.Contains(got, dt) {
				t.Errorf("%s: the parameter map lacks %s: %q", m.name, dt, got)
			}
		}
	}
	shot(t, ctx, "whole-module-parammap")
}

// dtypes lists the data types of a module's state dict, sorted.
func dtypes(f moduleFacts) []string {
	var out []string
	for _, t := range f.StateDict {
		if !slices.Contains(out, t.DType) {
			out = append(out, t.DType)
		}
	}
	slices.Sort(out)
	return out
}
