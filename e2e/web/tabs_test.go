//go:build unix

package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
)

// TestActiveTabInSight opens the last of more models than the tab bar
// can show: the bar scrolls so that the shown model's tab is in sight.
func TestActiveTabInSight(t *testing.T) {
	lib := fixture.NewLibrary()
	var last string
	for i := range 30 {
		last = lib.Add(fmt.Sprintf("a-model-with-a-long-name-%02d.onnx", i), fixture.Transformer(20))
	}
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+last)
	var got struct {
		Overflow bool    `json:"overflow"`
		Left     float64 `json:"left"`
		Right    float64 `json:"right"`
		ViewL    float64 `json:"viewL"`
		ViewR    float64 `json:"viewR"`
	}
	const read = `(() => { const nav = document.getElementById('tabs'), a = nav.querySelector('.tab.active');
	  const l = a.offsetLeft - nav.offsetLeft;
	  return {overflow: nav.scrollWidth > nav.clientWidth, left: l, right: l + a.offsetWidth, viewL: nav.scrollLeft, viewR: nav.scrollLeft + nav.clientWidth}; })()`
	deadline := time.Now().Add(10 * time.Second) // hang bound: scrolled at the next frame
	for {
		eval(t, ctx, read, &got)
		if got.Left >= got.ViewL && got.Right <= got.ViewR+1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !got.Overflow {
		t.Fatalf("30 tabs fit the bar (%+v): the test needs more", got)
	}
	if got.Left < got.ViewL || got.Right > got.ViewR+1 {
		t.Errorf("the active tab spans %.0f–%.0f, the bar shows %.0f–%.0f", got.Left, got.Right, got.ViewL, got.ViewR)
	}
}
