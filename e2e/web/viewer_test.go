package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// sampleModel opens the bundled sample with the ONNX decoder when it can,
// and otherwise uses the generator's in-memory model.
func sampleModel(t testing.TB, lib *fixture.Library) (string, *model.Model) {
	t.Helper()
	path := filepath.Join(testenv.Root(t), fixture.SamplePath)
	m, err := lib.Registry().Open(context.Background(), path)
	if err != nil {
		t.Logf("ONNX decoder cannot open the sample yet (%v); using the generator's model", err)
		m, _ = fixture.Sample()
	}
	return lib.Add("sample.onnx", m), m
}

func TestViewerCounts(t *testing.T) {
	lib := fixture.NewLibrary()
	sid, sm := sampleModel(t, lib)
	rm := fixture.ResNetLike()
	rid := lib.Add("resnet_like.onnx", rm)
	tm := fixture.Transformer(2000)
	tid := lib.Add("transformer_2000.onnx", tm)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	for _, c := range []struct {
		id, name string
		m        *model.Model
	}{{sid, "sample", sm}, {rid, "resnet", rm}, {tid, "transformer", tm}} {
		st := navigate(t, ctx, e, "model="+c.id+"&expand=all")
		wantN, wantE := expectedCounts(c.m.Graph)
		if st.Nodes != wantN || st.Edges != wantE {
			t.Errorf("%s: drawn %d nodes, %d edges; the model has %d nodes, %d edges", c.name, st.Nodes, st.Edges, wantN, wantE)
		}
		var drawn struct{ Ops, Edges int }
		eval(t, ctx, `(() => { const v = modelpeek.view(); const ids = new Set(v.nodes.filter(n => n.kind !== 'group').map(n => n.id));
		  return {ops: v.nodes.filter(n => n.kind === 'op').length, edges: v.edges.filter(e => ids.has(e.from) && ids.has(e.to)).length}; })()`, &drawn)
		if drawn.Ops != st.Nodes || drawn.Edges != st.Edges {
			t.Errorf("%s: data-nodes/edges %d/%d but the view holds %d op boxes and %d lines", c.name, st.Nodes, st.Edges, drawn.Ops, drawn.Edges)
		}
		shot(t, ctx, c.name+"-fit")
	}
	// Without expand=all the transformer opens with groups collapsed: fewer
	// boxes, and clicking a group expands it.
	st := navigate(t, ctx, e, "model="+tid)
	if st.Nodes >= len(tm.Graph.Nodes) {
		t.Logf("transformer opened with %d of %d nodes drawn (groups not collapsed)", st.Nodes, len(tm.Graph.Nodes))
	} else {
		var gid string
		eval(t, ctx, `(() => { const g = modelpeek.view().nodes.find(n => n.kind === 'group'); return g ? g.id : ''; })()`, &gid)
		if gid == "" {
			t.Fatalf("%d of %d nodes drawn but no collapsed group box", st.Nodes, len(tm.Graph.Nodes))
		}
		clickNode(t, ctx, gid, false)
		st2 := waitGraph(t, ctx, 20*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes > st.Nodes })
		t.Logf("collapsed: %d nodes drawn; after expanding %s: %d", st.Nodes, gid, st2.Nodes)
		shot(t, ctx, "transformer-collapsed")
		// Clicking the expanded group's title strip collapses it again.
		var p struct{ X, Y float64 }
		eval(t, ctx, `(() => { const g = modelpeek.view().groups.find(g => g.id === `+jsString(gid)+`);
		  const r = document.getElementById('canvas').getBoundingClientRect(); const s = modelpeek.worldToScreen(g.x + 30, g.y + 8);
		  return {x: r.left + s.x, y: r.top + s.y}; })()`, &p)
		run(t, ctx, 10*time.Second, chromedp.MouseClickXY(p.X, p.Y))
		waitGraph(t, ctx, 20*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == st.Nodes })
	}
	// Under expand=all a group can still be closed (the server's collapse=
	// list), and opened again.
	all := navigate(t, ctx, e, "model="+tid+"&expand=all")
	var gid string
	eval(t, ctx, `(() => { const g = modelpeek.view().groups.find(g => !g.collapsed && !g.parent && g.count > 1); return g ? g.id : ''; })()`, &gid)
	if gid == "" {
		t.Fatal("no open top-level group under expand=all")
	}
	var p struct{ X, Y float64 }
	eval(t, ctx, `(() => { const g = modelpeek.view().groups.find(g => g.id === `+jsString(gid)+`);
	  const s0 = modelpeek.centerOn(`+jsString(gid)+`, 1);
	  const r = document.getElementById('canvas').getBoundingClientRect(); const s = modelpeek.worldToScreen(g.x + 30, g.y + 8);
	  return {x: r.left + s.x, y: r.top + s.y}; })()`, &p)
	run(t, ctx, 10*time.Second, chromedp.MouseClickXY(p.X, p.Y))
	closed := waitGraph(t, ctx, 20*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes < all.Nodes })
	t.Logf("expand=all: %d nodes; after closing %s: %d", all.Nodes, gid, closed.Nodes)
	clickNode(t, ctx, gid, false)
	waitGraph(t, ctx, 20*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == all.Nodes })
}

