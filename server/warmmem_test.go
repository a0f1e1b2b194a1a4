package server

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
)

// TestWarmHeap: a big graph's warm-up runs under a memory limit of a few
// times the live heap from its start, lowered once bound, lifted at its end; a small graph's
// does not touch the limit, nor does a big one's when a lower limit is in
// force.
func TestWarmHeap(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(orig)
	debug.SetMemoryLimit(math.MaxInt64)
	s := &Server{log: slogDiscard()}

	h := s.startWarmHeap(layout.GenTransformer(1000))
	h.bound()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("a 1,000-node warm-up set the limit to %d", got)
	}
	h.end()

	big := layout.GenTransformer(bigWarm)
	h = s.startWarmHeap(big)
	first := debug.SetMemoryLimit(-1)
	if want := int64(h.start / 10 * warmStartTenths); first != want {
		t.Errorf("a %d-node warm-up's first limit is %d, want %d (a multiple of the heap live at its start)", bigWarm, first, want)
	}
	h.bound()
	during := debug.SetMemoryLimit(-1)
	if during > first {
		t.Errorf("bound raised the limit from %d to %d", first, during)
	}
	live := int64(liveHeapBytes())
	h.end()
	if during == math.MaxInt64 || during < 2*live || during > 4*int64(h.start) {
		t.Errorf("a %d-node warm-up: limit %d with %d bytes live (%d at the start)", bigWarm, during, live, h.start)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("the limit after the warm-up is %d, want it lifted", got)
	}

	debug.SetMemoryLimit(1 << 20)
	h = s.startWarmHeap(big)
	h.bound()
	h.end()
	if got := debug.SetMemoryLimit(-1); got != 1<<20 {
		t.Errorf("a lower limit in force became %d", got)
	}
}
