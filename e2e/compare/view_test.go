package compare_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv/browser"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
	"github.com/modelpeek/modelpeek/model"
)

// hang bounds a wait on the page: 10× what it takes here (the compare
// view of the sample pair is ready in about 0.3 s, a reload in 0.5 s).
const hang = 10 * time.Second

// writePair writes the sample (a.onnx) and its edited copy (b.onnx) into
// dir and returns their paths.
func writePair(t *testing.T, dir string) (string, string) {
	t.Helper()
	ma, da := fixture.Sample()
	mb, db := edit(t)
	var paths []string
	for _, f := range []struct {
		name string
		b    func() ([]byte, error)
	}{
		{"a.onnx", func() ([]byte, error) { return fixture.EncodeONNX(ma, da) }},
		{"b.onnx", func() ([]byte, error) { return fixture.EncodeONNX(mb, db) }},
	} {
		b, err := f.b()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths[0], paths[1]
}

// session is the real binary serving some files and a Chromium tab.
type session struct {
	t    *testing.T
	ctx  context.Context
	base string // http://host:port
	srv  *proc.Server
}

// serve starts modelpeek on files and opens its page in a fresh browser.
func serve(t *testing.T, files ...string) *session {
	t.Helper()
	srv := proc.Serve(t, nil, files...)
	t.Cleanup(func() { srv.Stop(t, syscall.SIGINT, hang) })
	return browse(t, srv)
}

// browse opens the page of srv in a fresh browser.
func browse(t *testing.T, srv *proc.Server) *session {
	t.Helper()
	b, _ := browser.Start(t)
	s := &session{t: t, ctx: browser.NewTab(t, b), base: "http://" + srv.Addr, srv: srv}
	s.navigate(srv.URL.String())
	s.wait("the model list", `window.modelpeek && document.getElementById('graph').dataset.state === 'ready'`)
	return s
}

func (s *session) navigate(u string) {
	s.t.Helper()
	c, cancel := context.WithTimeout(s.ctx, hang)
	defer cancel()
	if err := chromedp.Do(c, chromedp.Navigate(u)); err != nil {
		s.t.Fatalf("navigate to %s: %v", u, err)
	}
}

// eval evaluates js in the page and decodes its value into T.
func eval[T any](s *session, js string) T {
	s.t.Helper()
	c, cancel := context.WithTimeout(s.ctx, hang)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatalf("evaluate %.120q: %v", js, err)
	}
	return v
}