// clickNode centres a node and clicks (or double-clicks) it with the mouse.
func clickNode(t testing.TB, ctx context.Context, id string, double bool) {
	t.Helper()
	var ok bool
	eval(t, ctx, `modelpeek.centerOn(`+jsString(id)+`, 1)`, &ok)
	if !ok {
		t.Fatalf("node %s is not in the view", id)
	}
	var p struct{ X, Y float64 }
	eval(t, ctx, `(() => { const r = document.getElementById('canvas').getBoundingClientRect(); const p = modelpeek.nodeScreenPos(`+jsString(id)+`);
	  return {x: r.left + p.x, y: r.top + p.y}; })()`, &p)
	opts := []chromedp.MouseOption{}
	if double {
		opts = append(opts, chromedp.ClickCount(2))
	}
	run(t, ctx, 10*time.Second, chromedp.MouseClickXY(p.X, p.Y, opts...))
}

// nodeID returns the view ID of the first node matching a JS predicate on n.
func nodeID(t testing.TB, ctx context.Context, pred string) string {
	t.Helper()
	var id string
	eval(t, ctx, `(() => { const n = modelpeek.view().nodes.find(n => `+pred+`); return n ? n.id : ''; })()`, &id)
	if id == "" {
		t.Fatalf("no node matches %s", pred)
	}
	return id
}

func TestSidebarShowsAttributes(t *testing.T) {
	lib := fixture.NewLibrary()
	id := lib.Add("resnet_like.onnx", fixture.ResNetLike())
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	clickNode(t, ctx, nodeID(t, ctx, `n.name === '/conv1/Conv'`), false)
	want := map[string]string{"kernel_shape": "[7, 7]", "strides": "[2, 2]", "pads": "[3, 3, 3, 3]", "group": "1"}
	for name, v := range want {
		var got string
		sel := `#sidebar tr[data-attr="` + name + `"] td`
		run(t, ctx, 10*time.Second, chromedp.WaitVisible(sel))
		got = text(t, ctx, sel)
		if got != v {
			t.Errorf("attribute %s shows %q, want %q", name, got, v)
		}
	}
	side := text(t, ctx, "#sidebar")
	for _, s := range []string{"Conv", "/conv1/Conv", "float32 [1,3,224,224]", "/conv1.weight", "float32 [64,3,7,7]", "float32 [1,64,112,112]"} {
		if !strings.Contains(side, s) {
			t.Errorf("sidebar lacks %q:\n%s", s, side)
		}
	}
	shot(t, ctx, "resnet-sidebar")
}

