package server

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"

	"github.com/modelpeek/modelpeek/model"
)

// Laying out every node of a big graph holds, at its peak, about four
// times the heap of the decoded model, and a little more than twice the
// heap held once the graph is prepared (a 500,000-node transformer: 190
// MiB of model, 340 MiB prepared, a peak near 760 MiB live with a view
// of every node and the layout's working arrays). Left to its default
// pacing the collector lets the heap grow to twice what is live, and the
// pages freed between stages stay resident: such a warm-up took the
// process to 1.4 GiB. A warm-up of a big graph therefore collects the
// load's garbage before it starts (its pages are then reused, see
// startWarmHeap), returns its first view's garbage to the OS once that is
// done, and runs under a soft memory limit, lifted when it ends.
// The limit is a multiple of the heap live at the start, at most
// warmNodeBytes a node, lowered after the first view to a multiple of the
// heap then live if that is smaller; work of another load or request
// running at one of those moments is live too and loosens that measure,
// which the cap bounds.
const (
	// bigWarm is the node count from which a warm-up bounds its memory.
	// The bound costs CPU (a 500,000-node warm-up: 10.1 s instead of
	// 7.1 s) and the first view of a 100,000-node graph is a speed
	// target (issue 26), while unbounded its peak stays far below 1 GiB
	// (about a third of the 500,000-node one's 1.6 GiB).
	bigWarm = 250_000
	// warmStartTenths and warmPreparedTenths are the two measures of the
	// limit, in tenths of the heap live at the start and after the
	// first view: room for the peak above and a little garbage.
	warmStartTenths    = 40
	warmPreparedTenths = 25
	// warmNodeBytes caps the limit per node, whatever the measures: the
	// RSS the app holds itself to with a 500,000-node model open (1 GiB,
	// issue 26), less 128 MiB for what the limit does not count (runs
	// under a 776 MiB limit peaked 19–98 MiB above it), per node. A
	// request's layout running when the warm-up takes its measure is
	// live too: in TestOpen500kNodes the page's first request sometimes
	// raced the warm-up's start, which then measured 265 MiB instead of
	// 194, set a limit of 1061 MiB, and the peak went over 1 GiB (1039
	// to 1061 MiB, 2 runs of 3 at d033472).
	warmNodeBytes = (1<<30 - 128<<20) / 500_000
)

// warmHeap bounds the memory of one warm-up (see above); nil for a
// small graph, and its methods then do nothing.
type warmHeap struct {
	s       *Server
	nodes   int
	start   uint64 // the heap live at the start
	prev    int64  // the limit before, restored by end
	set     bool   // a limit of the warm-up's own is in force
	bounded bool   // bound has run
}

// startWarmHeap begins the warm-up of g: for a big graph it collects the
// load's garbage and sets the limit's first measure at once, so that it
// also holds a page's request for a view that the warm-up lets go first
// (awaitRequests). The pages that garbage held stay with the heap, where
// preparing the graph reuses them (the limit has the runtime return what
// it must): returning them to the OS here (debug.FreeOSMemory) only had
// them faulted in again, the read's huge pages among them. A 146 MB,
// 500,000-node model's default view was ready 2.4-3.5 s after launch
// instead of 4.6-5.0 s, every node laid out at 6.6-8.5 s instead of
// 9.5-9.9 s, peaks 903-919 MiB instead of 902-904 (3 interleaved pairs
// each). Returning the first view's garbage in bound stays: a collection
// alone there took the peak to 979-990 MiB.
func (s *Server) startWarmHeap(g *model.Graph) *warmHeap {
	n := model.CountNodes(g)
	if n < bigWarm {
		return nil
	}
	runtime.GC()
	h := &warmHeap{s: s, nodes: n, start: liveHeapBytes()}
	h.lower(h.startLimit())
	return h
}

// startLimit is the limit's first measure: warmStartTenths of the heap
// live at the start, at most warmNodeBytes a node, unless the live heap
// alone comes near that (a graph of unusually heavy nodes): then twice
// the live heap, where a limit at the live heap would have the collector
// run without end.
func (h *warmHeap) startLimit() int64 {
	live := int64(h.start)
	return min(live/10*warmStartTenths, max(int64(h.nodes)*warmNodeBytes, 2*live))
}

// bound, called once the first view is done, frees its garbage and
// lowers the memory limit to the second measure if that is smaller
// (lower keeps the smaller).
func (h *warmHeap) bound() {
	if h == nil || h.bounded {
		return
	}
	h.bounded = true
	debug.FreeOSMemory()
	live := liveHeapBytes()
	h.s.log.Debug("warm-up of a big graph", "nodes", h.nodes, "startMiB", h.start>>20, "preparedMiB", live>>20)
	h.lower(int64(live / 10 * warmPreparedTenths))
}

// lower sets the memory limit to limit unless a lower one (GOMEMLIMIT,
// or the warm-up's own) is in force.
func (h *warmHeap) lower(limit int64) {
	cur := debug.SetMemoryLimit(-1)
	h.s.log.Debug("warm-up memory limit", "nodes", h.nodes, "limitMiB", limit>>20, "currentMiB", cur>>20)
	if limit <= 0 || cur <= limit {
		return
	}
	if !h.set {
		h.prev, h.set = cur, true
	}
	debug.SetMemoryLimit(limit)
}

// end restores the limit bound replaced.
func (h *warmHeap) end() {
	if h != nil && h.set {
		debug.SetMemoryLimit(h.prev)
		h.set = false
	}
}

// liveHeapBytes is the heap marked live by the last collection.
func liveHeapBytes() uint64 { return heapMetric("/gc/heap/live:bytes") }

// heapMetric reads one byte count of runtime/metrics, 0 when the runtime
// does not have it.
func heapMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
