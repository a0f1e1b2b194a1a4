package web

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
)

// The page's first-day defects: developer timings in the status bar, the
// find list left over the graph, and a way to quit from the page.

// waitTrue waits until the JS expression js is true.
func waitTrue(t testing.TB, ctx context.Context, d time.Duration, what, js string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var ok bool
		if err := evalErr(ctx, 5*time.Second, js, &ok); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v: %s", what, d, js)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// TestStatusBarTimingsOnlyInDebug checks that the status bar shows counts
// and the zoom, and the layout and frame times only under ?debug=1.
func TestStatusBarTimingsOnlyInDebug(t *testing.T) {
	lib := fixture.NewLibrary()
	id, _ := sampleModel(t, lib)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id)
	waitTrue(t, ctx, 10*time.Second, "status bar", `document.getElementById('status-text').textContent.includes('zoom')`)
	s := text(t, ctx, "#status-text")
	if strings.Contains(s, "layout") || strings.Contains(s, "frame") || strings.Contains(s, " ms") {
		t.Errorf("status bar shows developer timings without ?debug=1: %q", s)
	}
	if !strings.Contains(s, "node") || !strings.Contains(s, "edge") {
		t.Errorf("status bar lacks the counts: %q", s)
	}
	navigate(t, ctx, e, "model="+id+"&debug=1")
	waitTrue(t, ctx, 10*time.Second, "status bar under debug", `document.getElementById('status-text').textContent.includes('frame')`)
	if s := text(t, ctx, "#status-text"); !strings.Contains(s, "layout") || !strings.Contains(s, " ms") {
		t.Errorf("status bar under ?debug=1 lacks the timings: %q", s)
	}
}

// TestFindListClosesOnChoice checks that the list of hits closes when a
// hit is chosen with Enter or a click, that the bar stays for the next
// Enter, and that typing opens the list again.
func TestFindListClosesOnChoice(t *testing.T) {
	lib := fixture.NewLibrary()
	tm := fixture.Transformer(600)
	n := 0
	for _, nd := range tm.Graph.Nodes {
		if nd.OpType == "Softmax" {
			n++
		}
	}
	if n < 3 {
		t.Fatalf("the transformer has %d Softmax nodes; want at least 3", n)
	}
	id := lib.Add("transformer.onnx", tm)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id+"&expand=all")
	const listOpen = `(() => { const l = document.getElementById('find-results'); return !l.hidden && l.getBoundingClientRect().height > 0; })()`
	const listClosed = `(() => { const l = document.getElementById('find-results'); return l.hidden && l.getBoundingClientRect().height === 0; })()`
	run(t, ctx, 10*time.Second,
		chromedp.KeyEvent("f", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.WaitVisible("#find-input"),
		chromedp.SendKeys("#find-input", "Softmax"),
	)
	waitText(t, ctx, "#find-count", strconv.Itoa(n)+" found")
	waitTrue(t, ctx, 5*time.Second, "the list is open while typing", listOpen)
	shot(t, ctx, "find-list-open")
	run(t, ctx, 5*time.Second, chromedp.SendKeys("#find-input", "\r"))
	waitText(t, ctx, "#find-count", "1 of "+strconv.Itoa(n))
	waitTrue(t, ctx, 5*time.Second, "Enter closes the list", listClosed)
	waitTrue(t, ctx, 5*time.Second, "the find bar stays", `!document.getElementById('find').hidden`)
	shot(t, ctx, "find-after-enter")
	run(t, ctx, 5*time.Second, chromedp.SendKeys("#find-input", "\r"))
	waitText(t, ctx, "#find-count", "2 of "+strconv.Itoa(n))

	// Typing opens the list again; clicking a hit closes it.
	run(t, ctx, 5*time.Second, chromedp.SendKeys("#find-input", "\b"))
	waitTrue(t, ctx, 5*time.Second, "typing opens the list", listOpen)
	run(t, ctx, 5*time.Second, chromedp.SendKeys("#find-input", "x"))
	waitText(t, ctx, "#find-count", strconv.Itoa(n)+" found")
	eval(t, ctx, `(document.querySelectorAll('#find-results .find-result:not(.find-expand)')[2].click(), true)`, new(bool))
	waitText(t, ctx, "#find-count", "3 of "+strconv.Itoa(n))
	waitTrue(t, ctx, 5*time.Second, "a click closes the list", listClosed)
	waitText(t, ctx, "#sidebar h2", "Softmax")
}

// stubQuit makes the page's POST /api/quit answer 204 without reaching
// the server (the fake library has no app to quit) and records the
// request in window.quitCalls.
const stubQuit = `(() => {
  window.quitCalls = [];
  const real = window.fetch;
  window.fetch = (url, init) => {
    if (String(url).endsWith('/api/quit')) {
      window.quitCalls.push({url: String(url), method: (init && init.method) || 'GET', credentials: (init && init.credentials) || ''});
      return Promise.resolve(new Response(null, {status: 204}));
    }
    return real(url, init);
  };
  window.confirm = () => true;
  return true;
})()`

// TestQuitButton checks the Quit button: after the confirm step it posts
// /api/quit with the session's credentials and the page says modelpeek
// has quit.
func TestQuitButton(t *testing.T) {
	lib := fixture.NewLibrary()
	id, _ := sampleModel(t, lib)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id)
	if s := text(t, ctx, "#btn-quit"); !strings.Contains(s, "Quit") {
		t.Fatalf("the Quit button reads %q", s)
	}
	// Declining the confirm step quits nothing.
	eval(t, ctx, stubQuit, new(bool))
	eval(t, ctx, `(window.confirm = () => false, document.getElementById('btn-quit').click(), true)`, new(bool))
	time.Sleep(200 * time.Millisecond)
	var calls []struct{ URL, Method, Credentials string }
	eval(t, ctx, `window.quitCalls`, &calls)
	if len(calls) != 0 {
		t.Fatalf("declined quit sent %+v", calls)
	}
	eval(t, ctx, `(window.confirm = () => true, document.getElementById('btn-quit').click(), true)`, new(bool))
	waitTrue(t, ctx, 10*time.Second, "quit message", `!document.getElementById('quit').hidden`)
	eval(t, ctx, `window.quitCalls`, &calls)
	if len(calls) != 1 || calls[0].Method != "POST" || calls[0].Credentials != "same-origin" || !strings.HasPrefix(calls[0].URL, "/api/quit") {
		t.Fatalf("quit requests: %+v; want one same-origin POST /api/quit", calls)
	}
	if s := text(t, ctx, "#quit"); !strings.Contains(s, "modelpeek has quit; you can close this tab.") {
		t.Errorf("the page says %q after quit", s)
	}
	shot(t, ctx, "quit")
}

// TestQuitMessageWhenServerGoes checks that the page says modelpeek has
// quit when its event stream ends because the server went away.
func TestQuitMessageWhenServerGoes(t *testing.T) {
	lib := fixture.NewLibrary()
	id, _ := sampleModel(t, lib)
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id)
	var shown bool
	eval(t, ctx, `!document.getElementById('quit').hidden`, &shown)
	if shown {
		t.Fatal("the quit message shows before quitting")
	}
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Stop(c); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, 20*time.Second, "quit message after the server stopped", `!document.getElementById('quit').hidden`)
}