func TestFind(t *testing.T) {
	lib := fixture.NewLibrary()
	tm := fixture.Transformer(2000)
	softmax := 0
	for _, n := range tm.Graph.Nodes {
		if n.OpType == "Softmax" {
			softmax++
		}
	}
	id := lib.Add("transformer.onnx", tm)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	run(t, ctx, 10*time.Second,
		chromedp.KeyEvent("f", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.WaitVisible("#find-input"),
		chromedp.SendKeys("#find-input", "Softmax"),
	)
	want := strconv.Itoa(softmax) + " found"
	waitText(t, ctx, "#find-count", want)
	run(t, ctx, 5*time.Second, chromedp.SendKeys("#find-input", "\r"))
	waitText(t, ctx, "#find-count", "1 of "+strconv.Itoa(softmax))
	waitText(t, ctx, "#sidebar h2", "Softmax")
	run(t, ctx, 5*time.Second, chromedp.SendKeys("#find-input", "\r"))
	waitText(t, ctx, "#find-count", "2 of "+strconv.Itoa(softmax))
	shot(t, ctx, "transformer-find")
	// A tensor name (an edge's value) is found too.
	eval(t, ctx, `(() => { const i = document.getElementById('find-input'); i.value = '/encoder/layer.3/ffn/gelu/Erf_output_0';
	  i.dispatchEvent(new Event('input')); return true; })()`, new(bool))
	waitText(t, ctx, "#find-count", "1 found")

	// With groups collapsed, a node inside one is found after the page
	// expands every group on request.
	navigate(t, ctx, e, "model="+id)
	run(t, ctx, 10*time.Second, chromedp.KeyEvent("f", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.WaitVisible("#find-input"))
	eval(t, ctx, `(() => { const i = document.getElementById('find-input'); i.value = '/encoder/layer.40/ffn/gelu/Erf';
	  i.dispatchEvent(new Event('input')); return true; })()`, new(bool))
	run(t, ctx, 10*time.Second, chromedp.WaitVisible("button.find-expand"))
	eval(t, ctx, `(document.querySelector('button.find-expand').click(), true)`, new(bool))
	waitText(t, ctx, "#find-count", "1 of 1")
	waitText(t, ctx, "#sidebar h2", "Erf")
}

// waitText waits until the element's text equals want.
func waitText(t testing.TB, ctx context.Context, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		err := evalErr(ctx, 5*time.Second, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.textContent : ''; })()`, &got)
		if err == nil && strings.TrimSpace(got) == want {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("%s shows %q, want %q", sel, got, want)
}

func TestSubgraphOpensAndCloses(t *testing.T) {
	lib := fixture.NewLibrary()
	id, sm := sampleModel(t, lib)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	st := navigate(t, ctx, e, "model="+id+"&expand=all")
	if st.Nodes != len(sm.Graph.Nodes) {
		t.Fatalf("main graph: %d nodes drawn, want %d", st.Nodes, len(sm.Graph.Nodes))
	}
	clickNode(t, ctx, nodeID(t, ctx, `n.label === 'If'`), true)
	sub := waitGraph(t, ctx, 15*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == 1 })
	crumb := text(t, ctx, "#breadcrumb")
	if !strings.Contains(crumb, "main graph") || !strings.Contains(crumb, "If") {
		t.Errorf("breadcrumb %q", crumb)
	}
	var label string
	eval(t, ctx, `modelpeek.view().nodes.find(n => n.kind === 'op').label`, &label)
	if label != "Div" {
		t.Errorf("then branch shows %q, want Div", label)
	}
	shot(t, ctx, "sample-subgraph")
	// The sidebar offers both branches; open the else branch from there.
	run(t, ctx, 5*time.Second, chromedp.Click(`#breadcrumb button`))
	back := waitGraph(t, ctx, 15*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == len(sm.Graph.Nodes) })
	_ = sub
	_ = back
	clickNode(t, ctx, nodeID(t, ctx, `n.label === 'If'`), false)
	run(t, ctx, 10*time.Second, chromedp.WaitVisible(`button.subgraph-open`))
	var n int
	eval(t, ctx, `document.querySelectorAll('button.subgraph-open').length`, &n)
	if n != 2 {
		t.Fatalf("%d subgraph buttons, want 2 (then and else)", n)
	}
	eval(t, ctx, `(document.querySelectorAll('button.subgraph-open')[1].click(), true)`, new(bool))
	waitGraph(t, ctx, 15*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == 1 })
	eval(t, ctx, `modelpeek.view().nodes.find(n => n.kind === 'op').label`, &label)
	if label != "Identity" {
		t.Errorf("else branch shows %q, want Identity", label)
	}
	// Backspace goes up again.
	run(t, ctx, 5*time.Second, chromedp.KeyEvent("\b"))
	waitGraph(t, ctx, 15*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == len(sm.Graph.Nodes) })
}

