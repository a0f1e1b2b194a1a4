package app

import (
	"net/http"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/server"
)

// waitWarm waits until model id's version has its views and prepared
// graph cached (the warm-up after a load). The bound is a hang bound: a
// 300-node layout takes milliseconds.
func waitWarm(t *testing.T, ta *testApp, id string, version int) {
	t.Helper()
	const views, prepared = 2, 1
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s := ta.Server()
		if s.CachedLayoutsBefore(id, version+1)-s.CachedLayoutsBefore(id, version) == views+prepared {
			return
		}
	}
	t.Fatalf("model %s version %d was not laid out after its load", id, version)
}

// TestGraphWarmAfterOpenAndReload: the app lays a model out when it is
// opened and again when it is reloaded, so the page's first graph
// requests (default view and expand=all) start no layout of their own.
func TestGraphWarmAfterOpenAndReload(t *testing.T) {
	ta := newTestApp(t, nil)
	if err := ta.StartViewer(); err != nil {
		t.Fatal(err)
	}
	p := ta.write(t, "m.fake", "FAKE\nnodes 300\n")
	ids, err := ta.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	id := ids[0]
	ta.waitInfo(t, id, func(i server.ModelInfo) bool { return i.Version == 1 && !i.Loading })
	waitWarm(t, ta, id, 1)
	check := func(when string) {
		before := ta.Server().LayoutsComputed()
		draw(t, ta, id)
		if n := ta.Server().LayoutsComputed() - before; n != 0 {
			t.Errorf("%s: the page's first requests started %d layouts, want 0 (warm cache)", when, n)
		}
	}
	check("after open")

	// Not watched: the reload below is the only one (a watcher's reload
	// racing it would make a third version and drop the second's views).
	if err := (*library)(ta.App).SetModelWatching(id, false); err != nil {
		t.Fatal(err)
	}
	ta.write(t, "m.fake", "FAKE\nnodes 400\n")
	if err := ta.Reload(id); err != nil {
		t.Fatal(err)
	}
	ta.waitInfo(t, id, func(i server.ModelInfo) bool { return i.Version == 2 && !i.Loading })
	waitWarm(t, ta, id, 2)
	if n := ta.Server().CachedLayoutsBefore(id, 2); n != 0 {
		t.Errorf("%d layouts of version 1 kept after the reload", n)
	}
	check("after reload")

	if code, _ := ta.api(t, "DELETE", "/api/models/"+id, nil, nil); code != http.StatusNoContent {
		t.Fatalf("close: %d", code)
	}
	if n := ta.Server().CachedLayouts(id); n != 0 {
		t.Errorf("%d layouts kept after the model was closed", n)
	}
}
