package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// graphBody fetches a graph route and returns its body (status 200
// required).
func graphBody(t *testing.T, s *Server, addr, path string) string {
	t.Helper()
	resp, body := do(t, authed(t, s, addr, "GET", path, nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %.200s", path, resp.StatusCode, body)
	}
	return body
}

// After Warm, the page's first requests (the compact default view and
// expand=all) are answered from the cache: no layout is started for them,
// and they carry the view a cold server lays out on demand.
func TestWarmAnswersFromCache(t *testing.T) {
	m := &model.Model{Format: "onnx", Graph: layout.GenTransformer(3000)}
	lib := newFakeLib()
	lib.add("big", "big.onnx", m)
	s, addr := startServer(t, lib, nil)
	<-s.Warm(context.Background(), "big", 1, m)
	warmed := s.LayoutsComputed()
	if warmed != int64(len(warmViews)) {
		t.Fatalf("warm-up started %d layouts, want %d", warmed, len(warmViews))
	}
	if n := s.graphs.count("big", math.MaxInt); n != len(warmViews) {
		t.Fatalf("%d views cached after the warm-up, want %d", n, len(warmViews))
	}
	queries := []string{"", "&expand=all"}
	var bodies []string
	for _, q := range queries {
		bodies = append(bodies, graphBody(t, s, addr, "/api/models/big/graph?wire=1&path="+q))
	}
	if n := s.LayoutsComputed(); n != warmed {
		t.Errorf("the first requests after the warm-up started %d layouts, want 0", n-warmed)
	}

	cold, coldAddr := startServer(t, lib, nil)
	for i, q := range queries {
		var v layout.View
		if code := getJSON(t, cold, coldAddr, "/api/models/big/graph?path="+q, &v); code != http.StatusOK {
			t.Fatalf("cold %s: %d", q, code)
		}
		got := []byte(bodies[i])
		var hdr struct {
			View layout.View `json:"view"`
		}
		if err := json.Unmarshal(headerJSON(t, got), &hdr); err != nil {
			t.Fatal(err)
		}
		v.Stats.LayoutMillis = hdr.View.Stats.LayoutMillis // laid out apart
		want, err := layout.EncodeWire(&v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%q: the warm answer differs from the view laid out on demand", q)
		}
	}
	if n := cold.LayoutsComputed(); n != int64(len(queries)) {
		t.Errorf("a cold server started %d layouts for %d requests", n, len(queries))
	}
}

// A view dropped from the cache (model reloaded, or evicted) is laid out
// again when a page asks for it.
func TestWarmEvictedLaidOutAgain(t *testing.T) {
	m := &model.Model{Format: "onnx", Graph: layout.GenTransformer(300)}
	lib := newFakeLib()
	lib.add("m", "m.onnx", m)
	s, addr := startServer(t, lib, nil)
	<-s.Warm(context.Background(), "m", 1, m)
	s.DropLayouts("m", math.MaxInt)
	before := s.LayoutsComputed()
	graphBody(t, s, addr, "/api/models/m/graph?path=")
	if n := s.LayoutsComputed() - before; n != 1 {
		t.Errorf("a dropped view started %d layouts when asked for, want 1", n)
	}
	if n := s.CachedLayouts("m"); n == 0 {
		t.Error("the view laid out on demand was not cached")
	}
}

// A warm-up of a model the library no longer has (closed before or while
// it ran), or dropped while it runs, keeps nothing; one whose context
// ends stops.
func TestWarmForgotten(t *testing.T) {
	m := &model.Model{Format: "onnx", Graph: layout.GenTransformer(3000)}
	s, _ := startServer(t, newFakeLib(), nil)
	<-s.Warm(context.Background(), "gone", 1, m)
	if n := s.CachedLayouts("gone"); n != 0 {
		t.Errorf("%d layouts kept for a model not in the library", n)
	}

	lib := newFakeLib()
	lib.add("big", "big.onnx", m)
	s, _ = startServer(t, lib, nil)
	end := s.Warm(context.Background(), "big", 1, m)
	s.DropLayouts("big", math.MaxInt)
	<-end
	s.DropLayouts("big", math.MaxInt) // a view started after the first drop
	if n := s.CachedLayouts("big"); n != 0 {
		t.Errorf("%d layouts kept after the model was dropped", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	<-s.Warm(ctx, "big", 2, m) // returns: goleak checks nothing is left running
}

// Warm-ups run one at a time; one that waited for its turn while its
// model was closed or reloaded lays nothing out.
func TestWarmQueued(t *testing.T) {
	m := &model.Model{Format: "onnx", Graph: layout.GenTransformer(300)}
	lib := newFakeLib()
	lib.add("m", "m.onnx", m)
	s, _ := startServer(t, lib, nil)
	s.warmSlot <- struct{}{} // another warm-up runs
	stale := s.Warm(context.Background(), "m", 7, m)
	queued := s.Warm(context.Background(), "m", 1, m)
	select {
	case <-queued:
		t.Fatal("a warm-up ran while another held the slot")
	case <-time.After(50 * time.Millisecond):
	}
	<-s.warmSlot
	<-stale
	<-queued
	if n := s.LayoutsComputed(); n != int64(len(warmViews)) {
		t.Errorf("%d layouts started, want %d (the current version's views only)", n, len(warmViews))
	}
}

// TestGraphCachedOnly checks ?cached=1: 204 and no layout started while
// a view is not laid out, the view itself (as the plain request answers
// it) once it is.
func TestGraphCachedOnly(t *testing.T) {
	m := &model.Model{Format: "onnx", Graph: layout.GenTransformer(500)}
	lib := newFakeLib()
	lib.add("big", "big.onnx", m)
	s, addr := startServer(t, lib, nil)
	const route = "/api/models/big/graph?wire=1&path=&expand=all"
	resp, body := do(t, authed(t, s, addr, "GET", route+"&cached=1", nil))
	if resp.StatusCode != http.StatusNoContent || body != "" {
		t.Fatalf("before any layout: %d %.100q, want 204 and no body", resp.StatusCode, body)
	}
	if n := s.LayoutsComputed(); n != 0 {
		t.Fatalf("?cached=1 started %d layouts", n)
	}
	want := graphBody(t, s, addr, route)
	if got := graphBody(t, s, addr, route+"&cached=1"); got != want {
		t.Errorf("?cached=1 after the layout answers %d B, the plain request %d B", len(got), len(want))
	}
	if n := s.LayoutsComputed(); n != 1 {
		t.Errorf("%d layouts for one view", n)
	}
}

// A warm-up waits while a page's request lays out another view of the
// same model version, and goes on once it is answered.
func TestWarmYieldsToRequests(t *testing.T) {
	m := &model.Model{Format: "onnx", Graph: layout.GenTransformer(300)}
	lib := newFakeLib()
	lib.add("m", "m.onnx", m)
	s, _ := startServer(t, lib, nil)
	release := make(chan struct{})
	asked := make(chan error, 1)
	key := graphKey{id: "m", version: 1, path: "0.0", wire: true}
	go func() {
		_, err := s.graphs.get(context.Background(), key, func(ctx context.Context, w io.Writer) error {
			<-release
			return nil
		})
		asked <- err
	}()
	for s.graphs.requested("m", 1) == nil {
		time.Sleep(time.Millisecond)
	}
	warmed := s.Warm(context.Background(), "m", 1, m)
	select {
	case <-warmed:
		t.Fatal("the warm-up ended while a request was being laid out")
	case <-time.After(50 * time.Millisecond):
	}
	if n := s.LayoutsComputed(); n != 1 {
		t.Errorf("%d layouts started while the request's ran, want 1 (its own)", n)
	}
	close(release)
	if err := <-asked; err != nil {
		t.Fatal(err)
	}
	<-warmed
	if n := s.LayoutsComputed(); n != 1+int64(len(warmViews)) {
		t.Errorf("%d layouts started, want %d (the request's, then the warm-up's)", n, 1+len(warmViews))
	}
}
