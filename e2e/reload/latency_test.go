package reload

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// latencySaves is how many saves the latency figure is the median of.
const latencySaves = 20

// watchTarget is issue 7's bound from the last write to the reload.
const watchTarget = 300 * time.Millisecond

// sseEvent is one "model" event the page's extra EventSource received.
type sseEvent struct {
	T    float64 `json:"t"`
	Data struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
		Error   string `json:"error"`
	} `json:"data"`
}

// testLatency saves the model latencySaves times (write to a temporary
// file and rename, one more node each time) and measures, on the wall
// clock, from the rename to the SSE "model" event reaching the page and
// to the page's data-nodes changing (the graph drawn).
func (s *suite) testLatency(t *testing.T) {
	p := s.open(t, plainFile)
	installRecorder(t, p.ctx)
	// A second event stream in the page, to split the figure into the
	// server's part (watch, debounce, parse) and the browser's.
	if ok := eval[bool](t, p.ctx, `new Promise((resolve) => {
  const now = () => performance.timeOrigin + performance.now();
  const es = new EventSource('/api/events', { withCredentials: true });
  window.__rec.es = es;
  es.addEventListener('model', (m) => window.__rec.sse.push({ t: now(), data: JSON.parse(m.data) }));
  es.addEventListener('models', () => resolve(true), { once: true });
  setTimeout(() => resolve(false), 5000);
})`, chromedp.EvalAwaitPromise); !ok {
		t.Fatal("the page's second EventSource on /api/events got no first \"models\" event")
	}
	defer eval[bool](t, p.ctx, `(window.__rec.es.close(), true)`)

	saveAt := make([]float64, latencySaves)
	for k := 1; k <= latencySaves; k++ {
		data := chainModel(chainLen + k)
		saveRename(t, p.file, data)
		saveAt[k-1] = float64(time.Now().UnixNano()) / 1e6
		want := p.nodes + k
		ok := eval[bool](t, p.ctx, fmt.Sprintf(`new Promise((resolve) => {
  const g = document.getElementById('graph');
  const check = () => { if (+g.dataset.nodes === %d) { mo.disconnect(); resolve(true); } };
  const mo = new MutationObserver(check);
  mo.observe(g, { attributes: true, attributeFilter: ['data-nodes'] });
  check();
  setTimeout(() => { mo.disconnect(); resolve(false); }, 5000);
})`, want), chromedp.EvalAwaitPromise)
		if !ok {
			t.Fatalf("save %d: the page did not show %d nodes within 5 s", k, want)
		}
		// Let the page settle so saves stay separate events.
		time.Sleep(50 * time.Millisecond)
	}

	log := records(t, p.ctx)
	sse := eval[[]sseEvent](t, p.ctx, `window.__rec.sse`)
	var page, server []float64
	for k := 1; k <= latencySaves; k++ {
		want := p.nodes + k
		i := slices.IndexFunc(log, func(r record) bool { return r.Nodes == want })
		if i < 0 {
			t.Fatalf("save %d: no record of data-nodes=%d in the page's log", k, want)
		}
		page = append(page, log[i].T-saveAt[k-1])
		if k-1 < len(sse) {
			server = append(server, sse[k-1].T-saveAt[k-1])
		}
	}
	// Exactly one reload per save: one "model" event each, versions in a row.
	if len(sse) != latencySaves {
		t.Errorf("%d SSE model events for %d saves; want exactly one per save: %+v", len(sse), latencySaves, sse)
	}
	for i, ev := range sse {
		if ev.Data.Error != "" {
			t.Errorf("model event %d has error %q", i, ev.Data.Error)
		}
		if i > 0 && ev.Data.Version != sse[i-1].Data.Version+1 {
			t.Errorf("model event versions %d then %d; want consecutive", sse[i-1].Data.Version, ev.Data.Version)
		}
	}
	for _, r := range log {
		if r.State != "ready" || r.Error != "" || r.Banner != "" {
			t.Errorf("the page went through a bad state during good saves: %v", r)
		}
	}

	pm, p90 := median(page), percentile(page, 0.9)
	t.Logf("save → page data-nodes changed (graph drawn), %d saves: median %.0f ms, p90 %.0f ms, min %.0f, max %.0f",
		len(page), pm, p90, slices.Min(page), slices.Max(page))
	if len(server) > 0 {
		t.Logf("save → SSE model event in the page (watch + debounce + parse + SSE): median %.0f ms, p90 %.0f ms, min %.0f, max %.0f",
			median(server), percentile(server, 0.9), slices.Min(server), slices.Max(server))
		// The target is reported, not asserted: a busy machine must not
		// fail the suite. 10x the target still catches a lost debounce.
		if m := median(server); m > 10*float64(watchTarget.Milliseconds()) {
			t.Errorf("median save → model event %.0f ms, more than 10x the %v target", m, watchTarget)
		} else if m > float64(watchTarget.Milliseconds()) {
			t.Logf("median save → model event %.0f ms is above the %v target (machine busy?)", m, watchTarget)
		}
	}
}

// median returns the median of xs (not empty).
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile returns the nearest-rank q-th percentile of xs (not empty).
func percentile(xs []float64, q float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}
