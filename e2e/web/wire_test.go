package web

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv"
)

// drawnView is what the page holds and shows of a graph: the view (its
// JSON, the layout time aside), a hash of the canvas pixels after a
// drawing at fit and one zoomed in on the middle node, and the counts.
const drawnView = `(() => {
  const v = modelpeek.view();
  // Strings read last to first before anything else reads them: a
  // front-coded string is made with those before it in its block.
  const rev = [];
  for (let k = v.nodes.length - 1; k >= 0; k -= 3) rev.push(v.nodes[k].name, v.nodes[k].group);
  // The compact view's node, edge and group lists are made as they are read:
  // before anything read them, they must answer the array methods as arrays do.
  let each = 0;
  v.nodes.forEach(() => each++);
  const methods = JSON.stringify([v.nodes.map((n) => n.id), each, [...v.edges].map((e) => e.from + '>' + e.to),
    v.nodes.findIndex((n) => n.kind === 'op'), v.nodes.filter((n) => n.kind === 'op').length, Array.isArray(v.nodes),
    v.edges.some((e) => e.value === undefined), v.nodes.length, v.edges.slice(1, 3).map((e) => e.to), 'x' in v.nodes,
    v.groups.map((g) => g.id), v.groups.filter((g) => g.parent === undefined).length, Array.isArray(v.groups), v.groups.length, rev]);
  // costText is the page's own note on a group box, put there when the
  // cost figures arrive (whenever that is): not part of the view, and
  // not drawn for the pixels compared.
  v.nodes.forEach((n) => delete n.costText);
  const view = JSON.stringify({width: v.width, height: v.height, nodes: v.nodes, edges: v.edges, groups: v.groups, metric: v.metric,
    stats: Object.assign({}, v.stats, {layoutMs: 0})});
  const hash = () => { modelpeek.draw(); const c = document.getElementById('canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0; for (let i = 0; i < d.length; i += 4) h = (Math.imul(h, 31) + d[i] + (d[i + 1] << 8) + (d[i + 2] << 16)) | 0; return h; };
  document.getElementById('btn-fit').click();
  const fit = hash();
  modelpeek.centerOn(v.nodes[Math.floor(v.nodes.length / 2)].id, 1);
  const close = hash();
  // Packed: the graph came as gzip bytes the page inflated itself.
  const packed = performance.getEntriesByType('resource').some((r) => r.name.includes('/graph?') && r.name.includes('gz=1') &&
    r.decodedBodySize > 0 && r.decodedBodySize === r.encodedBodySize);
  return {view, fit, close, wire: !!v.cols, packed, methods};
})()`

// TestWireDrawsTheSame opens graphs with the compact view (the page's
// default, packed: gzip bytes the page inflates), the compact view not
// packed (?gz=0) and JSON (?wire=0) and checks that the page holds the
// same view and paints the same pixels: the sample, a ResNet, a transformer
// with groups collapsed and open, and corpus ONNX models.
func TestWireDrawsTheSame(t *testing.T) {
	lib := fixture.NewLibrary()
	names := map[string]string{}
	add := func(name string, id string) { names[id] = name }
	add("resnet_like", lib.Add("resnet_like.onnx", fixture.ResNetLike()))
	add("transformer", lib.Add("transformer.onnx", fixture.Transformer(3000)))
	id, _ := sampleModel(t, lib)
	add("sample", id)
	// Names beyond ASCII: outside the BMP, and bytes that are not UTF-8,
	// over several of the string table's blocks.
	uni := fixture.Transformer(800)
	for i := range uni.Graph.Nodes {
		uni.Graph.Nodes[i].Name = fmt.Sprintf("ü%d😀\xff日", i)
	}
	add("unicode", lib.Add("unicode.onnx", uni))
	corpus := testenv.Corpus(t)
	for _, f := range []string{"onnx/torchvision/mobilenet_v3_small.onnx", "onnx/torch/scripted_control_flow_loop_if.onnx"} {
		m, err := lib.Registry().Open(context.Background(), filepath.Join(corpus, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		add(f, lib.Add(filepath.Base(f), m))
	}
	e := startServer(t, lib)
	ctx := newBrowser(t)
	for id, name := range names {
		for _, expand := range []string{"", "&expand=all"} {
			type drawn struct {
				View      string `json:"view"`
				Fit       int    `json:"fit"`
				Close     int    `json:"close"`
				Wire      bool   `json:"wire"`
				Packed    bool   `json:"packed"`
				Methods   string `json:"methods"`
				nodes, ed int
			}
			get := func(q string) drawn {
				st := navigate(t, ctx, e, "model="+id+expand+q)
				var d drawn
				eval(t, ctx, drawnView, &d)
				d.nodes, d.ed = st.Nodes, st.Edges
				return d
			}
			w, u, j := get(""), get("&gz=0"), get("&wire=0")
			what := name + expand
			if !w.Wire || !w.Packed || !u.Wire || u.Packed || j.Wire {
				t.Fatalf("%s: compact view (packed) used %v (%v) by default, %v (%v) with gz=0, %v with wire=0", what, w.Wire, w.Packed, u.Wire, u.Packed, j.Wire)
			}
			if u.View != w.View || u.Methods != w.Methods || u.Fit != w.Fit || u.Close != w.Close {
				t.Errorf("%s: the compact view differs packed and not", what)
			}
			if w.Methods != j.Methods {
				t.Errorf("%s: the lists answer array methods otherwise with the compact form:\nwire %.400s\njson %.400s", what, w.Methods, j.Methods)
			}
			if w.View != j.View {
				at := firstDiff(w.View, j.View)
				t.Errorf("%s: the page holds another view with the compact form, from byte %d:\nwire %.400s\njson %.400s", what, at, w.View[at:], j.View[at:])
			}
			if w.Fit != j.Fit || w.Close != j.Close || w.nodes != j.nodes || w.ed != j.ed {
				t.Errorf("%s: drawn differently: wire pixels %x/%x, %d nodes, %d edges; JSON %x/%x, %d nodes, %d edges",
					what, w.Fit, w.Close, w.nodes, w.ed, j.Fit, j.Close, j.nodes, j.ed)
			}
		}
	}
}

// firstDiff returns the first byte index where a and b differ, backed up
// a little for context.
func firstDiff(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return max(i-100, 0)
}
