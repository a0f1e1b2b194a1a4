package server

import (
	"math"
	"runtime"
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
	t.Logf("start: %d MiB live, first limit %d MiB, %d MiB a node's cap", h.start>>20, first>>20, int64(bigWarm)*warmNodeBytes>>20)
	// startLimit's formula is pinned by TestWarmStartLimit.
	if want := h.startLimit(); first != want {
		t.Errorf("a %d-node warm-up's first limit is %d, want %d (a multiple of the heap live at its start, at most %d bytes a node)", bigWarm, first, want, warmNodeBytes)
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

// TestWarmStartLimit: the first limit is a multiple of the heap live at
// the start, capped per node (a request's layout measured along with the
// model no longer lifts it past the app's budget), but never below twice
// the live heap.
func TestWarmStartLimit(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name  string
		nodes int
		live  uint64
		want  int64
	}{
		{"500k nodes, the model alone", 500_000, 194 * mib, 194 * mib / 10 * warmStartTenths},
		{"500k nodes, a request's layout measured too", 500_000, 265 * mib, 500_000 * warmNodeBytes},
		{"heavy nodes", 500_000, 600 * mib, 2 * 600 * mib},
	} {
		h := &warmHeap{nodes: tc.nodes, start: tc.live}
		if got := h.startLimit(); got != tc.want {
			t.Errorf("%s: limit %d MiB, want %d MiB", tc.name, got/mib, tc.want/mib)
		}
	}
	if lim := int64(500_000 * warmNodeBytes); lim > 900*mib {
		t.Errorf("the cap at 500,000 nodes is %d MiB, above the 1 GiB budget less what the limit does not count", lim/mib)
	}
}

// TestWarmStartKeepsPages: a big warm-up collects the load's garbage but
// keeps its pages for the layouts to reuse (returning them to the OS had
// Prepare fault them in again: seconds on a 500,000-node model in a VM).
func TestWarmStartKeepsPages(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(orig)
	debug.SetMemoryLimit(math.MaxInt64)
	s := &Server{log: slogDiscard()}
	big := layout.GenTransformer(bigWarm)
	runtime.GC()
	const garbage = 128 << 20
	keep := make([][]byte, 0, garbage>>20)
	for range garbage >> 20 {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // resident
		}
		keep = append(keep, b)
	}
	keep = nil
	const released = "/memory/classes/heap/released:bytes" // returned to the OS
	before := heapMetric(released)
	h := s.startWarmHeap(big)
	returned := int64(heapMetric(released)) - int64(before)
	h.end()
	runtime.KeepAlive(big)
	t.Logf("%d MiB of garbage, %d MiB returned to the OS at the warm-up's start (limit %d MiB)", garbage>>20, returned>>20, h.startLimit()>>20)
	if returned > garbage/2 {
		t.Errorf("the warm-up's start returned %d MiB of the load's %d MiB of garbage to the OS, want its pages kept", returned>>20, garbage>>20)
	}
}
