package web

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv"
)

// heatTop is the heat colour of the costliest boxes (colors.js heat7).
var heatTop = [3]int{0x8e, 0x0f, 0x14}

// TestCostHeatMap opens resnet18 (corpus): the model panel lists the
// heaviest nodes, the first a Conv (the one the cost model counts most
// MACs for); the Heat toggle repaints that node's box in the top heat
// colour; a click on the list selects the node and shows its cost.
func TestCostHeatMap(t *testing.T) {
	var path string
	for _, e := range testenv.ManifestEntries(t, "onnx") {
		if strings.HasSuffix(e.Path, "torchvision/resnet18_external_data_missing/resnet18.onnx") {
			path = e.Abs()
		}
	}
	if path == "" {
		t.Fatal("resnet18 export not in the manifest")
	}
	lib := fixture.NewLibrary()
	m, err := lib.Registry().Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := heaviestOp(cost.Model(context.Background(), m, cost.Options{}))
	id := lib.Add("resnet18.onnx", m)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id)

	var first struct {
		Op    string `json:"op"`
		Index int    `json:"index"`
	}
	waitJS(t, ctx, `(() => { const b = document.querySelector('#cost-panel ol.cost-heavy button');
		return b ? {op: b.dataset.op, index: +b.dataset.index} : null; })()`, &first)
	if first.Op != "Conv" || first.Index != want {
		t.Errorf("heaviest node %+v, want a Conv at index %d", first, want)
	}
	node := fmt.Sprintf("n%d", first.Index)
	before := pixel(t, ctx, node)
	run(t, ctx, 10*time.Second, chromedp.Click(`#btn-heat`))
	var heat string
	waitJS(t, ctx, `document.getElementById('graph').dataset.heat === 'on' ? 'on' : null`, &heat)
	after := pixel(t, ctx, node)
	if !near(after, heatTop) || near(before, heatTop) {
		t.Errorf("box of %s: %v before the heat map, %v after; want %v after", node, before, after, heatTop)
	}
	run(t, ctx, 10*time.Second, chromedp.Click(`#cost-panel ol.cost-heavy button`))
	var sel string
	waitJS(t, ctx, `(() => { const s = window.modelpeek.state().selected;
		const c = document.querySelector('#cost-node table');
		return s && c && /MACs/.test(c.innerText) ? s : null; })()`, &sel)
	if sel != node {
		t.Errorf("selected %q after clicking the heaviest node, want %q", sel, node)
	}
	checkBatchInput(t, ctx)
}

// checkBatchInput sets resnet18's symbolic batch to 3 in the model panel:
// the graph's MACs triple.
func checkBatchInput(t *testing.T, ctx context.Context) {
	t.Helper()
	eval(t, ctx, `(document.getElementById('btn-model').click(), true)`, new(bool))
	var one string
	waitJS(t, ctx, `document.querySelector('#cost-panel input[data-dim="batch"]') ? document.getElementById('graph').dataset.costMacs : null`, &one)
	eval(t, ctx, `(() => { const i = document.querySelector('#cost-panel input[data-dim="batch"]'); i.value = '3';
		i.dispatchEvent(new Event('change')); return true; })()`, new(bool))
	var three string
	waitJS(t, ctx, `(() => { const m = document.getElementById('graph').dataset.costMacs; return m !== `+jsString(one)+` ? m : null; })()`, &three)
	var a, b int64
	fmt.Sscan(one, &a)
	fmt.Sscan(three, &b)
	if a == 0 || b != 3*a {
		t.Errorf("MACs %d at batch 1, %d at batch 3", a, b)
	}
}

// TestCostGroupTotals opens a graph drawn with collapsed groups: every
// collapsed group's box carries its MACs (the cost route's scope sums,
// checked in server's TestCostRoute).
func TestCostGroupTotals(t *testing.T) {
	var path string
	for _, e := range testenv.ManifestEntries(t, "onnx") {
		if strings.HasSuffix(e.Path, "transformer_pattern_2000_nodes.onnx") {
			path = e.Abs()
		}
	}
	if path == "" {
		t.Fatal("transformer_pattern_2000_nodes.onnx not in the manifest")
	}
	lib := fixture.NewLibrary()
	m, err := lib.Registry().Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	id := lib.Add("big.onnx", m)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id)
	var got struct {
		Groups  int `json:"groups"`
		Labeled int `json:"labeled"`
	}
	waitJS(t, ctx, `(() => { const v = window.modelpeek.view(); if (!v || !document.getElementById('graph').dataset.costMacs) return null;
		const gs = v.nodes.filter((n) => n.kind === 'group');
		return {groups: gs.length, labeled: gs.filter((n) => / MACs$/.test(n.costText || '')).length}; })()`, &got)
	if got.Groups == 0 || got.Labeled != got.Groups {
		t.Errorf("%d of %d collapsed groups carry their MACs", got.Labeled, got.Groups)
	}
}

