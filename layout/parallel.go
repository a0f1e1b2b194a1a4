package layout

import (
	"runtime"
	"sync"
)

// parallel runs fn over [0, n) cut into contiguous chunks of at least
// minChunk items, on up to GOMAXPROCS goroutines, and returns when every
// chunk is done. Small inputs run on the caller's goroutine. fn must only
// write what its own range owns, so that the result does not depend on
// the number of workers.
func parallel(n, minChunk int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+minChunk-1)/max(minChunk, 1))
	if workers <= 1 {
		fn(0, n)
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := per; lo < n; lo += per {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, min(lo+per, n))
		}()
	}
	fn(0, min(per, n))
	wg.Wait()
}

// parallelChunk is the least work per goroutine of parallel, in items
// (boxes, edges): below it, starting goroutines costs more than it saves.
const parallelChunk = 4096
