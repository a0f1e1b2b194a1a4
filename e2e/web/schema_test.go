package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

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
	clickNode(t, ctx, nodeID(t, ctx, `n.kind === 'op' && n.label === 'Conv'`), false)
	var panel struct {
		Text, Href string
	}
	deadline := time.Now().Add(20 * time.Second) // hang bound: 10x a slow answer
	for {
		eval(t, ctx, `(() => { const s = document.querySelector('#sidebar-content section.schema');
		  const a = s && s.querySelector('a.schema-link');
		  return {text: s && a ? s.innerText : '', href: a ? a.href : ''}; })()`, &panel)
		if panel.Text != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if panel.Text == "" {
		t.Fatal("no schema panel with a link in the sidebar after selecting a Conv node")
	}
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
	shot(t, ctx, "schema-panel")
}