// heaviestOp is the index of the node with the most MACs.
func heaviestOp(r *cost.Report) int {
	best := -1
	for i, n := range r.Nodes {
		if best < 0 || n.MACs > r.Nodes[best].MACs {
			best = i
		}
	}
	return best
}

// waitJS polls js until it returns non-null, decoding that into out; the
// bound is a hang bound (the page answers in well under a second).
func waitJS(t *testing.T, ctx context.Context, js string, out any) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var raw any
		if err := evalErr(ctx, 10*time.Second, js, &raw); err == nil && raw != nil {
			eval(t, ctx, js, out)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never true: %.120s", js)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// pixel centres box id, draws, and reads the canvas colour inside its
// title row, left of the label.
func pixel(t *testing.T, ctx context.Context, id string) [3]int {
	t.Helper()
	var rgb [3]int
	eval(t, ctx, `(() => { const mp = window.modelpeek; mp.centerOn(`+jsString(id)+`, 1.5); mp.draw();
		const n = mp.view().nodes.find((x) => x.id === `+jsString(id)+`);
		const p = mp.worldToScreen(n.x + 5, n.y + 4);
		const c = document.getElementById('canvas'); const k = c.width / c.clientWidth;
		const d = c.getContext('2d').getImageData(Math.round(p.x * k), Math.round(p.y * k), 1, 1).data;
		return [d[0], d[1], d[2]]; })()`, &rgb)
	return rgb
}

// near says whether two colours differ by at most 12 per channel
// (antialiasing, colour management).
func near(a, b [3]int) bool {
	for i := range a {
		if d := a[i] - b[i]; d > 12 || d < -12 {
			return false
		}
	}
	return true
}

// TestCostKVCache opens a GGUF LLM of the corpus (llama): the model panel
// shows its KV cache next to the MACs per token, for the file's context
// length (128 tokens, f16); setting n_ctx to 64 recounts it for 64 tokens.
func TestCostKVCache(t *testing.T) {
	var path string
	for _, e := range testenv.ManifestEntries(t, "gguf") {
		if strings.HasSuffix(e.Path, "gguf/arch/llama.gguf") {
			path = e.Abs()
		}
	}
	if path == "" {
		t.Fatal("gguf/arch/llama.gguf not in the manifest")
	}
	lib := fixture.NewLibrary()
	m, err := lib.Registry().Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	kv := cost.Model(context.Background(), m, cost.Options{}).LLM.KVCache
	if kv.KVContextTokens != 128 || kv.KVDType != "float16" {
		t.Fatalf("llama.gguf's KV cache %+v, want 128 tokens of float16", kv)
	}
	id := lib.Add("llama.gguf", m)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id)
	kvRow := `(() => { const r = [...document.querySelectorAll('#cost-panel tr')].find((tr) => tr.firstChild.textContent === 'KV cache');
		return r && r.lastChild.textContent; })()`
	var full string
	waitJS(t, ctx, kvRow, &full)
	if !strings.Contains(full, "per token") || !strings.HasSuffix(full, "at 128 tokens (float16)") {
		t.Errorf("KV cache row %q, want per token and at 128 tokens (float16)", full)
	}
	eval(t, ctx, `(() => { const i = document.querySelector('#cost-panel input[data-dim="n_ctx"]'); i.value = '64';
		i.dispatchEvent(new Event('change')); return true; })()`, new(bool))
	var half string
	waitJS(t, ctx, `(() => { const s = `+kvRow+`; return s && s !== `+jsString(full)+` ? s : null; })()`, &half)
	if !strings.HasSuffix(half, "at 64 tokens (float16)") {
		t.Errorf("KV cache row %q after n_ctx = 64", half)
	}
}

// TestCostLlama3KV counts a Llama-3-8B-shaped GGUF (the real tensor list
// and metadata in a sparse file): every node counted, and the KV cache at
// its published size in f16, 128 KiB per token (32 layers × K and V × 8
// KV heads × 128 dims × 2 bytes), 1 GiB for its 8192-token context.
func TestCostLlama3KV(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("NTFS files are not sparse unless marked so; this would write 16 GB")
	}
	path := filepath.Join(t.TempDir(), "llama-3-8b-f16.gguf")
	if err := fixture.Llama3_8B(path); err != nil {
		t.Fatal(err)
	}
	m, err := fixture.NewLibrary().Registry().Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	r := cost.Model(context.Background(), m, cost.Options{})
	if r.UnknownNodes != 0 || r.UnsizedNodes != 0 || r.LLM == nil {
		t.Fatalf("%d nodes unknown, %d unsized, llm %v", r.UnknownNodes, r.UnsizedNodes, r.LLM)
	}
	kv := r.LLM.KVCache
	if kv.KVBytesPerToken != 128<<10 || kv.KVContextTokens != 8192 || kv.KVBytesContext != 1<<30 || kv.KVLayers != 32 {
		t.Errorf("KV cache %+v, want 32 layers, 128 KiB per token, 1 GiB at 8192 tokens", kv)
	}
}
