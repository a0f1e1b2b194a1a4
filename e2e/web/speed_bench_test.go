//go:build unix

package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

// TestSpeedTable prints issue 26's table: for synthetic transformer ONNX
// files of each size, navigation → #graph[data-state=ready] with every
// node drawn (expand=all), best of MODELPEEK_SPEED_RUNS (3) runs, each with
// a fresh server started with the file (no layout left by an earlier page)
// and a fresh browser; for the best run, when the graph's reply was in and
// the page's work after it (decode, scene, draw); the page's JS heap after
// a garbage collection (and its array buffers) and the graph reply's bytes
// on the wire (gzip). A last row is the browser's floor on this machine
// (measureFloor): what a page of one style sheet and one module takes to
// draw a box in a fresh browser. MODELPEEK_SPEED_BASE=<another checkout> builds
// that checkout's binary and measures it in the same run, interleaved run
// by run, and prints the ratios. It is slow, so it runs only with
// MODELPEEK_WEB_BENCH=1. TestNetronTable (netron_bench_test.go) puts the
// same files beside Netron's page, given a checkout of it in
// MODELPEEK_NETRON. MODELPEEK_SPEED_BROWSER=warm keeps one browser
// for every run (each still with a fresh server, on a new port, so no
// cache is shared): a user's browser is usually running already, and a
// fresh one's start-up costs more on a small machine than the whole page.
//
//	MODELPEEK_WEB_BENCH=1 MODELPEEK_SPEED_SIZES=2000,10000,100000 \
//	  MODELPEEK_SPEED_BASE=/path/to/main go test ./e2e/web -run TestSpeedTable -v
func TestSpeedTable(t *testing.T) {
	if os.Getenv("MODELPEEK_WEB_BENCH") != "1" {
		t.Skip("set MODELPEEK_WEB_BENCH=1 to run the speed table")
	}
	sizes := proc.EnvInts(t, "MODELPEEK_SPEED_SIZES", []int{2000, 10000, 100000})
	runs := proc.EnvInts(t, "MODELPEEK_SPEED_RUNS", []int{3})[0]
	tools := []speedTool{{name: "this", exe: proc.Binary(t)}}
	if base := os.Getenv("MODELPEEK_SPEED_BASE"); base != "" {
		tools = append(tools, speedTool{name: "base", exe: proc.BuildAt(t, base)})
	}
	var warm context.Context
	if os.Getenv("MODELPEEK_SPEED_BROWSER") == "warm" {
		var stop func()
		warm, stop = newProbedBrowser(t)
		defer stop()
	}
	var rows []string
	for _, n := range sizes {
		file := writeTransformer(t, n)
		results := make([][]speedSample, len(tools))
		for r := 0; r < runs; r++ {
			for i, tool := range tools { // interleaved: drift hits both alike
				s := measureOpenIn(t, warm, tool.exe, file)
				t.Logf("%d nodes, %s, run %d: ready %.0f ms (graph reply in at %.0f ms), heap %.1f MB (+%.1f MB buffers), wire %.2f MB, %d nodes drawn",
					n, tool.name, r+1, s.readyMs, s.replyMs, s.heap/1e6, s.buffers/1e6, s.wire/1e6, s.drawn)
				results[i] = append(results[i], s)
			}
		}
		rows = append(rows, speedRows(n, tools, results)...)
	}
	var floor []float64
	for r := 0; r < runs; r++ {
		floor = append(floor, measureFloor(t, warm))
	}
	rows = append(rows, fmt.Sprintf("| – | browser floor (a page of one style sheet and one module drawing a box) | %.0f ms | %.0f ms | %s | | | | | | |",
		slices.Min(floor), proc.Median(floor), proc.JoinMs(floor)))
	t.Log("| nodes | binary | navigation → ready (best) | median | all runs | graph reply in | reply → ready | JS heap | + array buffers | graph on the wire (gzip) | drawn |")
	for _, r := range rows {
		t.Log(r)
	}
}

// speedTool is a modelpeek binary to measure.
type speedTool struct{ name, exe string }

// speedSample is one measured page load.
type speedSample struct {
	readyMs, replyMs, heap, buffers, wire float64
	drawn                                 int
}

// speedRows formats one size's results: a row per tool and, with a
// baseline, a row of ratios (base ÷ this, so > 1 means this is better).
func speedRows(n int, tools []speedTool, results [][]speedSample) []string {
	var rows []string
	best := make([]speedSample, len(tools))
	med := make([]float64, len(tools))
	for i, tool := range tools {
		rs := results[i]
		b := slices.MinFunc(rs, func(a, c speedSample) int { return int(a.readyMs - c.readyMs) })
		best[i] = b
		var all []float64
		for _, s := range rs {
			all = append(all, s.readyMs)
		}
		med[i] = proc.Median(all)
		rows = append(rows, fmt.Sprintf("| %d | %s | %.0f ms | %.0f ms | %s | %.0f ms | %.0f ms | %.1f MB | %.1f MB | %.2f MB | %d |",
			n, tool.name, b.readyMs, med[i], proc.JoinMs(all), b.replyMs, b.readyMs-b.replyMs, b.heap/1e6, b.buffers/1e6, b.wire/1e6, b.drawn))
	}
	if len(tools) > 1 {
		a, b := best[0], best[1]
		rows = append(rows, fmt.Sprintf("| %d | base ÷ this | %.2f× | %.2f× | | %.2f× | %.2f× | %.2f× | | %.2f× | |",
			n, b.readyMs/a.readyMs, med[1]/med[0], b.replyMs/a.replyMs, (b.readyMs-b.replyMs)/(a.readyMs-a.replyMs), b.heap/a.heap, b.wire/a.wire))
	}
	return rows
}

