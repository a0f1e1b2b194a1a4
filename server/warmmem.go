package server

import (
	"runtime/debug"
	"runtime/metrics"

	"github.com/modelpeek/modelpeek/model"
)

// Laying out a big graph for the first time holds, at its peak, about
// three and a half times the heap the decoded model takes (its prepared
// form, a view of every node, the layout's working arrays: a
// 500,000-node transformer, 208 MiB of IR, peaks near 760 MiB live).
// Left to its default pacing the collector lets the heap grow to twice
// what is live, and the pages freed between stages stay resident: such a
// warm-up took the process to 1.4 GiB. A warm-up of a big graph therefore
// first returns the load's garbage to the OS, then runs under a soft
// memory limit proportional to the heap it starts from, lifted when it
// ends.
const (
	// bigWarm is the node count from which a warm-up bounds its memory;
	// smaller graphs lay out in well under a second with little heap.
	bigWarm = 100_000
	// warmHeapFactor times the heap live at the warm-up's start is its
	// memory limit: room for the peak above and a little garbage.
	warmHeapFactor = 4
)

// boundWarmHeap prepares a warm-up of g and returns what ends it: for a
// graph of bigWarm nodes or more it frees the memory the load left and
// sets a soft memory limit of warmHeapFactor times the heap then live,
// unless a lower limit (GOMEMLIMIT) is in force; the function returned
// restores the limit before.
func boundWarmHeap(g *model.Graph) (restore func()) {
	if model.CountNodes(g) < bigWarm {
		return func() {}
	}
	debug.FreeOSMemory() // one collection: the decode's garbage goes
	limit := int64(warmHeapFactor * liveHeapBytes())
	prev := debug.SetMemoryLimit(-1)
	if limit <= 0 || prev <= limit {
		return func() {}
	}
	debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(prev) }
}

// liveHeapBytes is the heap marked live by the last collection.
func liveHeapBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