// dropFile simulates dropping a file with the given bytes on the page.
func dropFile(t testing.TB, ctx context.Context, name string, data []byte) {
	t.Helper()
	js := `(() => { const b = Uint8Array.from(atob(` + jsString(base64.StdEncoding.EncodeToString(data)) + `), c => c.charCodeAt(0));
	  const dt = new DataTransfer(); dt.items.add(new File([b], ` + jsString(name) + `));
	  document.body.dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true, cancelable: true}));
	  document.body.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
	  return true; })()`
	eval(t, ctx, js, new(bool))
}

func TestDropOpensAndInvalidFileErrs(t *testing.T) {
	lib := fixture.NewLibrary()
	first := lib.Add("resnet_like.onnx", fixture.ResNetLike())
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+first)

	// A file in a format the registry decodes: the sample ONNX when the
	// decoder is there, else the test JSON format.
	name, data, want := "sample.onnx", []byte(nil), 0
	sample, err := os.ReadFile(filepath.Join(testenv.Root(t), fixture.SamplePath))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := lib.Registry().Open(context.Background(), filepath.Join(testenv.Root(t), fixture.SamplePath)); err == nil {
		data, want = sample, len(m.Graph.Nodes)
	} else {
		tm := fixture.Transformer(300)
		name, want = "dropped.mptest", len(tm.Graph.Nodes)
		if data, err = fixture.EncodeTestModel(tm); err != nil {
			t.Fatal(err)
		}
	}
	dropFile(t, ctx, name, data)
	// Wait for the dropped model's own graph: the previous model's graph
	// is "ready" too until the new one starts loading (the old flake).
	st := waitGraph(t, ctx, 20*time.Second, func(s graphState) bool {
		var tab struct {
			N  int    `json:"n"`
			ID string `json:"id"`
		}
		evalErr(ctx, 5*time.Second, `({n: document.querySelectorAll('#tabs .tab').length, id: (document.querySelector('#tabs .tab.active') || {dataset: {}}).dataset.id || ''})`, &tab)
		return s.State == "ready" && tab.N == 2 && tab.ID != first && s.Model == tab.ID
	})
	var expandedWant int
	eval(t, ctx, `modelpeek.view().stats.totalNodes`, &expandedWant)
	if expandedWant != want {
		t.Errorf("dropped %s: the page shows a graph of %d nodes, want %d", name, expandedWant, want)
	}
	active := text(t, ctx, "#tabs .tab.active .tab-name")
	if active != name {
		t.Errorf("active tab %q, want %q", active, name)
	}
	_ = st
	shot(t, ctx, "dropped")

	// Not a model: a readable error in #error.
	dropFile(t, ctx, "broken.onnx", []byte("this is a text file, not a model\n"))
	bad := waitGraph(t, ctx, 20*time.Second, func(s graphState) bool { return s.State == "error" })
	if !strings.Contains(bad.Error, "broken.onnx") || strings.Contains(bad.Error, "undefined") || strings.Contains(bad.Error, "[object") || len(bad.Error) > 400 || len(bad.Error) < 20 {
		t.Errorf("error for a non-model file is not readable: %q", bad.Error)
	}
	t.Logf("error shown: %q", bad.Error)
	shot(t, ctx, "invalid-file")

	// A big drop shows the upload progress bar on the way.
	eval(t, ctx, `(() => { window.sawProgress = 0;
	  new MutationObserver(() => { const p = document.getElementById('progress'); const b = document.getElementById('progress-bar');
	    if (!p.hidden) window.sawProgress = Math.max(window.sawProgress, 0.001, b.value); })
	    .observe(document.getElementById('progress'), {attributes: true, subtree: true, childList: true, characterData: true});
	  document.getElementById('progress-bar').addEventListener('change', () => {});
	  const dt = new DataTransfer(); dt.items.add(new File([new Uint8Array(24 << 20)], 'zeros.bin'));
	  document.body.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
	  return true; })()`, new(bool))
	big := waitGraph(t, ctx, 60*time.Second, func(s graphState) bool {
		return s.State == "error" && strings.Contains(s.Error, "zeros.bin")
	})
	var saw float64
	eval(t, ctx, `window.sawProgress`, &saw)
	if saw == 0 {
		t.Errorf("no progress bar while uploading 24 MB")
	}
	t.Logf("big upload: progress seen (%v), error %q", saw, big.Error)

	// Closing the broken model's tab removes it from the library and shows
	// another model.
	eval(t, ctx, `(document.querySelector('#tabs .tab.active .tab-close').click(), true)`, new(bool))
	waitGraph(t, ctx, 20*time.Second, func(s graphState) bool {
		var tabs int
		evalErr(ctx, 5*time.Second, `document.querySelectorAll('#tabs .tab').length`, &tabs)
		return s.State == "ready" && tabs == 3
	})
	if n := len(lib.List()); n != 3 {
		t.Errorf("library holds %d models after closing a tab, want 3", n)
	}
}

