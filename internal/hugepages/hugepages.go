// Package hugepages asks Linux to back the Go heap with transparent huge
// pages while a big model is read and laid out, and stops asking once that
// burst of allocation is over.
//
// Why: the heap a 100,000-node model needs while it is read, prepared and
// laid out (about 250 MB) is fresh memory, and Linux maps fresh memory one
// 4 KiB page at a time, each on its first touch: some 64,000 page faults.
// A fault is cheap on bare metal (about a microsecond) but not in a
// virtual machine whose host backs guest memory lazily: on the 2-core VM
// issue 26 is measured on, touching 150 MB took 450 ms in 4 KiB faults and
// 10 ms in 2 MiB ones, and the faults were half a second of the 1.3 s the
// server took to answer a 100k model's first graph. Go has not asked for
// huge pages since 1.21.1 (golang/go#61718, #64332), and most desktops run
// THP in "madvise" mode, so the heap gets 4 KiB pages there.
//
// How: the first burst makes the runtime map a range of fresh address space
// by allocating one large pointer-free slice (fresh memory is known zero,
// so nothing is touched and nothing is resident), notes its range, and
// hands it back at once (debug.FreeOSMemory). The page allocator reuses the
// lowest free addresses first, so the model's allocations land in that
// range. Each burst marks the range MADV_HUGEPAGE; the last one to end
// marks it MADV_NOHUGEPAGE, so that khugepaged never collapses pages the
// runtime has returned back into huge pages (the memory growth of
// golang/go#64332) while the app idles in the tray.
//
// The risk Go's runtime backed away from is a stall: with THP's defrag in
// "madvise" mode a fault in an advised range may reclaim and compact
// memory synchronously. A burst is only started where that is unlikely to
// bite: THP in "madvise" mode (in "always" the heap already has huge pages,
// in "never" there are none), memory overcommit not strict (the reservation
// must not fail), and at least four times the range available.
package hugepages

import (
	"log/slog"
	"os"
	"sync"
)

// MinFile is the smallest model file whose load is worth a burst. A
// 10,000-node graph's ONNX file is about 3 MB and its load touches some
// 35 MB of fresh heap: with a burst the server answered its first graph
// in 159–175 ms instead of 191–201 ms on the VM of the package comment.
//
// A file of any size past MinFile gets a burst through its read and
// warm-up. Files past 64 MiB once got one for their read alone: before
// the warm-up's memory limit was capped per node and before the warm-up
// collected the load's garbage instead of returning it to the OS
// (server/warmmem.go), huge pages through a 500,000-node warm-up made its
// peak erratic (TestOpen500kNodes over 1 GiB in 6 runs of 17). With both,
// 12 runs peaked at 808-911 MiB, and on the VM of the package comment the
// page drew every node of a 146 MB, 500,000-node model 7.3-8.1 s after
// its navigation instead of 8.6-9.5 s (3 interleaved pairs): its layout's
// fresh heap no longer arrives a 4 KiB fault at a time.
const MinFile = 2 << 20

// maxReserve caps the range advised (the heap of a 500,000-node model peaks
// near 1 GiB).
const maxReserve = 1 << 30

// hugePage is the size huge pages are aligned to (2 MiB on amd64 and on
// arm64 with 4 KiB base pages).
const hugePage = 2 << 20

// system is what the heap needs from the OS (a fake in tests).
type system interface {
	// thpMode is the bracketed word of
	// /sys/kernel/mm/transparent_hugepage/enabled ("" when absent).
	thpMode() string
	// overcommit is /proc/sys/vm/overcommit_memory (-1 when unknown).
	overcommit() int
	// available is MemAvailable in bytes (0 when unknown).
	available() int64
	// reserve maps about n bytes of fresh heap and frees them again,
	// returning the range the heap's next allocations will use.
	reserve(n int64) (lo, hi uintptr)
	// advise marks [lo, hi) for huge pages (on) or against them (off).
	advise(lo, hi uintptr, on bool) error
}

// Heap is the process's heap range advised for huge pages during bursts.
// A nil *Heap is valid and never advises anything.
type Heap struct {
	sys system
	log *slog.Logger

	mu       sync.Mutex
	reserved bool    // a reservation was tried
	lo, hi   uintptr // the range, empty when the reservation was refused
	users    int     // bursts running
}

// New returns the heap of this process. On systems other than Linux its
// bursts do nothing.
func New(log *slog.Logger) *Heap {
	return &Heap{sys: osSystem{}, log: log}
}

// Burst is one period of heavy allocation; End it when it is over.
type Burst struct {
	h    *Heap
	once sync.Once
}

// Burst starts a burst for loading a model file of size bytes: the heap's
// range is advised for huge pages until the returned Burst (and every
// other running one) has ended. Small files, nil heaps and systems where
// advice would not help or could stall get a Burst that does nothing.
func (h *Heap) Burst(size int64) *Burst {
	if h == nil || size < MinFile {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.usable() {
		return nil
	}
	if h.users == 0 {
		if err := h.sys.advise(h.lo, h.hi, true); err != nil {
			h.log.Debug("huge pages: advice refused", "err", err)
			return nil
		}
		h.log.Debug("huge pages: heap advised", "MiB", (h.hi-h.lo)>>20)
	}
	h.users++
	return &Burst{h: h}
}

// Reserve reserves the heap's range now, ahead of the first burst, where
// bursts can run (else it does nothing). The reservation (a gigabyte
// mapped and handed back with a full collection) took 25 ms in the server
// of the machine issue 26 is measured on: a model opened at launch waited
// for it before its first byte was read. Called at launch, beside the
// app's start, it is over by then; a burst starting meanwhile waits for
// it. Nothing becomes resident.
func (h *Heap) Reserve() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.usable()
}

// BurstFor starts a burst for loading the files at paths (Burst of their
// total size; directories and files that cannot be read count nothing).
func (h *Heap) BurstFor(paths ...string) *Burst {
	if h == nil {
		return nil
	}
	var size int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			size += fi.Size()
		}
	}
	return h.Burst(size)
}

// usable reports whether a burst may advise the heap's range now,
// reserving the range on first use. h.mu is held.
func (h *Heap) usable() bool {
	if h.sys.thpMode() != "madvise" {
		return false
	}
	if oc := h.sys.overcommit(); oc != 0 && oc != 1 {
		return false
	}
	avail := h.sys.available()
	if !h.reserved {
		h.reserved = true
		n := min(int64(maxReserve), avail/8) &^ (hugePage - 1)
		if n < 16*hugePage {
			return false
		}
		h.lo, h.hi = h.sys.reserve(n)
		h.lo = (h.lo + hugePage - 1) &^ (hugePage - 1)
		h.hi &^= hugePage - 1
		if h.hi <= h.lo {
			h.lo, h.hi = 0, 0
		}
	}
	return h.hi > h.lo && avail >= 4*int64(h.hi-h.lo)
}

// Running is the number of bursts started and not yet ended.
func (h *Heap) Running() int {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.users
}

// End ends the burst; the last one running marks the range against huge
// pages again. Calling End more than once, or on a nil Burst, is a no-op.
func (b *Burst) End() {
	if b == nil {
		return
	}
	b.once.Do(func() {
		h := b.h
		h.mu.Lock()
		defer h.mu.Unlock()
		h.users--
		if h.users > 0 {
			return
		}
		if err := h.sys.advise(h.lo, h.hi, false); err != nil {
			h.log.Debug("huge pages: advice against refused", "err", err)
		}
	})
}
