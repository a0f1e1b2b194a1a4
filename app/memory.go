package app

import "runtime/debug"

// releaseMemory asks releaseLoop to hand the memory of a closed model
// back to the OS. It never blocks; a burst of closes coalesces.
func (a *App) releaseMemory() {
	select {
	case a.release <- struct{}{}:
	default:
	}
}

// releaseLoop returns freed memory to the OS after a model is closed.
// Without it, a closed model's heap would stay in RSS until the next GC,
// which at rest comes only from the runtime's forced GC every two
// minutes, and the scavenger then returns it slowly. debug.FreeOSMemory
// runs one GC and returns every free page at once: a few milliseconds of
// work once per close (or burst of closes), and nothing at rest.
func (a *App) releaseLoop() error {
	for {
		select {
		case <-a.ctx.Done():
			return nil
		case <-a.release:
			debug.FreeOSMemory()
		}
	}
}