func TestExportSVGAndPNG(t *testing.T) {
	lib := fixture.NewLibrary()
	id := lib.Add("resnet_like.onnx", fixture.ResNetLike())
	e := startServer(t, lib)
	ctx := newBrowser(t)
	st := navigate(t, ctx, e, "model="+id+"&expand=all")
	dir := t.TempDir()
	setDownloads(t, ctx, dir)
	run(t, ctx, 10*time.Second, chromedp.Click("#btn-svg"))
	svg := waitFile(t, dir, "resnet_like.onnx.svg", 20*time.Second)
	nodes, texts := 0, 0
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("exported SVG does not parse: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "class" && strings.HasPrefix(a.Value, "node op") {
					nodes++
				}
			}
			if se.Name.Local == "text" {
				texts++
			}
		}
	}
	if nodes != st.Nodes {
		t.Errorf("SVG has %d op nodes, the page drew %d", nodes, st.Nodes)
	}
	if texts < nodes {
		t.Errorf("SVG has %d texts for %d nodes", texts, nodes)
	}
	run(t, ctx, 10*time.Second, chromedp.Click("#btn-png"))
	raw := waitFile(t, dir, "resnet_like.onnx.png", 30*time.Second)
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("exported PNG does not decode: %v", err)
	}
	b := img.Bounds()
	colors := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colors[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
		}
	}
	if b.Dx() < 200 || b.Dy() < 200 || len(colors) < 5 {
		t.Errorf("PNG %dx%d with %d colours does not look like a graph", b.Dx(), b.Dy(), len(colors))
	}
	t.Logf("SVG %d bytes, %d nodes; PNG %dx%d, %d bytes", len(svg), nodes, b.Dx(), b.Dy(), len(raw))
}

