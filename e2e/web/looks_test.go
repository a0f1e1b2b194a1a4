package web

import (
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestDarkThemeAndEdgeLabels switches the page to the dark colour scheme
// and the edge shape labels on, checks that the canvas background follows
// the scheme, and saves screenshots to look at.
func TestDarkThemeAndEdgeLabels(t *testing.T) {
	lib := fixture.NewLibrary()
	id := lib.Add("resnet_like.onnx", fixture.ResNetLike())
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	bg := func() []int {
		var px []int
		eval(t, ctx, `Array.from(document.getElementById('canvas').getContext('2d').getImageData(2, 2, 1, 1).data)`, &px)
		return px
	}
	light := bg()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	// Shapes on edges are on by default.
	if on := text(t, ctx, "#btn-labels"); on == "" {
		t.Fatal("no Shapes button")
	}
	var pressed string
	eval(t, ctx, `document.getElementById('btn-labels').getAttribute('aria-pressed')`, &pressed)
	if pressed != "true" {
		t.Errorf("edge shapes are off by default (aria-pressed %q)", pressed)
	}
	eval(t, ctx, `(modelpeek.centerOn(modelpeek.view().nodes.find(n => n.name === '/layer1/layer1.0/Add').id, 1), modelpeek.draw(), true)`, new(bool))
	dark := bg()
	if len(light) < 3 || len(dark) < 3 || light[0] < 200 || dark[0] > 80 {
		t.Errorf("canvas background light %v, dark %v: the theme does not follow prefers-color-scheme", light, dark)
	}
	shot(t, ctx, "resnet-dark-shapes")

	// HiDPI: at devicePixelRatio 2 the canvas has twice the pixels.
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 1200, Height: 800, DeviceScaleFactor: 2,
	}); err != nil {
		t.Fatal(err)
	}
	var dims struct{ W, H, CW, CH float64 }
	deadline := time.Now().Add(5 * time.Second)
	for {
		eval(t, ctx, `(() => { const c = document.getElementById('canvas'); const r = c.getBoundingClientRect();
		  return {w: r.width, h: r.height, cw: c.width, ch: c.height}; })()`, &dims)
		if dims.CW == 2*dims.W || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if dims.CW < 2*dims.W-1 || dims.CW > 2*dims.W+1 || dims.CH < 2*dims.H-1 || dims.CH > 2*dims.H+1 {
		var dpr float64
		eval(t, ctx, `window.devicePixelRatio`, &dpr)
		t.Errorf("canvas %vx%v device pixels for %vx%v CSS pixels at ratio 2 (page says %v)", dims.CW, dims.CH, dims.W, dims.H, dpr)
	}
	shot(t, ctx, "resnet-dark-hidpi")
	if _, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	// Keyboard: f fits the whole graph, + zooms in, - zooms out.
	zoom := func() float64 {
		var z float64
		eval(t, ctx, `modelpeek.zoom`, &z)
		return z
	}
	eval(t, ctx, `(document.activeElement && document.activeElement.blur(), true)`, new(bool))
	run(t, ctx, 5*time.Second, chromedp.KeyEvent("f"))
	fit := zoom()
	var fits bool
	eval(t, ctx, `(() => { const v = modelpeek.view(); const z = modelpeek.zoom; const c = modelpeek.camera();
	  const r = document.getElementById('canvas').getBoundingClientRect();
	  return c.x <= 0 && c.y <= 0 && c.x + r.width / z >= v.width && c.y + r.height / z >= v.height; })()`, &fits)
	if !fits || fit >= 1 {
		t.Errorf("f: zoom %v does not show the whole graph", fit)
	}
	run(t, ctx, 5*time.Second, chromedp.KeyEvent("+"))
	if z := zoom(); z <= fit*1.1 {
		t.Errorf("+: zoom %v after %v", z, fit)
	}
	run(t, ctx, 5*time.Second, chromedp.KeyEvent("-"), chromedp.KeyEvent("-"))
	if z := zoom(); z >= fit {
		t.Errorf("-: zoom %v after %v", z, fit)
	}
}
