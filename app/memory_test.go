package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
)

// graphOf returns a weak pointer to the decoded graph of model id (its
// IR), so that the test itself holds no strong reference to it.
func graphOf(t *testing.T, ta *testApp, id string) weak.Pointer[model.Graph] {
	t.Helper()
	_, m := ta.get(t, id)
	if m == nil || m.Graph == nil {
		t.Fatalf("model %s has no graph", id)
	}
	return weak.Make(m.Graph)
}

// draw asks for the model's graph as the page does, with every group
// collapsed and expanded (two layouts, one prepared graph).
func draw(t *testing.T, ta *testApp, id string) {
	t.Helper()
	for _, q := range []string{"?wire=1", "?wire=1&expand=all"} { // as the page asks
		if code, body := ta.api(t, "GET", "/api/models/"+id+"/graph"+q, nil, nil); code != http.StatusOK {
			t.Fatalf("graph%s: %d %.200s", q, code, body)
		}
	}
}

// waitCollected runs the garbage collector until wp's graph is gone. The
// bound is a hang bound: one GC normally suffices.
func waitCollected(t *testing.T, wp weak.Pointer[model.Graph], what string) {
	t.Helper()
	for range 50 {
		runtime.GC()
		if wp.Value() == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: its graph is still reachable (a cache keeps it)", what)
}

// TestClosedModelIsReleased: a model drawn and then closed through the
// API (the tab's close button) leaves nothing behind: no cached layout,
// no prepared graph, no IR.
func TestClosedModelIsReleased(t *testing.T) {
	ta := newTestApp(t, nil)
	if err := ta.StartViewer(); err != nil {
		t.Fatal(err)
	}
	ids, err := ta.Open(ta.write(t, "m.fake", "FAKE\nnodes 200\n"))
	if err != nil {
		t.Fatal(err)
	}
	wp := graphOf(t, ta, ids[0])
	draw(t, ta, ids[0])
	if code, _ := ta.api(t, "DELETE", "/api/models/"+ids[0], nil, nil); code != http.StatusNoContent {
		t.Fatalf("close: %d", code)
	}
	if n := ta.Server().CachedLayouts(ids[0]); n != 0 {
		t.Errorf("%d layouts of the closed model are still cached", n)
	}
	waitCollected(t, wp, "closed model")
}

// TestReloadedVersionIsReleased: when a watched file is reloaded and no
// page asks for the new version, the old version's layouts and IR are
// dropped all the same (a tray app at rest must not keep two copies of
// every model it follows).
func TestReloadedVersionIsReleased(t *testing.T) {
	ta := newTestApp(t, nil)
	if err := ta.StartViewer(); err != nil {
		t.Fatal(err)
	}
	p := ta.write(t, "m.fake", "FAKE\nnodes 200\n")
	ids, err := ta.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	id := ids[0]
	wp := graphOf(t, ta, id)
	draw(t, ta, id)
	ta.write(t, "m.fake", "FAKE\nnodes 300\n")
	if err := ta.Reload(id); err != nil {
		t.Fatal(err)
	}
	ta.waitInfo(t, id, func(i server.ModelInfo) bool { return i.Version >= 2 && !i.Loading })
	if n := ta.Server().CachedLayoutsBefore(id, 2); n != 0 {
		t.Errorf("%d layouts of version 1 are still cached after the reload", n)
	}
	waitCollected(t, wp, "version 1 after a reload")

	// The new version is laid out again on demand.
	draw(t, ta, id)
	if n := ta.Server().CachedLayouts(id); n == 0 {
		t.Error("no layout of version 2 cached after drawing it")
	}
}

// TestSoakGoroutines: open → draw → close cycles through the API and
// rewrites of a watched file (reloaded by the real watcher) leave no goroutine behind (counted while the
// app runs, not only at its end as goleak does).
func TestSoakGoroutines(t *testing.T) {
	ta := newTestApp(t, nil)
	if err := ta.StartViewer(); err != nil {
		t.Fatal(err)
	}
	p := ta.write(t, "w.fake", "FAKE\nnodes 20\n")
	ids, err := ta.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	watched := ids[0]
	version := ta.waitInfo(t, watched, func(i server.ModelInfo) bool { return i.Version == 1 && !i.Loading }).Version
	cycle := func() {
		code, body := ta.api(t, "POST", "/api/upload", strings.NewReader("FAKE\nnodes 300\n"), map[string]string{"X-Filename": "big.fake"})
		var res struct{ IDs []string }
		if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || len(res.IDs) != 1 {
			t.Fatalf("upload: %d %s", code, body)
		}
		draw(t, ta, res.IDs[0])
		if code, _ := ta.api(t, "DELETE", "/api/models/"+res.IDs[0], nil, nil); code != http.StatusNoContent {
			t.Fatalf("close: %d", code)
		}
		// The watcher sees the rewrite and reloads the model.
		ta.write(t, "w.fake", fmt.Sprintf("FAKE\nnodes %d\n", 21+version))
		version = ta.waitInfo(t, watched, func(i server.ModelInfo) bool { return i.Version > version && !i.Loading }).Version
	}
	cycle() // warm up
	base := settledGoroutines(0)
	for range 20 {
		cycle()
	}
	if n := settledGoroutines(base); n > base {
		t.Errorf("goroutines grew from %d to %d over 20 cycles", base, n)
	}
	t.Logf("goroutines: %d before and after 20 open → draw → close → reload cycles", base)
}

// settledGoroutines waits (a hang bound of 2 s: connections of the test
// client close within milliseconds) for the goroutine count to reach want,
// or to stop moving when want is 0, and returns it.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m := runtime.NumGoroutine()
		if want > 0 && m <= want {
			return m
		}
		if want == 0 && m == n {
			return m
		}
		n = m
	}
	return n
}
