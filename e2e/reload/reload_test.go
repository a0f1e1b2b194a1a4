package reload

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// chainLen is the number of nodes of the first version of every model.
const chainLen = 5

// suite is what the subtests share: one browser.
type suite struct {
	browser context.Context
}

// TestLiveReload runs the real modelpeek binary on a model file, shows it
// in Chromium, and rewrites the file in every way issue 7 names.
func TestLiveReload(t *testing.T) {
	s := &suite{browser: startBrowser(t)}
	for _, sv := range savers {
		t.Run("save="+sv.name, func(t *testing.T) { s.testSave(t, sv, sv.name == "rename") })
	}
	t.Run("partial-write", s.testPartialWrite)
	t.Run("broken-save", s.testBrokenSave)
	t.Run("latency", s.testLatency)
}

// page is one model file served by its own modelpeek and shown in a tab.
type page struct {
	file  string
	ctx   context.Context
	nodes int // data-nodes of the first version
}

// open writes chainModel(chainLen) through setup, starts modelpeek on it
// and opens it in a new tab.
func (s *suite) open(t *testing.T, setup func(*testing.T, string, []byte) string) *page {
	t.Helper()
	file := setup(t, t.TempDir(), chainModel(chainLen))
	url := serve(t, file)
	ctx := newTab(t, s.browser)
	st := openPage(t, ctx, url)
	if st.Banner != "" {
		t.Fatalf("a banner is shown before any change: %q", st.Banner)
	}
	return &page{file: file, ctx: ctx, nodes: st.Nodes}
}

// testSave rewrites the model with one more node through sv and checks
// the page: new count, no navigation, same viewport and selection,
// highlight, summary.
func (s *suite) testSave(t *testing.T, sv saver, checkFade bool) {
	p := s.open(t, sv.setup)

	// A viewport that is not the initial one, with room for one more node.
	c := readCamera(t, p.ctx)
	want := camera{X: c.X - 31.25, Y: c.Y - 17.5, Zoom: c.Zoom * 0.6}
	eval[bool](t, p.ctx, fmt.Sprintf(`(window.modelpeek.setCamera({x: %v, y: %v, zoom: %v}), window.modelpeek.draw(), true)`, want.X, want.Y, want.Zoom))
	before := readCamera(t, p.ctx)
	if before == c {
		t.Fatalf("window.modelpeek.setCamera(%+v) did not move the viewport (still %+v)", want, c)
	}
	if h := readHighlight(t, p.ctx, "relu_0", "relu_0"); h.Total != 0 {
		t.Fatalf("%d pixels of the highlight colour %s before any change", h.Total, h.Color)
	}
	selected := selectNode(t, p.ctx, "relu_1")
	installRecorder(t, p.ctx)

	sv.save(t, p.file, chainModel(chainLen+1))
	saved := time.Now()
	st := waitPage(t, p.ctx, 5*time.Second, fmt.Sprintf("%d nodes", p.nodes+1), func(s pageState) bool { return s.Nodes == p.nodes+1 })
	took := time.Since(saved)
	h := readHighlight(t, p.ctx, fmt.Sprintf("relu_%d", chainLen), "relu_0")
	t.Logf("%s: %d → %d nodes %v after the save; highlight %+v", sv.name, p.nodes, st.Nodes, took.Round(time.Millisecond), h)

	if !st.Marker {
		t.Errorf("window.__marker is gone: the page was reloaded or navigated instead of updated in place")
	}
	if st.State != "ready" || st.Error != "" {
		t.Errorf("graph state %q, error %q after the reload; want ready without error", st.State, st.Error)
	}
	if after := readCamera(t, p.ctx); !sameCamera(after, before) {
		t.Errorf("viewport changed by the reload: before %+v, after %+v", before, after)
	}
	if got := eval[string](t, p.ctx, `window.modelpeek.state().selected || ''`); got != selected {
		t.Errorf("selection after the reload is %q; want %q (relu_1 still exists)", got, selected)
	}
	switch {
	case h.Missing != "":
		t.Errorf("node %q is not in the page's view after the reload", h.Missing)
	case !h.Visible:
		t.Errorf("test setup: the new node or relu_0 is outside the canvas with viewport %+v, cannot check the highlight", before)
	default:
		if h.AtNew < 20 {
			t.Errorf("the new node relu_%d is not highlighted: %d pixels of %s around it (want ≥ 20)", chainLen, h.AtNew, h.Color)
		}
		if h.AtOld != 0 {
			t.Errorf("the unchanged node relu_0 is highlighted too: %d pixels of %s around it", h.AtOld, h.Color)
		}
	}
	st = waitPage(t, p.ctx, 2*time.Second, "the change summary", func(s pageState) bool { return s.Changes != "" })
	if st.Changes != "+1 node" {
		t.Errorf("change summary %q; want %q (one node added, nothing else changed)", st.Changes, "+1 node")
	}
	if st.Banner != "" {
		t.Errorf("banner %q after a good save", st.Banner)
	}
	checkOneReload(t, records(t, p.ctx), p.nodes)

	if checkFade {
		// The highlight fades after a few seconds, the summary later.
		time.Sleep(4500 * time.Millisecond)
		if h := readHighlight(t, p.ctx, fmt.Sprintf("relu_%d", chainLen), "relu_0"); h.Total != 0 {
			t.Errorf("the highlight is still drawn 4.5 s after the reload: %d pixels of %s", h.Total, h.Color)
		}
	}
}

