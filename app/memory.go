package app

import (
	"runtime/debug"
	"time"

	"github.com/modelpeek/modelpeek/internal/hugepages"
	"github.com/modelpeek/modelpeek/model"
)

// warm has the server lay out a model version just loaded (server.Warm),
// then returns the memory the load and the layouts used on the way to the
// OS: decoding and laying out a big graph leaves the heap's high-water
// mark far above what stays in use (a 500,000-node model: a gigabyte and
// more of RSS otherwise, until the runtime slowly scavenges it). The
// load's burst of huge pages (nil when none) ends with the warm-up.
func (a *App) warm(id string, version int, m *model.Model, burst *hugepages.Burst) {
	a.mu.Lock()
	defer a.mu.Unlock()
	done := a.srv.Warm(a.ctx, id, version, m)
	started := a.goLocked(func() error {
		select {
		case <-done:
			// The burst ends first: pages the runtime returns must not be
			// collapsed into huge pages again.
			burst.End()
			a.releaseMemory()
		case <-a.ctx.Done():
			burst.End()
		}
		return nil
	})
	if !started {
		burst.End()
	}
}

// releaseMemory asks releaseLoop to hand the memory of a closed model
// back to the OS. It never blocks; a burst of closes coalesces.
func (a *App) releaseMemory() {
	select {
	case a.release <- struct{}{}:
	default:
	}
}

// releaseDelay is how long releaseLoop waits before returning memory: a
// warm-up ends as the page receives the graph it asked for, and the full
// GC and the page releases (about 150 ms of CPU after a 100,000-node load)
// would otherwise compete with the browser decoding and drawing it, on
// machines with two cores.
const releaseDelay = 2 * time.Second

// releaseLoop returns freed memory to the OS after a model is closed or
// laid out. Without it, a closed model's heap would stay in RSS until the
// next GC, which at rest comes only from the runtime's forced GC every two
// minutes, and the scavenger then returns it slowly. debug.FreeOSMemory
// runs one GC and returns every free page at once: a few milliseconds of
// work once per close (or burst of closes and loads), and nothing at rest.
func (a *App) releaseLoop() error {
	for {
		select {
		case <-a.ctx.Done():
			return nil
		case <-a.release:
		}
		t := time.NewTimer(releaseDelay)
		select {
		case <-a.ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		select { // what arrived meanwhile is released now
		case <-a.release:
		default:
		}
		t0 := time.Now()
		debug.FreeOSMemory()
		a.log.Debug("memory returned to the OS", "took", time.Since(t0))
	}
}
