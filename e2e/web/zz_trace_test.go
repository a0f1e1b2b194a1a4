//go:build unix

package web

import (
	"encoding/json"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
)

func TestZZTrace(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ZZN"))
	lib := fixture.NewLibrary()
	id := lib.Add("transformer.onnx", fixture.Transformer(n))
	e := startServer(t, lib)
	ctx, stop := newFreshBrowser(t)
	defer stop()
	run(t, ctx, 30*time.Second, chromedp.Navigate("about:blank"))
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
		IncludedCategories: []string{"devtools.timeline", "v8", "blink", "loading", "disabled-by-default-devtools.timeline"}}}); err != nil {
		t.Fatal(err)
	}
	navigate(t, ctx, e, "model="+id+"&expand=all")
	chromedp.Call(ctx, tracing.End, cdp.Empty{})
	select {
	case <-done:
	case <-time.After(20 * time.Second):
	}
	time.Sleep(time.Second)
	mu.Lock()
	b, _ := json.Marshal(events)
	mu.Unlock()
	os.WriteFile("/tmp/page.trace.json", b, 0o644)
	t.Logf("%d events", len(events))
}
