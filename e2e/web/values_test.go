package web

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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
	// The bias comes through an Identity node: described by its initializer.
	if io := text(t, ctx, "#sidebar table.io"); !strings.Contains(io, "forwarded by Identity from") || strings.Contains(io, "type unknown") {
		t.Errorf("inputs of %s:\n%s", conv.Name, io)
	}
	eval(t, ctx, `(document.querySelector('#sidebar button.stats-open').click(), true)`, new(bool))
	waitTrue(t, ctx, 20*time.Second, "histogram", `+(document.querySelector('#sidebar canvas.histogram') || {dataset: {}}).dataset.bars > 0`)
	waitTrue(t, ctx, 20*time.Second, "channel plot", `+(document.querySelector('#sidebar canvas.chanplot') || {dataset: {}}).dataset.channels > 0`)
	// The first page of values is a request of its own: it may come last.
	waitTrue(t, ctx, 20*time.Second, "values", `document.querySelectorAll('#sidebar .tensorview table.vals tr').length > 0`)
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

	// Save as .npy: a numpy file of the weight's shape and size.
	dir := t.TempDir()
	setDownloads(t, ctx, dir)
	eval(t, ctx, `(document.querySelector('#sidebar a.npy').click(), true)`, new(bool))
	file := strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, w.Name) + ".npy"
	b := waitFile(t, dir, file, 20*time.Second)
	dims := make([]string, len(w.Shape))
	for i, d := range w.Shape {
		dims[i] = strconv.FormatInt(d, 10)
	}
	if !strings.HasPrefix(string(b), "\x93NUMPY") || !strings.Contains(string(b[:128]), "'shape': ("+strings.Join(dims, ", ")+")") || (len(b)-128) != 4*int(count) {
		t.Errorf("saved %s: %d bytes, header %q", file, len(b), b[:min(len(b), 128)])
	}
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

// TestValuesONNXQuantizeParameters draws a QuantizeLinear → DequantizeLinear
// pair whose scale and zero point are Constants: the values are on the
// nodes, and the sidebar's Quantization section lists scale, zero point
// and axis.
func TestValuesONNXQuantizeParameters(t *testing.T) {
	f32 := &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.ShapeOf([]int64{1, 8})}
	konst := func(out string, a model.Attribute) *model.Node {
		return &model.Node{Name: out, OpType: "Constant", Outputs: []string{out}, Attrs: []model.Attribute{a}}
	}
	g := &model.Graph{
		Inputs:  []*model.Value{{Name: "x", Type: f32}},
		Outputs: []*model.Value{{Name: "y", Type: f32}},
		Nodes: []*model.Node{
			konst("s", model.Attribute{Name: "value_float", Type: model.AttrFloat, Float: 0.0625}),
			konst("z", model.Attribute{Name: "value_int", Type: model.AttrInt, Int: 3}),
			{Name: "q", OpType: "QuantizeLinear", Inputs: []string{"x", "s", "z"}, Outputs: []string{"xq"}, Attrs: []model.Attribute{{Name: "axis", Type: model.AttrInt, Int: 1}}},
			konst("s2", model.Attribute{Name: "value_float", Type: model.AttrFloat, Float: 0.0625}),
			konst("z2", model.Attribute{Name: "value_int", Type: model.AttrInt, Int: 3}),
			{Name: "dq", OpType: "DequantizeLinear", Inputs: []string{"xq", "s2", "z2"}, Outputs: []string{"y"}},
		},
	}
	lib := fixture.NewLibrary()
	id := lib.Add("qdq.onnx", &model.Model{Format: "onnx", Graph: g})
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id)
	var lines []string
	eval(t, ctx, `modelpeek.view().nodes.find((n) => n.name === 'q').lines`, &lines)
	if strings.Join(lines, "|") != "scale = 0.0625|zero_point = 3" {
		t.Errorf("QuantizeLinear lines %q", lines)
	}
	// Constants held in the graph have no data to read: no Statistics.
	var buttons int
	clickNode(t, ctx, nodeID(t, ctx, `n.name === 'q'`), false)
	run(t, ctx, 10*time.Second, chromedp.WaitVisible(`#sidebar section.quantnode`))
	eval(t, ctx, `document.querySelectorAll('#sidebar button.stats-open').length`, &buttons)
	if buttons != 0 {
		t.Errorf("%d Statistics buttons for constants without data", buttons)
	}
	if q := text(t, ctx, "#sidebar section.quantnode"); !strings.Contains(q, "scale\t0.0625") || !strings.Contains(q, "zero point\t3") || !strings.Contains(q, "axis\t1") {
		t.Errorf("quantization section %q", q)
	}
	checkShot(t, ctx, "values-onnx-qdq")
}

// TestValuesGGUFBlockTypes opens the GGUF file holding one tensor per
// quantization type: a block-quantized weight names its block type in the
// input list, and its statistics are of the dequantized values with the
// block layout spelled out and the histogram drawn.
func TestValuesGGUFBlockTypes(t *testing.T) {
	e, id, m := openCorpusModel(t, "gguf/quant/one-tensor-per-type.gguf")
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	var owner int
	for i, n := range m.Graph.Nodes {
		if slices.Contains(n.Inputs, "q4_k") {
			owner = i
		}
	}
	clickNode(t, ctx, nodeID(t, ctx, `n.index === `+strconv.Itoa(owner)), false)
	run(t, ctx, 10*time.Second, chromedp.WaitVisible(`#sidebar .vquant`))
	var row string
	eval(t, ctx, `(() => { const td = [...document.querySelectorAll('#sidebar table.io td')].find((td) => td.querySelector('.vname').textContent === 'q4_k');
	  td.querySelector('button.stats-open').click(); return td.querySelector('.vquant').textContent; })()`, &row)
	if row != "GGUF block type Q4_K" {
		t.Errorf("block type line %q", row)
	}
	waitTrue(t, ctx, 20*time.Second, "histogram", `+(document.querySelector('#sidebar canvas.histogram') || {dataset: {}}).dataset.bars > 0`)
	if s := text(t, ctx, "#sidebar table.tstats"); !strings.Contains(s, "Q4_K: 256 values in 144 bytes (4.500 bits per value), dequantized") {
		t.Errorf("statistics lack the block layout:\n%s", s)
	}
	checkShot(t, ctx, "values-gguf-q4k")
}
