//go:build unix

package web

import (
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

// TestPageTrace records a Chrome trace (the renderer's tasks: parsing,
// script, style, layout, paint, GC) of one page load of a synthetic
// transformer with every group open, in a fresh browser (one that has
// loaded the page once with MODELPEEK_SPEED_BROWSER=warm), into the file
// MODELPEEK_PAGE_TRACE names; open it in Perfetto or chrome://tracing to
// see where a load's time goes. MODELPEEK_SPEED_SIZES' first size is the
// node count (2000 without it):
//
//	MODELPEEK_PAGE_TRACE=/tmp/page.json MODELPEEK_SPEED_SIZES=10000 go test ./e2e/web -run TestPageTrace
func TestPageTrace(t *testing.T) {
	out := os.Getenv("MODELPEEK_PAGE_TRACE")
	if out == "" {
		t.Skip("set MODELPEEK_PAGE_TRACE to a file to record a page load's trace")
	}
	n := proc.EnvInts(t, "MODELPEEK_SPEED_SIZES", []int{2000})[0]
	lib := fixture.NewLibrary()
	id := lib.Add("transformer.onnx", fixture.Transformer(n))
	e := startServer(t, lib)
	ctx, stop := newFreshBrowser(t)
	defer stop()
	if os.Getenv("MODELPEEK_SPEED_BROWSER") == "warm" {
		// A warm browser: one load before the traced one, as a user's
		// browser has run pages before.
		navigate(t, ctx, e, "model="+id+"&expand=all")
	}
	run(t, ctx, 30*time.Second, chromedp.Navigate("about:blank"))
	categories := []string{"devtools.timeline", "v8", "blink", "loading", "blink.user_timing", "disabled-by-default-devtools.timeline"}
	if os.Getenv("MODELPEEK_PAGE_PROFILE") != "0" {
		// The CPU profiler slows the page; MODELPEEK_PAGE_PROFILE=0 leaves it out.
		categories = append(categories, "disabled-by-default-v8.cpu_profiler")
	}
	var mu sync.Mutex
	var events []json.RawMessage
	done := make(chan struct{})
	go func() {
		for ev, err := range chromedp.Events(ctx, tracing.DataCollected) {
			if err != nil {
				return
			}
			mu.Lock()
			for _, v := range ev.Value {
				b, _ := json.Marshal(v)
				events = append(events, b)
			}
			mu.Unlock()
		}
	}()
	go func() {
		for _, err := range chromedp.Events(ctx, tracing.TracingComplete) {
			if err == nil {
				close(done)
			}
			return
		}
	}()
	if _, err := chromedp.Call(ctx, tracing.Start, tracing.StartParams{TraceConfig: &tracing.TraceConfig{
		IncludedCategories: categories}}); err != nil {
		t.Fatal(err)
	}
	navigate(t, ctx, e, "model="+id+"&expand=all")
	chromedp.Call(ctx, tracing.End, cdp.Empty{})
	select {
	case <-done:
	case <-time.After(60 * time.Second): // hang bound: the trace ends in ~1 s
		t.Fatal("the trace did not end")
	}
	time.Sleep(500 * time.Millisecond) // the last batch, read on its own goroutine
	mu.Lock()
	b, err := json.Marshal(events)
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d trace events of a %d-node page load in %s", len(events), n, out)
}
