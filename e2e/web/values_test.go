package web

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// openCorpusModel opens a corpus file in a new library and returns the
// server, its id and the decoded model (read again here for expectations).
func openCorpusModel(t *testing.T, rel string) (*env, string, *model.Model) {
	t.Helper()
	p := filepath.Join(testenv.Corpus(t), filepath.FromSlash(rel))
	lib := fixture.NewLibrary()
	id := lib.OpenFile(context.Background(), p)
	m, err := all.Registry().Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, lib), id, m
}

// checkShot takes a screenshot and checks it is more than a blank page.
func checkShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot(t, ctx, name)
	st, err := os.Stat(filepath.Join("/tmp/shots", name+".png"))
	if err != nil || st.Size() < 20<<10 {
		t.Errorf("screenshot %s: %v bytes (%v), want a drawn page", name, st.Size(), err)
	}
}

// TestValuesEdgeShapesByDefault opens a corpus ONNX model: shapes are on
// the edges without touching the toolbar, every edge whose value has a
// known type carries its compact shape and dtype, and pointing at an edge
// shows its value, shape and dtype.
func TestValuesEdgeShapesByDefault(t *testing.T) {
	e, id, _ := openCorpusModel(t, "onnx/torchvision/mobilenet_v3_small.onnx")
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	var on struct {
		Pressed string
		Labeled int
		Total   int
		Bad     []string
	}
	eval(t, ctx, `(() => { const v = modelpeek.view(); const es = v.edges.filter((e) => e.label && !e.label.endsWith('tensors'));
	  return {pressed: document.getElementById('btn-labels').getAttribute('aria-pressed'), labeled: es.length, total: v.edges.length,
	    bad: es.filter((e) => !/^(scalar|[0-9a-zA-Z_?]+(×[0-9a-zA-Z_?]+)*)$/.test(e.label) || !e.dtype).map((e) => e.label + ' ' + e.dtype).slice(0, 5)}; })()`, &on)
	t.Logf("%d of %d edges labelled", on.Labeled, on.Total)
	if on.Pressed != "true" || on.Labeled < on.Total*9/10 || len(on.Bad) > 0 {
		t.Fatalf("edge shapes: %+v", on)
	}
	// Point at the middle of the first long edge between two ops.
	var p struct {
		X, Y  float64
		Label string
		DType string
	}
	eval(t, ctx, `(() => { const v = modelpeek.view(); const e = v.edges.find((e) => e.label && e.dtype && e.points.length >= 4 && Math.abs(e.points[3] - e.points[1]) > 40);
	  modelpeek.setCamera({x: e.points[0] - 200, y: e.points[1] - 100, zoom: 1}); modelpeek.draw();
	  const r = document.getElementById('canvas').getBoundingClientRect(); const s = modelpeek.worldToScreen((e.points[0] + e.points[2]) / 2, (e.points[1] + e.points[3]) / 2);
	  return {x: r.left + s.x, y: r.top + s.y, label: e.label, dtype: e.dtype}; })()`, &p)
	run(t, ctx, 10*time.Second, chromedp.MouseEvent("mouseMoved", p.X, p.Y))
	waitTrue(t, ctx, 10*time.Second, "edge tip", `!document.getElementById('edgetip').hidden`)
	if tip := text(t, ctx, "#edgetip"); !strings.Contains(tip, p.Label+" "+p.DType) {
		t.Errorf("edge tip %q, want %q", tip, p.Label+" "+p.DType)
	}
	checkShot(t, ctx, "values-edge-shapes")
}

// TestValuesInlineConstants opens the corpus transformer export, whose
// tiny Constants (scales, reshape targets) must read as values on their
// consumers ("B = 8"), drawn on the canvas.
func TestValuesInlineConstants(t *testing.T) {
	e, id, _ := openCorpusModel(t, "onnx/torch/transformer_encoder_2x64.onnx")
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	var lines []string
	eval(t, ctx, `modelpeek.view().nodes.flatMap((n) => (n.lines || []).filter((l) => / = /.test(l)))`, &lines)
	if len(lines) == 0 {
		t.Fatal("no constant value drawn on a node")
	}
	t.Logf("%d constant values on nodes, e.g. %q", len(lines), lines[:min(4, len(lines))])
	sel := nodeID(t, ctx, `(n.lines || []).some((l) => / = /.test(l))`)
	clickNode(t, ctx, sel, false)
	run(t, ctx, 10*time.Second, chromedp.WaitVisible(`#sidebar .vvalue`))
	if v := text(t, ctx, "#sidebar .vvalue"); !strings.HasPrefix(v, "= ") {
		t.Errorf("sidebar value %q", v)
	}
	checkShot(t, ctx, "values-inline-constants")
}

