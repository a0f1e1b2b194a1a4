package reload

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/internal/testenv/browser"
)

// startBrowser starts a headless Chromium with a fresh profile, closed at
// the end of the test.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx, _ := browser.Start(t)
	return ctx
}

// newTab opens a tab of the browser, closed at the end of the test; the
// page's console is logged when the test fails.
func newTab(t *testing.T, b context.Context) context.Context {
	t.Helper()
	return browser.NewTab(t, b)
}

// evalErr evaluates a JavaScript expression in the page, decoding its
// JSON value into T.
func evalErr[T any](ctx context.Context, js string, opts ...chromedp.EvaluateOption) (T, error) {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(c, chromedp.Evaluate[T](js, opts...))
}

// eval is evalErr failing the test on error.
func eval[T any](t *testing.T, ctx context.Context, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := evalErr[T](ctx, js, opts...)
	if err != nil {
		t.Fatalf("evaluate %.100q: %v", js, err)
	}
	return v
}

// pageState is what the page shows, read in one evaluation.
type pageState struct {
	State   string `json:"state"`
	Nodes   int    `json:"nodes"`
	Error   string `json:"error"`   // #error text when shown
	Banner  string `json:"banner"`  // #banner text when shown
	Changes string `json:"changes"` // #changes text when shown
	Marker  bool   `json:"marker"`  // window.__marker survived
}

const readPage = `(() => {
  const g = document.getElementById('graph');
  const shown = (id) => { const e = document.getElementById(id); return e && !e.hidden ? e.textContent : ''; };
  return {state: g.dataset.state || '', nodes: +g.dataset.nodes || 0, error: shown('error'),
    banner: shown('banner'), changes: shown('changes'), marker: window.__marker === 1};
})()`