// wait polls the page until the expression cond is true.
func (s *session) wait(what, cond string) {
	s.t.Helper()
	deadline := time.Now().Add(hang)
	for !eval[bool](s, "!!("+cond+")") {
		if time.Now().After(deadline) {
			s.t.Fatalf("the page never showed %s (%s); compare state %s", what, cond, eval[string](s, `JSON.stringify(window.modelpeekCompare && window.modelpeekCompare.state())`))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ids maps the open models' file names to their IDs.
func (s *session) ids() map[string]string {
	s.t.Helper()
	list := eval[[]struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}](s, `fetch('/api/models', {credentials: 'same-origin'}).then((r) => r.json())`)
	out := map[string]string{}
	for _, m := range list {
		out[m.Name] = m.ID
	}
	return out
}

// compareState is window.modelpeekCompare.state().
type compareState struct {
	Open      bool    `json:"open"`
	State     string  `json:"state"`
	Mode      string  `json:"mode"`
	SelectedA string  `json:"selectedA"`
	SelectedB string  `json:"selectedB"`
	Current   *item   `json:"current"`
	Items     []item  `json:"items"`
	Ghosts    int     `json:"ghosts"`
	ReadyMs   float64 `json:"readyMs"`
}

type item struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

type camera struct {
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	Zoom float64 `json:"zoom"`
}

func (s *session) state() compareState {
	return eval[compareState](s, `window.modelpeekCompare.state()`)
}

// openCompare opens ?model=a&compare=b and waits for the view.
func (s *session) openCompare(a, b string) compareState {
	s.t.Helper()
	s.navigate(s.base + "/?model=" + url.QueryEscape(a) + "&compare=" + url.QueryEscape(b))
	s.wait("the compare view", `window.modelpeekCompare && ['ready', 'error'].includes(window.modelpeekCompare.state().state)`)
	st := s.state()
	if st.State != "ready" {
		s.t.Fatalf("compare view: %s", eval[string](s, `document.querySelector('.cmp-error').textContent`))
	}
	return st
}

func (s *session) key(k string) {
	s.t.Helper()
	c, cancel := context.WithTimeout(s.ctx, hang)
	defer cancel()
	if err := chromedp.Do(c, chromedp.KeyEvent(k)); err != nil {
		s.t.Fatal(err)
	}
}

// wantItems are the changes of the edited copy, in any order.
var wantItems = []item{
	{"changed", editedNode},
	{"added", insertedNode},
	{"removed", removedNode},
	{"changed", "/classifier/fc/Gemm"},
}

func sortedItems(its []item) []item {
	out := slices.Clone(its)
	slices.SortFunc(out, func(a, b item) int { return strings.Compare(a.Kind+a.Name, b.Kind+b.Name) })
	return out
}

// TestCompareView: the side-by-side view of the sample and its edited
// copy lists exactly the four edits, steps through them with N and P,
// links the selection of a node to its match, keeps the panes aligned
// and draws the overlay.
func TestCompareView(t *testing.T) {
	a, b := writePair(t, t.TempDir())
	s := serve(t, a, b)
	ids := s.ids()
	st := s.openCompare(ids["a.onnx"], ids["b.onnx"])
	if st.Mode != "side" || !eval[bool](s, `document.getElementById('graph').hidden && !document.getElementById('compare').hidden`) {
		t.Fatalf("the side-by-side view is not shown: %+v", st)
	}
	if !slices.Equal(sortedItems(st.Items), sortedItems(wantItems)) {
		t.Fatalf("change list %v, want exactly %v", st.Items, wantItems)
	}
	s.wait("the status bar of the comparison", `document.getElementById('status-text').textContent.includes('4 changes')`)
	t.Logf("compare view ready in %.0f ms; status %q", st.ReadyMs, eval[string](s, `document.getElementById('status-text').textContent`))
	t.Run("step", func(t *testing.T) { testStep(t, s, st.Items) })
	t.Run("select", func(t *testing.T) { testLinkedSelection(t, s) })
	t.Run("sync", func(t *testing.T) { testSyncedViewport(t, s) })
	t.Run("overlay", func(t *testing.T) { testOverlay(t, s) })
}

// testStep: N visits every change once in list order and wraps; P goes
// back; the ▶ button steps like N; the changed weight shows its
// statistics in the sidebar.
func testStep(t *testing.T, s *session, items []item) {
	s.t = t
	var seen []item
	for range items {
		s.key("n")
		seen = append(seen, *s.state().Current)
	}
	if !slices.Equal(seen, items) {
		t.Errorf("N stepped through %v, want the list %v", seen, items)
	}
	s.key("n")
	if cur := s.state().Current; *cur != items[0] {
		t.Errorf("N after the last change is at %v, want the first %v", *cur, items[0])
	}
	s.key("p")
	if cur := s.state().Current; *cur != items[len(items)-1] {
		t.Errorf("P from the first change is at %v, want the last %v", *cur, items[len(items)-1])
	}
	eval[bool](s, `(document.querySelector('.cmp-next').click(), true)`)
	if cur := s.state().Current; *cur != items[0] {
		t.Errorf("the ▶ button went to %v, want %v", *cur, items[0])
	}
	k := slices.Index(items, item{"changed", "/classifier/fc/Gemm"})
	for s.state().Current.Name != items[k].Name {
		s.key("n")
	}
	side := eval[string](s, `document.getElementById('sidebar-content').textContent`)
	for _, want := range []string{perturbed, "max abs diff", "cosine", "0.5"} {
		if !strings.Contains(side, want) {
			t.Errorf("the sidebar of the changed Gemm lacks %q: %q", want, side)
		}
	}
}

// testLinkedSelection clicks a node in pane A: it and its match in B are
// selected.
func testLinkedSelection(t *testing.T, s *session) {
	s.t = t
	const name = "/features/conv2/Conv"
	idA := eval[string](s, fmt.Sprintf(`window.modelpeekCompare.view('a').nodes.find((n) => n.name === %q).id`, name))
	idB := eval[string](s, fmt.Sprintf(`window.modelpeekCompare.view('b').nodes.find((n) => n.name === %q).id`, name))
	eval[bool](s, fmt.Sprintf(`(() => { const v = window.modelpeekCompare.view('a'), n = v.nodes.find((n) => n.id === %q);
  const c = window.modelpeekCompare.camera('a');
  return window.modelpeekCompare.setCamera('a', {x: n.x + n.w / 2 - 200 / c.zoom, y: n.y + n.h / 2 - 150 / c.zoom, zoom: c.zoom}); })()`, idA))
	p := eval[struct{ X, Y float64 }](s, fmt.Sprintf(`window.modelpeekCompare.screenPos('a', %q)`, idA))
	c, cancel := context.WithTimeout(s.ctx, hang)
	defer cancel()
	if err := chromedp.Do(c, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
		t.Fatal(err)
	}
	s.wait("the clicked node selected", fmt.Sprintf(`window.modelpeekCompare.state().selectedA === %q`, idA))
	if st := s.state(); st.SelectedB != idB {
		t.Errorf("selecting %s (%s) in A selected %q in B, want its match %s", name, idA, st.SelectedB, idB)
	}
	if side := eval[string](s, `document.querySelector('#sidebar-content h2').textContent`); side != name {
		t.Errorf("the sidebar shows %q, want %s", side, name)
	}
}

// testSyncedViewport pans and zooms pane A: pane B follows at the same
// zoom.
func testSyncedViewport(t *testing.T, s *session) {
	s.t = t
	before := eval[camera](s, `window.modelpeekCompare.camera('b')`)
	ca := eval[camera](s, `window.modelpeekCompare.camera('a')`)
	want := camera{X: ca.X + 40, Y: ca.Y + 60, Zoom: ca.Zoom * 0.8}
	eval[bool](s, fmt.Sprintf(`window.modelpeekCompare.setCamera('a', {x: %v, y: %v, zoom: %v})`, want.X, want.Y, want.Zoom))
	s.wait("pane B at A's zoom", fmt.Sprintf(`Math.abs(window.modelpeekCompare.camera('b').zoom - %v) < 1e-9`, want.Zoom))
	if after := eval[camera](s, `window.modelpeekCompare.camera('b')`); after == before {
		t.Errorf("pane B did not move with pane A: %+v", after)
	}
}

// testOverlay switches to overlay (O): one graph, the removed node drawn
// as a ghost, the added and removed colours on the canvas.
func testOverlay(t *testing.T, s *session) {
	s.t = t
	s.key("o")
	s.wait("overlay mode", `window.modelpeekCompare.state().mode === 'overlay'`)
	for s.state().Current.Kind != "removed" {
		s.key("n")
	}
	st := s.state()
	if st.Ghosts != 1 {
		t.Errorf("%d ghosts, want the removed node's", st.Ghosts)
	}
	if w := eval[float64](s, `document.querySelector('.cmp-pane[data-side="a"]').getBoundingClientRect().width`); w != 0 {
		t.Errorf("pane A is still shown in overlay mode (%v px wide)", w)
	}
	if n := countColor(s, "#dc2626"); n < 50 {
		t.Errorf("%d pixels of the removed colour in the overlay, want the ghost's (≥ 50)", n)
	}
	s.key("f")
	if n := countColor(s, "#16a34a"); n < 50 {
		t.Errorf("%d pixels of the added colour in the overlay, want the inserted node's (≥ 50)", n)
	}
	s.key("o")
	s.wait("side-by-side mode", `window.modelpeekCompare.state().mode === 'side'`)
}

// countColor counts the pixels of pane B's canvas within a small
// distance of colour hex, after two animation frames.
func countColor(s *session, hex string) int {
	return eval[int](s, fmt.Sprintf(`new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => {
  const c = document.querySelector('.cmp-pane[data-side="b"] canvas');
  const want = [parseInt(%[1]q.slice(1, 3), 16), parseInt(%[1]q.slice(3, 5), 16), parseInt(%[1]q.slice(5, 7), 16)];
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let k = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - want[0]) <= 16 && Math.abs(d[i + 1] - want[1]) <= 16 && Math.abs(d[i + 2] - want[2]) <= 16) k++;
  resolve(k);
})))`, hex))
}

// TestReloadAndPrevious: rewriting a watched model highlights what the
// engine reports (the same four edits as the compare view), and the
// compare view of the model with its previous version lists them.
func TestReloadAndPrevious(t *testing.T) {
	dir := t.TempDir()
	a, b := writePair(t, dir)
	watched := filepath.Join(t.TempDir(), "model.onnx")
	copyFile(t, a, watched)
	s := serve(t, watched)
	id := s.ids()["model.onnx"]

	tmp := watched + ".tmp"
	copyFile(t, b, tmp)
	if err := os.Rename(tmp, watched); err != nil {
		t.Fatal(err)
	}
	s.wait("the engine's change summary", `document.getElementById('changes').dataset.source === 'engine' && !document.getElementById('changes').hidden`)
	if got, want := eval[string](s, `document.getElementById('changes').textContent`), "+1 node, 2 changed, 1 removed"; got != want {
		t.Errorf("reload summary %q, want %q", got, want)
	}

	// The tab's menu offers the previous version.
	const offer = "Compare with previous version of model.onnx"
	s.wait("the previous version in the tab menu", fmt.Sprintf(`(() => {
  document.querySelector('.tab').dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, cancelable: true, clientX: 20, clientY: 20}));
  const b = [...document.querySelectorAll('#cmp-menu button')].find((b) => b.textContent === %q);
  if (b) b.click();
  return !!b; })()`, offer))
	s.wait("the compare view from the tab menu", `window.modelpeekCompare.state().state === 'ready'`)
	if st := s.state(); !slices.Equal(sortedItems(st.Items), sortedItems(wantItems)) {
		t.Errorf("%s lists %v, want exactly %v", offer, st.Items, wantItems)
	}

	st := s.openCompare(id, "previous")
	if !slices.Equal(sortedItems(st.Items), sortedItems(wantItems)) {
		t.Errorf("compare with the previous version lists %v, want exactly %v", st.Items, wantItems)
	}

	// Saving the first version again: the open comparison follows, the
	// edits now undone (the inserted node removed, the removed one added).
	copyFile(t, a, tmp)
	if err := os.Rename(tmp, watched); err != nil {
		t.Fatal(err)
	}
	s.wait("the comparison of the new pair of versions", fmt.Sprintf(`(() => { const st = window.modelpeekCompare.state();
  return st.state === 'ready' && st.items.some((it) => it.kind === 'removed' && it.name === %q); })()`, insertedNode))
	undone := []item{{"changed", editedNode}, {"removed", insertedNode}, {"added", removedNode}, {"changed", "/classifier/fc/Gemm"}}
	if st := s.state(); !slices.Equal(sortedItems(st.Items), sortedItems(undone)) {
		t.Errorf("after saving the first version again the comparison lists %v, want exactly %v", st.Items, undone)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDropTwoFiles: dropping two model files at once uploads both and
// opens their compare view.
func TestDropTwoFiles(t *testing.T) {
	a, b := writePair(t, t.TempDir())
	s := serve(t)
	var files []string
	for _, p := range []string{a, b} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fmt.Sprintf(`new File([Uint8Array.from(atob(%q), (c) => c.charCodeAt(0))], %q)`, base64.StdEncoding.EncodeToString(data), filepath.Base(p)))
	}
	eval[bool](s, `(() => { const dt = new DataTransfer(); for (const f of [`+strings.Join(files, ", ")+`]) dt.items.add(f);
  document.body.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})); return true; })()`)
	s.wait("the compare view of the dropped files", `window.modelpeekCompare.state().state === 'ready'`)
	if st := s.state(); !slices.Equal(sortedItems(st.Items), sortedItems(wantItems)) {
		t.Errorf("the dropped pair's change list is %v, want exactly %v", st.Items, wantItems)
	}
}

// TestCompareEntryPoints: the tab's context menu offers "Compare with"
// the other open model, the toolbar's Compare… asks for both, and Close
// goes back to the single graph.
func TestCompareEntryPoints(t *testing.T) {
	a, b := writePair(t, t.TempDir())
	s := serve(t, a, b)
	ids := s.ids()

	// Right-click the tab of a.onnx.
	at := eval[struct{ X, Y float64 }](s, fmt.Sprintf(`(() => { const r = document.querySelector('.tab[data-id=%q]').getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()`, ids["a.onnx"]))
	c, cancel := context.WithTimeout(s.ctx, hang)
	defer cancel()
	if err := chromedp.Do(c, chromedp.MouseClickXY(at.X, at.Y, chromedp.Button("right"))); err != nil {
		t.Fatal(err)
	}
	s.wait("the tab menu", `document.getElementById('cmp-menu')`)
	labels := eval[[]string](s, `[...document.querySelectorAll('#cmp-menu button')].map((b) => b.textContent)`)
	if !slices.Contains(labels, "Compare with b.onnx") || !slices.Contains(labels, "Compare with…") {
		t.Fatalf("tab menu %q, want Compare with b.onnx and Compare with…", labels)
	}
	eval[bool](s, `([...document.querySelectorAll('#cmp-menu button')].find((b) => b.textContent === 'Compare with b.onnx').click(), true)`)
	s.wait("the compare view from the tab menu", `window.modelpeekCompare.state().state === 'ready'`)
	if st := eval[struct{ A, B string }](s, `window.modelpeekCompare.state()`); st.A != ids["a.onnx"] || st.B != ids["b.onnx"] {
		t.Errorf("the tab menu compares %s with %s, want a.onnx with b.onnx", st.A, st.B)
	}

	eval[bool](s, `(document.querySelector('.cmp-close').click(), true)`)
	s.wait("the single graph again", `!document.getElementById('graph').hidden && document.getElementById('compare').hidden && !window.modelpeekCompare.state().open`)
	if q := eval[string](s, `location.search`); strings.Contains(q, "compare=") {
		t.Errorf("the URL still asks for the compare view after Close: %s", q)
	}

	// The toolbar's chooser, with B and A swapped.
	eval[bool](s, `(document.getElementById('btn-compare').click(), true)`)
	s.wait("the chooser", `document.getElementById('cmp-select-a')`)
	eval[bool](s, fmt.Sprintf(`(() => { const a = document.getElementById('cmp-select-a'); a.value = %q; a.dispatchEvent(new Event('change'));
  document.getElementById('cmp-select-b').value = %q; document.querySelector('.cmp-go').click(); return true; })()`, ids["b.onnx"], ids["a.onnx"]))
	s.wait("the compare view from the chooser", `window.modelpeekCompare.state().state === 'ready' && window.modelpeekCompare.state().a === `+fmt.Sprintf("%q", ids["b.onnx"]))
	reversed := []item{{"changed", editedNode}, {"removed", insertedNode}, {"added", removedNode}, {"changed", "/classifier/fc/Gemm"}}
	if st := s.state(); !slices.Equal(sortedItems(st.Items), sortedItems(reversed)) {
		t.Errorf("b.onnx against a.onnx lists %v, want %v", st.Items, reversed)
	}
}

// TestUnreadWeightListed: a changed weight that no node reads is listed
// on its own, and its statistics show in the sidebar.
func TestUnreadWeightListed(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for k, last := range []float32{4, 4.5} {
		m, data := fixture.Sample()
		m.Graph.Initializers = append(m.Graph.Initializers, &model.Tensor{Name: "spare", DType: "float32", Shape: []int64{4}})
		data["spare"] = []float32{1, 2, 3, last}
		b, err := fixture.EncodeONNX(m, data)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%c.onnx", 'a'+k))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	s := serve(t, paths...)
	ids := s.ids()
	st := s.openCompare(ids["a.onnx"], ids["b.onnx"])
	if want := []item{{"changed", "weight spare"}}; !slices.Equal(st.Items, want) {
		t.Fatalf("change list %v, want %v", st.Items, want)
	}
	s.key("n")
	side := eval[string](s, `document.getElementById('sidebar-content').textContent`)
	for _, want := range []string{"weight spare", "max abs diff", "0.5"} {
		if !strings.Contains(side, want) {
			t.Errorf("the sidebar of the unread weight lacks %q: %q", want, side)
		}
	}
}
