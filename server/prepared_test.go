package server

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// Expand and collapse re-lay out a prepared graph; collapse closes a group
// that the expand list (or expand=all) would open.
func TestGraphExpandCollapse(t *testing.T) {
	lib := newFakeLib()
	lib.add("big", "big.onnx", &model.Model{Format: "onnx", Graph: layout.GenTransformer(3000)})
	s, addr := startServer(t, lib, nil)
	var all layout.View
	if code := getJSON(t, s, addr, "/api/models/big/graph?expand=all", &all); code != 200 {
		t.Fatalf("expand=all: %d", code)
	}
	var open string
	for _, g := range all.Groups {
		if !g.Collapsed && g.Parent == "" && g.Count > 1 {
			open = g.ID
			break
		}
	}
	if open == "" {
		t.Fatal("no open top-level group under expand=all")
	}
	var v layout.View
	if code := getJSON(t, s, addr, "/api/models/big/graph?expand=all&collapse="+open, &v); code != 200 {
		t.Fatalf("collapse: %d", code)
	}
	found := false
	for _, g := range v.Groups {
		if g.ID == open {
			found = true
			if !g.Collapsed {
				t.Errorf("group %s still open after collapse=", open)
			}
		}
	}
	if !found || v.Stats.ModelNodes >= all.Stats.ModelNodes {
		t.Errorf("collapse did not hide nodes: found=%v, %d vs %d boxes", found, v.Stats.ModelNodes, all.Stats.ModelNodes)
	}
	if n := len(s.preps.m); n != 1 {
		t.Errorf("%d prepared graphs kept, want 1 (one model version, one path)", n)
	}
}

// A model closed (or reloaded) while its graph is being prepared or laid
// out keeps nothing: the result reaches the requests waiting for it, but
// neither cache stores it.
func TestForgetWhileComputing(t *testing.T) {
	g := layout.GenTransformer(50)
	pc := newPrepCache()
	key := prepKey{"m", 1, ""}
	e, mine := pc.begin(key) // a Prepare of key has started
	if !mine {
		t.Fatal("a new key is not the caller's to prepare")
	}
	if again, mine := pc.begin(key); mine || again != e {
		t.Fatal("a second caller does not share the Prepare in progress")
	}
	pc.forgetBefore("m", math.MaxInt)
	p, err := layout.Prepare(context.Background(), g, layout.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pc.finish(key, e, p, nil)
	if e.p != p {
		t.Error("the waiters of the forgotten Prepare did not get its result")
	}
	if n := pc.count("m", math.MaxInt); n != 0 || len(pc.m) != 0 {
		t.Errorf("prepared graph stored after its model was forgotten (%d kept, %d entries)", n, len(pc.m))
	}

	gc := newGraphCache(8, slog.New(slog.DiscardHandler))
	started, finish := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := gc.get(context.Background(), graphKey{id: "m", version: 1}, func(_ context.Context, w io.Writer) error {
			close(started)
			<-finish
			_, err := w.Write([]byte("{}"))
			return err
		})
		done <- err
	}()
	<-started
	gc.forgetBefore("m", math.MaxInt)
	close(finish)
	if err := <-done; err != nil {
		t.Fatalf("the waiting request failed: %v", err)
	}
	if n := gc.count("m", math.MaxInt); n != 0 {
		t.Errorf("%d layouts stored after their model was forgotten", n)
	}
}