// writeTransformer writes a synthetic transformer of about n nodes as an
// ONNX file.
func writeTransformer(t *testing.T, n int) string {
	p, err := fixture.WriteTransformer(t.TempDir(), n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// readyProbe runs before the page's own scripts and records when #graph
// first reaches data-state=ready (ms since navigation start).
const readyProbe = `new MutationObserver((ms, o) => {
  for (const m of ms) if (m.target.id === 'graph' && m.target.dataset.state === 'ready') {
    window.speedReadyAt = performance.now(); o.disconnect(); return; }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-state']});
window.speedLong = [];
try { new PerformanceObserver((l) => { for (const e of l.getEntries()) window.speedLong.push(e.startTime.toFixed(0) + '+' + e.duration.toFixed(0)); }).observe({type: 'longtask', buffered: true}); } catch (e) {}`

// measureOpen starts exe serving file, opens it in a fresh browser with
// every group expanded and measures the load.
func measureOpen(t *testing.T, exe, file string) speedSample {
	return measureOpenIn(t, nil, exe, file)
}

// newProbedBrowser starts a browser whose pages record when #graph is
// first ready (readyProbe), on about:blank.
func newProbedBrowser(t *testing.T) (context.Context, func()) {
	ctx, closeBrowser := newFreshBrowser(t)
	run(t, ctx, 30*time.Second, chromedp.Navigate("about:blank"))
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: readyProbe}); err != nil {
		t.Fatal(err)
	}
	return ctx, closeBrowser
}

// probedPage returns browser ctx on about:blank, or, for a nil ctx, a
// fresh probed browser; done closes what it started.
func probedPage(t *testing.T, ctx context.Context) (context.Context, func()) {
	if ctx == nil {
		return newProbedBrowser(t)
	}
	run(t, ctx, 30*time.Second, chromedp.Navigate("about:blank"))
	return ctx, func() {}
}

// measureOpenIn is measureOpen in browser ctx (from newProbedBrowser;
// nil: a fresh one).
func measureOpenIn(t *testing.T, ctx context.Context, exe, file string) speedSample {
	h := proc.NewHome(t)
	cmd := exec.Command(exe, "serve", "--no-browser", "--addr", "127.0.0.1:0", file)
	trace := os.Getenv("MODELPEEK_SPEED_TRACE") == "1"
	cmd.Env = h.Env(nil)
	if trace {
		cmd.Env = h.Env(nil, "MODELPEEK_LOG=debug") // for proc.Stages
	}
	srv := proc.StartServing(t, cmd, h)
	var navAt time.Time
	defer func() {
		srv.Stop(t, syscall.SIGTERM, 20*time.Second) // hang bound: exits in ~10 ms
		if trace {
			t.Log("server stages (ms since navigation when each ended):" + proc.Stages(srv.Stderr(), navAt))
		}
	}()
	ctx, done := probedPage(t, ctx)
	defer done()
	navAt = time.Now()
	run(t, ctx, 120*time.Second, chromedp.Navigate(srv.URL.String()+"&expand=all"))
	// Hang bound: 100k nodes are ready in a few seconds.
	st := waitGraph(t, ctx, 120*time.Second, func(s graphState) bool { return s.State != "" })
	if st.State != "ready" || st.Nodes == 0 {
		t.Fatalf("%s: state %q, %d nodes, error %q", file, st.State, st.Nodes, st.Error)
	}
	var s struct {
		Ready float64 `json:"ready"`
		Wire  float64 `json:"wire"`
		Reply float64 `json:"reply"`
	}
	eval(t, ctx, `(() => { const g = performance.getEntriesByType('resource').find((r) => r.name.includes('/graph?'));
	  return {ready: window.speedReadyAt || 0, wire: g ? g.encodedBodySize : 0, reply: g ? g.responseEnd : 0}; })()`, &s)
	if trace {
		logTrace(t, ctx)
	}
	heap := jsHeap(t, ctx)
	return speedSample{readyMs: s.Ready, replyMs: s.Reply, heap: heap.UsedSize, buffers: heap.BackingStorageSize, wire: s.Wire, drawn: st.Nodes}
}

// logTrace logs the page's resource timings and marks (ms since
// navigation start).
func logTrace(t *testing.T, ctx context.Context) {
	var trace []string
	eval(t, ctx, `(() => { const out = []; const nav = performance.getEntriesByType('navigation')[0];
	  out.push('page ' + nav.startTime.toFixed(0) + ' → ' + nav.responseEnd.toFixed(0) + ', DOM interactive ' + nav.domInteractive.toFixed(0));
	  for (const r of performance.getEntriesByType('resource')) out.push(r.name.replace(location.origin, '') + ' ' + r.startTime.toFixed(0) + ' → ' + r.responseEnd.toFixed(0));
	  for (const m of performance.getEntriesByType('mark')) out.push('mark ' + m.name + ' ' + m.startTime.toFixed(0));
	  for (const p of performance.getEntriesByType('paint')) out.push(p.name + ' ' + p.startTime.toFixed(0));
	  out.push('long tasks ' + (window.speedLong || []).join(' '));
	  out.push('ready ' + (window.speedReadyAt || 0).toFixed(0));
	  return out; })()`, &trace)
	t.Log(strings.Join(trace, "\n\t"))
}

// jsHeap collects garbage and returns the page's heap usage.
func jsHeap(t *testing.T, ctx context.Context) cdpruntime.GetHeapUsageResult {
	if _, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	u, err := chromedp.Call(ctx, cdpruntime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}
