package server

import (
	"context"
	"encoding/binary"
	"math"
	"net/http"
	"regexp"
	"testing"

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

// After Warm, the page's first requests (the default view and
// expand=all) are answered from the cache: no layout is started for them,
// and they carry what a cold server lays out on demand.
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
	routes := []string{"/api/models/big/graph?wire=1&path=", "/api/models/big/graph?wire=1&path=&expand=all"}
	var bodies []string
	for _, r := range routes {
		bodies = append(bodies, graphBody(t, s, addr, r))
	}
	if n := s.LayoutsComputed(); n != warmed {
		t.Errorf("the first requests after the warm-up started %d layouts, want 0", n-warmed)
	}

	cold, coldAddr := startServer(t, lib, nil)
	for i, r := range routes {
		if untimed(graphBody(t, cold, coldAddr, r)) != untimed(bodies[i]) {
			t.Errorf("%s: the warm answer differs from the one laid out on demand", r)
		}
	}
	if n := cold.LayoutsComputed(); n != int64(len(routes)) {
		t.Errorf("a cold server started %d layouts for %d requests", n, len(routes))
	}
}

// untimed blanks the layout's duration in a view's JSON or in the JSON
// header of its compact form (whose length, and so the padding after it,
// changes with the duration's digits: the header is cut out and blanked).
func untimed(body string) string {
	blank := func(s string) string {
		return regexp.MustCompile(`"layoutMs":[0-9.e+-]+`).ReplaceAllString(s, `"layoutMs":0`)
	}
	if len(body) < 8 || body[:4] != layout.WireMagic {
		return blank(body)
	}
	n := int(binary.LittleEndian.Uint32([]byte(body[4:8])))
	if 8+n > len(body) {
		return body
	}
	return blank(body[8:8+n]) + "\x00" + body[(8+n+7)&^7:]
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
