package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
)

// gatedLibrary holds back every model (its graph and its details) until
// open is closed; the list answers at once.
type gatedLibrary struct {
	*fixture.Library
	open chan struct{}
}

func (l gatedLibrary) Get(ctx context.Context, id string) (server.ModelInfo, *model.Model, error) {
	select {
	case <-l.open:
	case <-ctx.Done():
		return server.ModelInfo{}, nil, ctx.Err()
	}
	return l.Library.Get(ctx, id)
}

// TestPageBeforeGraph checks that opening a model never blocks the page:
// while the graph has not arrived, the toolbar, the model's name and the
// loading indication are shown, and the page already waits for the
// graph; once the model is let through, the graph is drawn.
func TestPageBeforeGraph(t *testing.T) {
	lib := gatedLibrary{Library: fixture.NewLibrary(), open: make(chan struct{})}
	id := lib.Add("resnet_like.onnx", fixture.ResNetLike())
	e := startServerOver(t, lib.Library, lib)
	ctx := newBrowser(t)
	run(t, ctx, 30*time.Second, chromedp.Navigate(e.pageURL("model="+id)))
	// Hang bound: the page shows these within about 100 ms.
	waitTrue(t, ctx, 10*time.Second, "the toolbar, model name and loading indication before the graph", `(() => {
	  const g = document.getElementById('graph'), tab = document.querySelector('#tabs .tab.active .tab-name');
	  const vis = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
	  const loading = getComputedStyle(g, '::after').content.includes('Loading');
	  const asked = performance.getEntriesByName('graph-fetch', 'mark').length > 0; // loadGraph awaits the graph
	  return g.dataset.state === 'loading' && loading && asked && vis(document.getElementById('btn-fit')) &&
	    vis(document.getElementById('btn-open')) && vis(tab) && tab.textContent === 'resnet_like.onnx';
	})()`)
	var state string
	eval(t, ctx, `document.getElementById('graph').dataset.state`, &state)
	if state != "loading" {
		t.Fatalf("graph state %q while the model is held back", state)
	}
	close(lib.open)
	st := waitGraph(t, ctx, 30*time.Second, isReady)
	if st.Nodes == 0 {
		t.Errorf("graph ready with no nodes: %+v", st)
	}
}

// TestProgressiveDraw checks that a graph past the progressive threshold
// (lowered with ?progressive= so a small graph crosses it) shows a first
// frame of its boxes before it is ready, and ends up drawn exactly as when
// drawn in one step.
func TestProgressiveDraw(t *testing.T) {
	lib := fixture.NewLibrary()
	id := lib.Add("transformer.onnx", fixture.Transformer(2000))
	e := startServer(t, lib)
	ctx := newBrowser(t)
	type drawn struct {
		View  string  `json:"view"`
		Fit   int     `json:"fit"`
		Close int     `json:"close"`
		First float64 `json:"first"`
		Ready float64 `json:"ready"`
	}
	get := func(threshold string) drawn {
		navigate(t, ctx, e, "model="+id+"&expand=all&progressive="+threshold)
		var d drawn
		eval(t, ctx, `(() => { const m = performance.getEntriesByName('first-frame', 'mark');
		  return {first: m.length ? m[0].startTime : -1, ready: window.modelpeekReadyAt}; })()`, &d)
		eval(t, ctx, drawnView, &d)
		return d
	}
	one, two := get("1000000"), get("1000")
	if one.First != -1 {
		t.Errorf("a graph under the threshold was drawn in two steps (first frame at %.0f ms)", one.First)
	}
	if two.First < 0 || two.First > two.Ready {
		t.Errorf("progressive drawing: first frame at %.0f ms, ready at %.0f ms; want a first frame before ready", two.First, two.Ready)
	}
	if one.View != two.View || one.Fit != two.Fit || one.Close != two.Close {
		t.Errorf("drawn in two steps differs from one step: pixels %x/%x vs %x/%x", two.Fit, two.Close, one.Fit, one.Close)
	}
}
