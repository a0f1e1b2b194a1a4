package app

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/hugepages"
	"github.com/modelpeek/modelpeek/server"
)

// waitRunning waits until heap has n bursts running. The bound is a hang
// bound: a load of the fake format takes milliseconds.
func waitRunning(t *testing.T, heap *hugepages.Heap, n int, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); heap.Running() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d huge-page bursts running, want %d", what, heap.Running(), n)
		}
	}
}

// TestHugePageBursts: a big model's load runs as a burst of huge pages
// from its read until the warm-up has laid it out; a failed load ends
// its burst too.
func TestHugePageBursts(t *testing.T) {
	heap := hugepages.New(slog.New(slog.DiscardHandler))
	b := heap.Burst(hugepages.MinFile)
	if b == nil {
		t.Skip("bursts do nothing on this machine (transparent huge pages not in madvise mode, or memory short)")
	}
	b.End()
	ta := newTestApp(t, func(o *Options) { o.HugePages = heap })
	pad := strings.Repeat("\n", hugepages.MinFile)

	ids, err := ta.Open(ta.write(t, "big.fake", "FAKE\nnodes 300\nblock\n"+pad))
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, heap, 1, "while the big model is read")
	close(ta.fmt.release)
	waitRunning(t, heap, 0, "after the warm-up")
	// The burst outlived the layouts: both warm views and the prepared
	// graph were cached when it ended.
	if n := ta.Server().CachedLayouts(ids[0]); n != 3 {
		t.Errorf("the burst ended with %d layouts cached, want the warm-up's 3", n)
	}

	bad, err := ta.Open(ta.write(t, "bad.fake", "FAKE\nfail\n"+pad))
	if err != nil {
		t.Fatal(err)
	}
	ta.waitInfo(t, bad[0], func(i server.ModelInfo) bool { return i.Error != "" })
	waitRunning(t, heap, 0, "after a failed load")
}