// TestValuesTensorView opens a convolution's weight in the sidebar: the
// whole-tensor statistics, a drawn histogram, one range per output
// channel, pages of values and the .npy link; the model panel counts the
// parameters.
func TestValuesTensorView(t *testing.T) {
	e, id, m := openCorpusModel(t, "onnx/torchvision/mobilenet_v3_small.onnx")
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	want := model.CountParams(m).Total.Params
	waitTrue(t, ctx, 20*time.Second, "parameters", `(() => { const s = document.querySelector('#sidebar section.params'); return !!s && !s.hidden; })()`)
	if got := text(t, ctx, "#sidebar section.params .ptotal"); !strings.Contains(got, thousands(want)) {
		t.Errorf("parameters %q, want %s", got, thousands(want))
	}
	conv := m.Graph.Nodes[0]
	for _, n := range m.Graph.Nodes {
		if n.OpType == "Conv" {
			conv = n
			break
		}
	}
	clickNode(t, ctx, nodeID(t, ctx, `n.name === `+jsString(conv.Name)), false)
	run(t, ctx, 10*time.Second, chromedp.WaitVisible(`#sidebar button.stats-open`))
	eval(t, ctx, `(document.querySelector('#sidebar button.stats-open').click(), true)`, new(bool))
	waitTrue(t, ctx, 20*time.Second, "histogram", `+(document.querySelector('#sidebar canvas.histogram') || {dataset: {}}).dataset.bars > 0`)
	waitTrue(t, ctx, 20*time.Second, "channel plot", `+(document.querySelector('#sidebar canvas.chanplot') || {dataset: {}}).dataset.channels > 0`)
	var w *model.Tensor
	for _, tn := range m.Graph.Initializers {
		if tn.Name == conv.Inputs[1] {
			w = tn
		}
	}
	var got struct {
		Channels int
		Stats    string
		Rows     int
		Href     string
	}
	eval(t, ctx, `(() => { const b = document.querySelector('#sidebar .tensorview'); return {channels: +b.querySelector('canvas.chanplot').dataset.channels,
	  stats: b.querySelector('table.tstats').innerText, rows: b.querySelectorAll('table.vals tr').length, href: b.querySelector('a.npy').href}; })()`, &got)
	count, _ := model.NumElements(w.Shape)
	if int64(got.Channels) != w.Shape[0] || !strings.Contains(got.Stats, "count\t"+strconv.FormatInt(count, 10)) || !strings.Contains(got.Stats, "std") ||
		got.Rows != int(min(count, 64)) || !strings.Contains(got.Href, "/npy/") {
		t.Errorf("tensor view of %s %v: %+v", w.Name, w.Shape, got)
	}
	eval(t, ctx, `(document.querySelector('#sidebar button.vnext').click(), true)`, new(bool))
	waitTrue(t, ctx, 10*time.Second, "second page", `(document.querySelector('#sidebar table.vals th') || {}).textContent === '64'`)
	eval(t, ctx, `(document.querySelector('#sidebar .tensorview').scrollIntoView(), true)`, new(bool))
	checkShot(t, ctx, "values-tensor-view")
}

// thousands spells n with comma separators, as the page does.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestValuesTFLiteQuantization opens an int8 TFLite model: every op with a
// fused activation shows it on its title, and a convolution's sidebar
// shows the quantization parameters of its weight and activations.
func TestValuesTFLiteQuantization(t *testing.T) {
	e, id, m := openCorpusModel(t, "tflite/tflite-micro/person_detect.tflite")
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	fused := 0
	for _, n := range m.Graph.Nodes {
		for _, a := range n.Attrs {
			if a.Name == "fused_activation_function" && a.String != "" && a.String != "NONE" {
				fused++
			}
		}
	}
	var drawn int
	eval(t, ctx, `modelpeek.view().nodes.filter((n) => n.kind === 'op' && / \+ [A-Z0-9_]+$/.test(n.label)).length`, &drawn)
	if fused == 0 || drawn != fused {
		t.Errorf("%d ops with a fused activation, %d drawn with it", fused, drawn)
	}
	clickNode(t, ctx, nodeID(t, ctx, `n.label.startsWith('CONV_2D')`), false)
	run(t, ctx, 10*time.Second, chromedp.WaitVisible(`#sidebar .vquant`))
	side := text(t, ctx, "#sidebar")
	for _, s := range []string{"scale", "zero point", "per-axis"} {
		if !strings.Contains(side, s) {
			t.Errorf("sidebar lacks %q:\n%s", s, side)
		}
	}
	checkShot(t, ctx, "values-tflite-quant")
}