func TestLiveReloadKeepsViewport(t *testing.T) {
	lib := fixture.NewLibrary()
	old := fixture.Transformer(300)
	id := lib.Add("live.onnx", old)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	st := navigate(t, ctx, e, "model="+id+"&expand=all")
	sel := nodeID(t, ctx, `n.label === 'Softmax'`)
	clickNode(t, ctx, sel, false)
	eval(t, ctx, `(modelpeek.setCamera({x: 40, y: 300, zoom: 0.75}), modelpeek.draw(), true)`, new(bool))
	var cam1 map[string]float64
	eval(t, ctx, `modelpeek.camera()`, &cam1)

	// A new version with one more node at the end.
	next := fixture.Transformer(300)
	g := next.Graph
	last := g.Nodes[len(g.Nodes)-1]
	last.Outputs[0] = "pre_output"
	g.Nodes = append(g.Nodes, &model.Node{Name: "/head/Tanh", OpType: "Tanh", Inputs: []string{"pre_output"}, Outputs: []string{"output"}})
	ver, err := lib.Replace(id, next)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Hub().Publish("model", map[string]any{"id": id, "version": ver, "error": "", "changes": []string{}})
	after := waitGraph(t, ctx, 15*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == st.Nodes+1 })
	var cam2 map[string]float64
	eval(t, ctx, `modelpeek.camera()`, &cam2)
	for k, v := range cam1 {
		if d := cam2[k] - v; d > 1e-6 || d < -1e-6 {
			t.Errorf("viewport moved on reload: %v -> %v", cam1, cam2)
			break
		}
	}
	waitText(t, ctx, "#changes", "+1 node")
	var state struct{ Selected string }
	eval(t, ctx, `modelpeek.state()`, &state)
	if state.Selected != sel {
		t.Errorf("selection %q lost on reload (want %q)", state.Selected, sel)
	}
	shot(t, ctx, "live-reload")

	// A broken save keeps the last good graph with a banner.
	ver, _ = lib.Fail(id, "live.onnx: truncated file (expected 1200 more bytes)")
	e.srv.Hub().Publish("model", map[string]any{"id": id, "version": ver, "error": "live.onnx: truncated file (expected 1200 more bytes)", "changes": []string{}})
	var banner string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(banner, "truncated") {
		eval(t, ctx, `(() => { const b = document.getElementById('banner'); return b.hidden ? '' : b.textContent; })()`, &banner)
		time.Sleep(30 * time.Millisecond)
	}
	if !strings.Contains(banner, "truncated file") || !strings.Contains(banner, "last good") {
		t.Errorf("banner %q", banner)
	}
	kept := waitGraph(t, ctx, 5*time.Second, isReady)
	if kept.Nodes != after.Nodes {
		t.Errorf("the failed reload replaced the graph: %d nodes, want %d", kept.Nodes, after.Nodes)
	}

	// Browser-side reload latency: from the SSE event to the new graph on
	// screen (data-nodes updated), alternating two versions, median of 20.
	var lat []time.Duration
	for i := 0; i < 20; i++ {
		m, want := old, st.Nodes
		if i%2 == 1 {
			m, want = next, st.Nodes+1
		}
		ver, _ := lib.Replace(id, m)
		start := time.Now()
		e.srv.Hub().Publish("model", map[string]any{"id": id, "version": ver, "error": "", "changes": []string{}})
		deadline := time.Now().Add(10 * time.Second)
		for {
			var n int
			if err := evalErr(ctx, 5*time.Second, `+document.getElementById('graph').dataset.nodes`, &n); err == nil && n == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("reload %d did not show %d nodes", i, want)
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("browser reload latency (event → graph shown), %d-node graph: median %v, min %v, max %v", st.Nodes, lat[len(lat)/2], lat[0], lat[len(lat)-1])
}

func TestWeightPreviewAndEmptyStart(t *testing.T) {
	lib := fixture.NewLibrary()
	e := startServer(t, lib)
	ctx := newBrowser(t)
	// No model open: the drop zone and the sample button.
	st := navigate(t, ctx, e, "")
	if st.Nodes != 0 {
		t.Fatalf("empty library drew %d nodes", st.Nodes)
	}
	run(t, ctx, 10*time.Second, chromedp.WaitVisible("#empty .dropzone"))
	shot(t, ctx, "empty")
	run(t, ctx, 10*time.Second, chromedp.Click("#btn-sample"))
	sm, data := fixture.Sample()
	got := waitGraph(t, ctx, 20*time.Second, func(s graphState) bool { return s.State != "ready" || s.Nodes > 0 })
	if got.State != "ready" || got.Nodes != len(sm.Graph.Nodes) {
		t.Fatalf("sample: %+v, want %d nodes", got, len(sm.Graph.Nodes))
	}
	// The first convolution's weight: preview values and statistics.
	clickNode(t, ctx, nodeID(t, ctx, `n.name === '/features/conv1/Conv'`), false)
	run(t, ctx, 10*time.Second, chromedp.WaitVisible(`#sidebar table.io button.small`))
	eval(t, ctx, `(document.querySelector('#sidebar table.io button.small').click(), true)`, new(bool))
	run(t, ctx, 10*time.Second, chromedp.WaitVisible(`#sidebar .preview pre.values`))
	w := data["features.conv1.weight"]
	lo, hi := w[0], w[0]
	for _, v := range w {
		lo, hi = min(lo, v), max(hi, v)
	}
	prev := text(t, ctx, "#sidebar .preview")
	for _, want := range []string{"count\t216", "min\t" + strconv.FormatFloat(float64(lo), 'f', -1, 32), "max\t" + strconv.FormatFloat(float64(hi), 'f', -1, 32)} {
		if !strings.Contains(prev, want) {
			t.Errorf("weight preview lacks %q:\n%s", want, prev)
		}
	}
	first := strconv.FormatFloat(float64(w[0]), 'f', -1, 32)
	if !strings.Contains(prev, "["+first+", ") {
		t.Errorf("weight preview does not start with the first value %s:\n%s", first, prev)
	}
	shot(t, ctx, "sample-weight-preview")
}