// selectNode clicks the node with the given model name on the canvas and
// returns its view ID once the page reports it selected.
func selectNode(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	type target struct {
		X  float64 `json:"x"`
		Y  float64 `json:"y"`
		ID string  `json:"id"`
	}
	at := eval[target](t, ctx, fmt.Sprintf(`((name) => {
  const n = (window.modelpeek.view().nodes || []).find((n) => n.name === name);
  if (!n) return { x: -1, y: -1, id: '' };
  const p = window.modelpeek.nodeScreenPos(n.id), r = document.getElementById('canvas').getBoundingClientRect();
  return { x: r.left + p.x, y: r.top + p.y, id: n.id };
})(%q)`, name))
	if at.ID == "" {
		t.Fatalf("node %q is not in the page's view", name)
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.MouseClickXY(at.X, at.Y)); err != nil {
		t.Fatalf("click %s: %v", name, err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := eval[string](t, ctx, `window.modelpeek.state().selected || ''`)
		if got == at.ID {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("clicking %s at (%.0f, %.0f) selected %q, want %q", name, at.X, at.Y, got, at.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameCamera compares viewports up to float rounding.
func sameCamera(a, b camera) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(x)) }
	return near(a.X, b.X) && near(a.Y, b.Y) && near(a.Zoom, b.Zoom)
}

// checkOneReload checks that a single save made the page go from n to
// n+1 nodes once, never showing a loading or error state or a banner.
func checkOneReload(t *testing.T, log []record, n int) {
	t.Helper()
	changes := 0
	last := n
	for _, r := range log {
		if r.State != "ready" || r.Error != "" || r.Banner != "" {
			t.Errorf("the page went through a bad state during one good save: %v", r)
		}
		if r.Nodes != last {
			changes++
			last = r.Nodes
		}
	}
	if changes != 1 || last != n+1 {
		t.Errorf("data-nodes changed %d times ending at %d during one save (want once, %d → %d); log:\n%s", changes, last, n, n+1, joinRecords(log))
	}
}

func joinRecords(log []record) string {
	var b strings.Builder
	for _, r := range log {
		fmt.Fprintf(&b, "  %.1f %v\n", r.T, r)
	}
	return b.String()
}

// testPartialWrite writes half of the new version in place, then the
// whole of it 500 ms later: the page must keep the old graph (a banner
// may come and go) and end on the new one.
func (s *suite) testPartialWrite(t *testing.T) {
	p := s.open(t, plainFile)
	installRecorder(t, p.ctx)
	full := chainModel(chainLen + 1)
	writeInPlace(t, p.file, full[:len(full)/2])
	time.Sleep(500 * time.Millisecond)
	mid := waitPage(t, p.ctx, time.Second, "the page", func(pageState) bool { return true })
	writeInPlace(t, p.file, full)
	end := waitPage(t, p.ctx, 5*time.Second, fmt.Sprintf("%d nodes and no banner", p.nodes+1),
		func(s pageState) bool { return s.Nodes == p.nodes+1 && s.Banner == "" })
	log := records(t, p.ctx)
	t.Logf("after the half write: %+v; log:\n%s", mid, joinRecords(log))

	if mid.Nodes != p.nodes || mid.State != "ready" || mid.Error != "" {
		t.Errorf("the half-written file replaced the good graph: %+v (want ready with %d nodes)", mid, p.nodes)
	}
	if !end.Marker {
		t.Errorf("window.__marker is gone: the page was reloaded instead of updated")
	}
	bannered := false
	last := p.nodes
	for _, r := range log {
		if r.State != "ready" || r.Error != "" {
			t.Errorf("the graph left the ready state around a partial write: %v", r)
		}
		if r.Nodes != p.nodes && r.Nodes != p.nodes+1 || r.Nodes < last {
			t.Errorf("the page showed %d nodes (old %d, new %d) around a partial write", r.Nodes, p.nodes, p.nodes+1)
		}
		last = r.Nodes
		if r.Banner != "" {
			bannered = true
		}
	}
	t.Logf("a banner appeared for the half-written file: %v", bannered)
}

// testBrokenSave saves garbage: a banner with a readable error must
// appear over the last good graph, and the next good save clears it.
func (s *suite) testBrokenSave(t *testing.T) {
	p := s.open(t, plainFile)
	installRecorder(t, p.ctx)
	garbage := make([]byte, 4096)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range garbage {
		garbage[i] = byte(r.UintN(256))
	}
	saveRename(t, p.file, garbage)
	st := waitPage(t, p.ctx, 5*time.Second, "a banner after a broken save", func(s pageState) bool { return s.Banner != "" })
	t.Logf("banner: %q", st.Banner)
	checkReadable(t, st.Banner, filepath.Base(p.file))
	// The last good graph stays, now and a moment later.
	for _, wait := range []time.Duration{0, 300 * time.Millisecond} {
		time.Sleep(wait)
		st = waitPage(t, p.ctx, time.Second, "the page", func(pageState) bool { return true })
		if st.State != "ready" || st.Nodes != p.nodes || st.Error != "" || st.Banner == "" || !st.Marker {
			t.Errorf("after a broken save the page shows %+v; want the last good graph (ready, %d nodes) under the banner", st, p.nodes)
		}
	}

	saveRename(t, p.file, chainModel(chainLen+1))
	st = waitPage(t, p.ctx, 5*time.Second, "the banner cleared and the new graph", func(s pageState) bool {
		return s.Banner == "" && s.Nodes == p.nodes+1
	})
	if st.State != "ready" || st.Error != "" || !st.Marker {
		t.Errorf("after the good save the page shows %+v", st)
	}
	for _, r := range records(t, p.ctx) {
		if r.State != "ready" || r.Error != "" {
			t.Errorf("the graph left the ready state around a broken save: %v", r)
		}
	}
}

// checkReadable fails unless msg reads as a message for a person: it
// names the file, has no control or replacement characters, no Go
// internals, and is not too long.
func checkReadable(t *testing.T, msg, name string) {
	t.Helper()
	if !strings.Contains(msg, name) {
		t.Errorf("banner %q does not name the file %s", msg, name)
	}
	if len(msg) > 400 {
		t.Errorf("banner is %d characters long; want a short message", len(msg))
	}
	for _, r := range msg {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			t.Errorf("banner %q holds a raw byte or control character %U", msg, r)
			break
		}
	}
	for _, bad := range []string{"panic", "goroutine", "%!", "runtime error", "<nil>"} {
		if strings.Contains(msg, bad) {
			t.Errorf("banner %q contains %q", msg, bad)
		}
	}
}
