//go:build unix

package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// floorPage is the least a viewer page can be: one style sheet, one
// module that draws a box on a canvas and then marks #graph ready, as
// the viewer does after its first frame.
const floorPage = `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="f.css">` +
	`<script type="module" src="f.js"></script></head><body><div id="graph"></div></body></html>`

const floorScript = `const c = document.createElement('canvas'); c.width = 800; c.height = 600;
document.body.append(c); const g = c.getContext('2d'); g.font = '11px sans-serif';
g.fillRect(10, 10, 100, 30); g.fillText('Conv', 12, 50);
requestAnimationFrame(() => { document.getElementById('graph').dataset.state = 'ready'; });`

// measureFloor measures navigation → ready for floorPage in browser ctx
// (nil: a fresh one), as measureOpenIn measures the viewer: the
// browser's own cost on this machine, which no viewer can go below.
func measureFloor(t *testing.T, ctx context.Context) float64 {
	mux := http.NewServeMux()
	serve := func(path, typ, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", typ)
			w.Write([]byte(body))
		})
	}
	serve("/{$}", "text/html; charset=utf-8", floorPage)
	serve("/f.css", "text/css", "body { margin: 0; font: 13px sans-serif }")
	serve("/f.js", "text/javascript", floorScript)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, done := probedPage(t, ctx)
	defer done()
	run(t, ctx, 30*time.Second, chromedp.Navigate(srv.URL+"/"))
	var ready float64
	// Hang bound: the floor is a fraction of a second.
	deadline := time.Now().Add(30 * time.Second)
	for ready == 0 && time.Now().Before(deadline) {
		eval(t, ctx, `window.speedReadyAt || 0`, &ready)
		time.Sleep(20 * time.Millisecond)
	}
	if ready == 0 {
		t.Fatal("the floor page never became ready")
	}
	return ready
}
