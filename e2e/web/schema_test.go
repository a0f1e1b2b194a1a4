package web

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model/onnx/opschema"
)

// convModel picks the smallest valid ONNX manifest entry with a Conv node
// and returns its path and default-domain opset.
func convModel(t *testing.T) (string, int64) {
	var best testenv.Entry
	var opset int64
	for _, e := range testenv.ManifestEntries(t, "onnx") {
		var f struct {
			Ops    map[string]int `json:"op_type_histogram_top_level"`
			Opsets []struct {
				Domain  string `json:"domain"`
				Version int64  `json:"version"`
			} `json:"opset_import"`
		}
		if !e.Valid() || json.Unmarshal(e.Facts, &f) != nil || f.Ops["Conv"] == 0 || (best.Path != "" && e.Bytes >= best.Bytes) {
			continue
		}
		for _, o := range f.Opsets {
			if opschema.NormDomain(o.Domain) == "" {
				best, opset = e, o.Version
			}
		}
	}
	if best.Path == "" {
		t.Fatal("no ONNX manifest entry has a Conv node")
	}
	return best.Abs(), opset
}

// TestSchemaPanel selects a Conv node of an ONNX model: the sidebar's
// schema panel shows the Conv version in force at the model's opset, its
// inputs (X, W and the optional B), its type constraint, its attributes
// with defaults and the link to the official operator page.
func TestSchemaPanel(t *testing.T) {
	path, opset := convModel(t)
	tb, err := opschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	want, ok := tb.Lookup("", "Conv", opset)
	if !ok {
		t.Fatalf("Conv at opset %d is not in the table", opset)
	}
	lib := fixture.NewLibrary()
	id := lib.OpenFile(context.Background(), path)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	selectNode(t, ctx, nodeID(t, ctx, `n.kind === 'op' && n.label === 'Conv'`))
	var panel struct{ Text, Href string }
	panel.Text = waitSchemaPanel(t, ctx, "a.schema-link")
	eval(t, ctx, `document.querySelector('#sidebar-content section.schema a.schema-link').href`, &panel.Href)
	t.Logf("%s (opset %d): schema panel:\n%s", path, opset, panel.Text)
	if panel.Href != "https://onnx.ai/onnx/operators/onnx__Conv.html" {
		t.Errorf("link %q", panel.Href)
	}
	expect := []string{fmt.Sprintf("%d (model opset %d)", want.Since, opset), "B\tT (optional)", "X\tT", "W\tT"}
	for _, c := range want.Constraints {
		expect = append(expect, c.Param+"\t"+strings.Join(c.Allowed, ", "))
	}
	for _, a := range want.Attributes {
		expect = append(expect, a.Name+"\t"+a.Type)
	}
	expect = append(expect, `group	int, default 1`, `auto_pad	string, default "NOTSET"`)
	for _, s := range expect {
		if !strings.Contains(panel.Text, s) {
			t.Errorf("the schema panel does not show %q", s)
		}
	}
	if strings.Contains(panel.Text, "may apply") != (opset > tb.MaxOpset("")) {
		t.Errorf("opset %d, table up to %d: newer-version note shown = %v", opset, tb.MaxOpset(""), !(opset > tb.MaxOpset("")))
	}
	shot(t, ctx, "schema-panel")
	checkNewerOpsetNote(t, ctx, tb)
}

// checkNewerOpsetNote renders the panel for Conv of a model importing an
// opset newer than the table (the corpus has none): the newest version
// the table knows is shown, with the note that a newer one may apply.
func checkNewerOpsetNote(t *testing.T, ctx context.Context, tb *opschema.Table) {
	newer := tb.MaxOpset("") + 4
	eval(t, ctx, fmt.Sprintf(`(import('/js/schema.js').then((m) => { const box = document.createElement('div');
	  box.id = 'schema-probe'; box.dataset.seq = '1'; document.getElementById('sidebar-content').append(box);
	  return m.showSchema(box, {op: 'Conv', domain: ''}, {format: 'onnx', opsets: [{domain: 'ai.onnx', version: %d}]}, '1'); }), true)`, newer), new(bool))
	var note, text string
	deadline := time.Now().Add(20 * time.Second) // hang bound: 10x a slow answer
	for note == "" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		eval(t, ctx, `(() => { const n = document.querySelector('#schema-probe .schema-newer'); return n ? n.innerText : ''; })()`, &note)
	}
	eval(t, ctx, `document.getElementById('schema-probe').innerText`, &text)
	want, _ := tb.Lookup("", "Conv", newer)
	if !strings.Contains(note, fmt.Sprintf("opset %d", newer)) || !strings.Contains(text, fmt.Sprintf("%d (model opset %d)", want.Since, newer)) {
		t.Errorf("opset %d: note %q, panel:\n%s", newer, note, text)
	}
}

