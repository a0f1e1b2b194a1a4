package server

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
)

// TestBoundWarmHeap: a big graph's warm-up runs under a memory limit of
// a few times the live heap, lifted afterwards; a small graph's does not
// touch the limit, nor does a big one's when a lower limit is in force.
func TestBoundWarmHeap(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(orig)
	debug.SetMemoryLimit(math.MaxInt64)

	restore := boundWarmHeap(layout.GenTransformer(1000))
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("a 1,000-node warm-up set the limit to %d", got)
	}
	restore()

	big := layout.GenTransformer(bigWarm)
	restore = boundWarmHeap(big)
	during := debug.SetMemoryLimit(-1)
	live := int64(liveHeapBytes())
	restore()
	if during == math.MaxInt64 || during < live || during > int64(warmHeapFactor+1)*live {
		t.Errorf("a %d-node warm-up: limit %d with %d bytes live, want about %d times", bigWarm, during, live, warmHeapFactor)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("the limit after the warm-up is %d, want it lifted", got)
	}

	debug.SetMemoryLimit(1 << 20)
	restore = boundWarmHeap(big)
	if got := debug.SetMemoryLimit(-1); got != 1<<20 {
		t.Errorf("a lower limit in force became %d", got)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != 1<<20 {
		t.Errorf("a lower limit in force became %d after the warm-up", got)
	}
}