// waitPage polls the page until ok holds, failing with the last state
// and what after d.
func waitPage(t *testing.T, ctx context.Context, d time.Duration, what string, ok func(pageState) bool) pageState {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		st, err := evalErr[pageState](ctx, readPage)
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the page still does not show %s: last state %+v (err %v)", d, what, st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openPage navigates to url and waits for #graph[data-state=ready] with
// a model drawn.
func openPage(t *testing.T, ctx context.Context, url string) pageState {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
	return waitPage(t, ctx, 20*time.Second, "a ready graph", func(s pageState) bool {
		if s.State == "error" {
			t.Fatalf("the page shows an error instead of the model: %q", s.Error)
		}
		return s.State == "ready" && s.Nodes > 0
	})
}

// installRecorder sets window.__marker and records, in window.__rec.log,
// every change of #graph's data-state/data-nodes and of the #banner,
// #error and #changes elements, with wall-clock times (ms since the Unix
// epoch, sub-millisecond precision) so they compare with the test's own
// clock.
func installRecorder(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[bool](t, ctx, `(() => {
  const g = document.getElementById('graph');
  const now = () => performance.timeOrigin + performance.now();
  const shown = (id) => { const e = document.getElementById(id); return e && !e.hidden ? e.textContent : ''; };
  const rec = { log: [], sse: [] };
  window.__rec = rec;
  const snap = (why) => rec.log.push({ t: now(), why, state: g.dataset.state || '', nodes: +g.dataset.nodes || 0,
    banner: shown('banner'), error: shown('error'), changes: shown('changes') });
  new MutationObserver(() => snap('graph')).observe(g, { attributes: true, attributeFilter: ['data-state', 'data-nodes'] });
  for (const id of ['banner', 'error', 'changes']) {
    new MutationObserver(() => snap(id)).observe(document.getElementById(id),
      { attributes: true, childList: true, characterData: true, subtree: true });
  }
  window.__marker = 1;
  snap('start');
  return true;
})()`)
}

// record is one entry of window.__rec.log.
type record struct {
	T       float64 `json:"t"`
	Why     string  `json:"why"`
	State   string  `json:"state"`
	Nodes   int     `json:"nodes"`
	Banner  string  `json:"banner"`
	Error   string  `json:"error"`
	Changes string  `json:"changes"`
}

func (r record) String() string {
	return fmt.Sprintf("%s: state=%s nodes=%d banner=%q error=%q changes=%q", r.Why, r.State, r.Nodes, r.Banner, r.Error, r.Changes)
}

// records returns the recorder's log.
func records(t *testing.T, ctx context.Context) []record {
	t.Helper()
	return eval[[]record](t, ctx, `window.__rec ? window.__rec.log : null`)
}

// camera is the page's viewport (window.modelpeek.camera()).
type camera struct {
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	Zoom float64 `json:"zoom"`
}

// readCamera reads the viewport, failing with a clear message when the
// page does not expose it.
func readCamera(t *testing.T, ctx context.Context) camera {
	t.Helper()
	has := eval[bool](t, ctx, `!!(window.modelpeek && typeof window.modelpeek.camera === 'function')`)
	if !has {
		t.Fatalf("the page exposes no viewport state: window.modelpeek.camera() is missing (assets/web/js/main.js)")
	}
	return eval[camera](t, ctx, `window.modelpeek.camera()`)
}

// highlight is what the canvas shows of the change highlight: pixels of
// the theme's "changed" colour in the whole canvas and around two nodes.
type highlight struct {
	Color   string `json:"color"`
	Total   int    `json:"total"`
	AtNew   int    `json:"atNew"`
	AtOld   int    `json:"atOld"`
	Visible bool   `json:"visible"` // both nodes are inside the canvas
	Missing string `json:"missing"` // a node that is not in the view
}

// readHighlight counts canvas pixels of the change-highlight colour
// (#22c55e, colors.js theme().changed) around the node named newName and
// around the node named oldName, read with getImageData (no screenshot).
// Pixels are counted inside each node's box grown by 12 CSS pixels.
func readHighlight(t *testing.T, ctx context.Context, newName, oldName string) highlight {
	t.Helper()
	// Read after two animation frames, so what the page asked to draw
	// (it draws the highlight in its next frame) is on the canvas.
	return eval[highlight](t, ctx, fmt.Sprintf(`((newName, oldName) => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve((() => {
  const color = [0x22, 0xc5, 0x5e];
  const c = document.getElementById('canvas');
  const v = window.modelpeek.view();
  const byName = (name) => (v.nodes || []).find((n) => n.name === name);
  const a = byName(newName), b = byName(oldName);
  if (!a || !b) return { color: '#22c55e', total: 0, atNew: 0, atOld: 0, visible: false, missing: !a ? newName : oldName };
  const sx = c.width / c.clientWidth, sy = c.height / c.clientHeight;
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const count = (x0, y0, x1, y1) => {
    x0 = Math.max(0, Math.floor(x0 * sx)); y0 = Math.max(0, Math.floor(y0 * sy));
    x1 = Math.min(c.width, Math.ceil(x1 * sx)); y1 = Math.min(c.height, Math.ceil(y1 * sy));
    let k = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
      const i = (y * c.width + x) * 4;
      if (Math.abs(data[i] - color[0]) <= 24 && Math.abs(data[i + 1] - color[1]) <= 24 && Math.abs(data[i + 2] - color[2]) <= 24) k++;
    }
    return k;
  };
  const box = (n) => {
    const p = window.modelpeek.worldToScreen(n.x, n.y), q = window.modelpeek.worldToScreen(n.x + n.w, n.y + n.h);
    return [p.x - 12, p.y - 12, q.x + 12, q.y + 12];
  };
  const inside = (r) => r[0] >= 0 && r[1] >= 0 && r[2] <= c.clientWidth && r[3] <= c.clientHeight;
  const ra = box(a), rb = box(b);
  return { color: '#22c55e', total: count(0, 0, c.clientWidth, c.clientHeight), atNew: count(...ra), atOld: count(...rb),
    visible: inside(ra) && inside(rb), missing: '' };
})())))))(%q, %q)`, newName, oldName), chromedp.EvalAwaitPromise)
}
