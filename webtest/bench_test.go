package webtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOpenBenchmark measures, in a fresh headless Chromium per size, the
// time from navigation to data-state=ready for generated transformer graphs
// (the server's layout included, cold cache), the renderer's memory, and
// the cost of one frame zoomed out and zoomed in. It also takes the 100k
// screenshots. It is slow, so it runs only with MODELPEEK_WEB_BENCH=1:
//
//	MODELPEEK_WEB_BENCH=1 go test ./webtest -run TestOpenBenchmark -v
func TestOpenBenchmark(t *testing.T) {
	if os.Getenv("MODELPEEK_WEB_BENCH") != "1" {
		t.Skip("set MODELPEEK_WEB_BENCH=1 to run the end-to-end benchmark")
	}
	sizes := []int{2000, 10000, 30000, 100000}
	if s := os.Getenv("MODELPEEK_WEB_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	target := map[int]time.Duration{2000: 500 * time.Millisecond, 10000: time.Second, 30000: 2 * time.Second, 100000: 5 * time.Second}
	var rows []string
	for _, n := range sizes {
		lib := NewLibrary()
		m := Transformer(n)
		id := lib.Add(fmt.Sprintf("transformer_%d.onnx", n), m)
		e := startServer(t, lib)
		for _, expand := range []string{"", "&expand=all"} {
			ctx := newFreshBrowser(t)
			// Warm the browser (process start, first tab) on a blank page.
			run(t, ctx, 30*time.Second, chromedp.Navigate("about:blank"))
			start := time.Now()
			run(t, ctx, 120*time.Second, chromedp.Navigate(e.pageURL("model="+id+expand)))
			st := waitGraph(t, ctx, 120*time.Second, func(s graphState) bool { return s.State != "" })
			wall := time.Since(start)
			if st.State != "ready" {
				t.Fatalf("%d nodes: state %s: %s", n, st.State, st.Error)
			}
			var page struct {
				Ready   float64 `json:"ready"`
				Layout  float64 `json:"layout"`
				Heap    float64 `json:"heap"`
				Total   int     `json:"total"`
				FitMs   float64 `json:"fitMs"`
				CloseMs float64 `json:"closeMs"`
				Boot    float64 `json:"boot"`
				Server  float64 `json:"server"`
				Client  float64 `json:"client"`
			}
			eval(t, ctx, `(() => { const v = modelpeek.view(); const fit = modelpeek.draw();
			  const n = v.nodes[Math.floor(v.nodes.length / 2)]; modelpeek.centerOn(n.id, 1); modelpeek.draw();
			  let close = 0; for (let i = 0; i < 5; i++) close += modelpeek.draw();
			  const g = performance.getEntriesByType('resource').find(r => r.name.includes('/graph?'));
			  return {boot: g ? g.startTime : 0, server: g ? g.responseEnd - g.startTime : 0, client: g ? window.modelpeekReadyAt - g.responseEnd : 0,
			    ready: window.modelpeekReadyAt, layout: v.stats.layoutMs || 0, heap: performance.memory ? performance.memory.usedJSHeapSize : 0,
			    total: v.stats.totalNodes, fitMs: fit, closeMs: close / 5}; })()`, &page)
			rss := rendererRSS(ctx)
			if os.Getenv("MODELPEEK_WEB_BENCH_TRACE") == "1" {
				var trace []string
				eval(t, ctx, `(() => { const out = []; const nav = performance.getEntriesByType('navigation')[0];
				  out.push('nav start ' + nav.startTime.toFixed(0) + ' redirectEnd ' + nav.redirectEnd.toFixed(0) + ' responseEnd ' + nav.responseEnd.toFixed(0) + ' domInteractive ' + nav.domInteractive.toFixed(0));
				  for (const r of performance.getEntriesByType('resource')) out.push(r.name.replace(location.origin, '') + ' ' + r.startTime.toFixed(0) + ' → ' + r.responseEnd.toFixed(0) + ' (' + r.transferSize + ' B)');
				  for (const m of performance.getEntriesByType('mark')) out.push('mark ' + m.name + ' ' + m.startTime.toFixed(0));
				  return out; })()`, &trace)
				for _, l := range trace {
					t.Logf("  %d %s: %s", n, expand, l)
				}
			}
			mode := "collapsed groups"
			if expand != "" {
				mode = "expand=all"
			}
			row := fmt.Sprintf("| %d | %s | %d | %.0f ms | %.0f ms | %.0f ms | %.0f ms (layout %.0f) | %.0f ms | %.0f MB | %.0f MB | %.1f ms | %.1f ms | %v |",
				n, mode, st.Nodes, float64(wall.Microseconds())/1000, page.Ready, page.Boot, page.Server, page.Layout, page.Client, page.Heap/1e6, float64(rss)/1e6, page.FitMs, page.CloseMs, target[n])
			rows = append(rows, row)
			t.Log(row)
			if n == 100000 && expand != "" {
				eval(t, ctx, `(document.getElementById('btn-fit').click(), modelpeek.draw(), true)`, new(bool))
				shot(t, ctx, "transformer-100k-fit")
				eval(t, ctx, `(modelpeek.setCamera({x: 0, y: modelpeek.view().height / 2, zoom: 0.05}), modelpeek.draw(), true)`, new(bool))
				shot(t, ctx, "transformer-100k-overview")
				eval(t, ctx, `(() => { const v = modelpeek.view(); const n = v.nodes.find(n => n.label === 'Softmax' && n.y > v.height / 2); modelpeek.centerOn(n.id, 1); return true; })()`, new(bool))
				shot(t, ctx, "transformer-100k-zoom")
			}
		}
	}
	t.Log("| nodes | mode | drawn | navigation→ready (Go) | in page | page boot→graph request | graph request (server) | response→drawn (client) | JS heap | renderer peak RSS | frame fit | frame 100% | target |")
	for _, r := range rows {
		t.Log(r)
	}
}

// rendererRSS returns the peak resident memory (VmHWM) of the largest of
// the browser's renderer processes (children of the browser process with
// --type=renderer): the one showing the page.
func rendererRSS(ctx context.Context) int64 {
	c := chromedp.FromContext(ctx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return 0
	}
	root := c.Browser.Process().Pid
	var total int64
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if !descends(pid, root) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if !strings.Contains(string(cmd), "--type=renderer") {
			continue
		}
		status, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		var hwm, rss, anon int64
		for _, l := range strings.Split(string(status), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmHWM:":
				hwm = kb * 1024
			case "VmRSS:":
				rss = kb * 1024
			case "RssAnon:":
				anon = kb * 1024
			}
		}
		if os.Getenv("MODELPEEK_WEB_BENCH_TRACE") == "1" {
			fmt.Fprintf(os.Stderr, "renderer %d: VmHWM %d MB, VmRSS %d MB, RssAnon %d MB\n", pid, hwm>>20, rss>>20, anon>>20)
		}
		if hwm > total {
			total = hwm
		}
	}
	return total
}

func descends(pid, root int) bool {
	for i := 0; i < 20 && pid > 1; i++ {
		if pid == root {
			return true
		}
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return false
		}
		s := string(b)
		j := strings.LastIndexByte(s, ')')
		if j < 0 {
			return false
		}
		f := strings.Fields(s[j+1:])
		if len(f) < 2 {
			return false
		}
		pid, _ = strconv.Atoi(f[1])
	}
	return false
}