// TestOptionsPanelTFLite selects a CONV_2D node of the smallest TFLite
// manifest entry that has one: the sidebar shows its builtin options
// table, each field with its type, and the activation enum's values.
func TestOptionsPanelTFLite(t *testing.T) {
	var best testenv.Entry
	for _, e := range testenv.ManifestEntries(t, "tflite") {
		var f struct {
			Used []string `json:"operator_codes_used"`
		}
		if e.Valid() && json.Unmarshal(e.Facts, &f) == nil && slices.Contains(f.Used, "CONV_2D") && (best.Path == "" || e.Bytes < best.Bytes) {
			best = e
		}
	}
	if best.Path == "" {
		t.Fatal("no TFLite manifest entry has a CONV_2D operator")
	}
	lib := fixture.NewLibrary()
	id := lib.OpenFile(context.Background(), best.Abs())
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	selectNode(t, ctx, nodeID(t, ctx, `n.kind === 'op' && n.label === 'CONV_2D'`))
	text := waitSchemaPanel(t, ctx, "table.schema-attrs")
	t.Logf("%s: options panel:\n%s", best.Path, text)
	for _, s := range []string{"Conv2DOptions", "padding\tPadding (SAME | VALID)", "stride_w\tint", "dilation_w_factor\tint, default 1",
		"fused_activation_function\tActivationFunctionType (NONE | RELU | RELU_N1_TO_1 | RELU6 | TANH | SIGN_BIT)"} {
		if !strings.Contains(text, s) {
			t.Errorf("the options panel does not show %q", s)
		}
	}
	shot(t, ctx, "tflite-options-panel")
}

// TestSchemaPanelLateModelInfo selects a Conv node while the page is
// still waiting for the model's properties (format and opsets, asked for
// after the graph): the node is shown at once, and the schema panel joins
// it once the properties come. A busy machine's CI run met this: the
// node stayed without its schema.
func TestSchemaPanelLateModelInfo(t *testing.T) {
	path, _ := convModel(t)
	lib := fixture.NewLibrary()
	id := lib.OpenFile(context.Background(), path)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	paused := make(chan fetch.RequestID, 8)
	if err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- ev.RequestID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/models/" + id + "?brief=1*"}}}); err != nil {
		t.Fatalf("fetch.enable: %v", err)
	}
	navigate(t, ctx, e, "model="+id+"&expand=all")
	var held fetch.RequestID
	select {
	case held = <-paused:
	case <-time.After(30 * time.Second): // hang bound: the page asks right after the graph
		t.Fatal("the page never asked for the model's properties")
	}
	selectNode(t, ctx, nodeID(t, ctx, `n.kind === 'op' && n.label === 'Conv'`))
	shown := waitContains(ctx, "#sidebar-content", "ATTRIBUTES", 20*time.Second) // hang bound
	if !strings.Contains(shown, "ATTRIBUTES") {
		t.Fatalf("the node is not shown while the model's properties are held: %.300q", shown)
	}
	if _, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: held}); err != nil {
		t.Fatalf("fetch.continueRequest: %v", err)
	}
	text := waitSchemaPanel(t, ctx, "a.schema-link")
	if !strings.Contains(text, "X\tT") {
		t.Errorf("schema panel without Conv's input X:\n%s", text)
	}
}

// waitSchemaPanel waits for the sidebar's schema section to hold an
// element matching sel and returns the section's text (hang bound: 10x a
// slow answer).
// selectNode clicks node id until the page has it selected: on a busy
// machine the page may still be settling after "ready" (the model
// panel filling the sidebar moves the canvas), and a click can land
// where the node was.
func selectNode(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	for try := 0; try < 5; try++ {
		clickNode(t, ctx, id, false)
		var selected string
		for k := 0; k < 20 && selected != id; k++ { // up to ~1 s per click
			eval(t, ctx, `modelpeek.state().selected || ''`, &selected)
			time.Sleep(50 * time.Millisecond)
		}
		if selected == id {
			return
		}
	}
	t.Fatalf("node %s never got selected by a click", id)
}

func waitSchemaPanel(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var text string
		eval(t, ctx, `(() => { const s = document.querySelector('#sidebar-content section.schema');
		  return s && s.querySelector(`+jsString(sel)+`) ? s.innerText : ''; })()`, &text)
		if text != "" {
			return text
		}
		if time.Now().After(deadline) {
			var why string
			eval(t, ctx, `JSON.stringify({state: modelpeek.state(), sidebar: (document.getElementById('sidebar-content') || {}).innerText || ''}).slice(0, 600)`, &why)
			t.Fatalf("no schema panel with %s in the sidebar: %s", sel, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
