package hugepages

import (
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// fakeSystem records advice over a chosen machine.
type fakeSystem struct {
	mode     string
	oc       int
	avail    int64
	lo, hi   uintptr
	mu       sync.Mutex
	reserves int
	advice   []bool
}

func (f *fakeSystem) thpMode() string  { return f.mode }
func (f *fakeSystem) overcommit() int  { return f.oc }
func (f *fakeSystem) available() int64 { return f.avail }
func (f *fakeSystem) reserve(n int64) (lo, hi uintptr) {
	f.reserves++
	return f.lo, f.lo + uintptr(n)
}
func (f *fakeSystem) advise(lo, hi uintptr, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.advice = append(f.advice, on)
	return nil
}

func machine() *fakeSystem {
	return &fakeSystem{mode: "madvise", avail: 16 << 30, lo: 0x10100000 + 4096}
}

func heapOn(f *fakeSystem) *Heap { return &Heap{sys: f, log: slog.New(slog.DiscardHandler)} }

func TestBurstAdvisesAndEndsAdvisingAgainst(t *testing.T) {
	f := machine()
	h := heapOn(f)
	b := h.Burst(30 << 20)
	if b == nil || len(f.advice) != 1 || !f.advice[0] {
		t.Fatalf("burst on a madvise machine: advice %v", f.advice)
	}
	// The range is aligned to huge pages inside what was reserved.
	if h.lo%hugePage != 0 || h.hi%hugePage != 0 || h.lo < f.lo || h.hi > f.lo+maxReserve {
		t.Errorf("range %#x-%#x not aligned inside the reservation at %#x", h.lo, h.hi, f.lo)
	}
	b.End()
	b.End() // a second End is a no-op
	if len(f.advice) != 2 || f.advice[1] {
		t.Fatalf("after End: advice %v, want [true false]", f.advice)
	}
	// A later burst advises the same range again without reserving anew.
	h.Burst(30 << 20).End()
	if f.reserves != 1 || len(f.advice) != 4 {
		t.Errorf("second burst: %d reservations, advice %v", f.reserves, f.advice)
	}
}

func TestOverlappingBurstsAdviseOnce(t *testing.T) {
	f := machine()
	h := heapOn(f)
	a, b := h.Burst(MinFile), h.Burst(MinFile)
	a.End()
	if len(f.advice) != 1 {
		t.Fatalf("one of two bursts ended: advice %v, want only the first", f.advice)
	}
	b.End()
	if len(f.advice) != 2 || f.advice[1] {
		t.Fatalf("both ended: advice %v, want [true false]", f.advice)
	}
}

// TestBigFileBurstRunsToItsEnd: a file far past the range's size still
// gets a burst, which only its End ends (a 146 MB model's warm-up lays
// out on huge pages too, see MinFile).
func TestBigFileBurstRunsToItsEnd(t *testing.T) {
	f := machine()
	h := heapOn(f)
	big := h.Burst(4 << 30)
	if big == nil || h.Running() != 1 || len(f.advice) != 1 || !f.advice[0] {
		t.Fatalf("burst %v, %d running, advice %v; want one running and [true]", big, h.Running(), f.advice)
	}
	big.End()
	big.End() // a second End does nothing more
	if h.Running() != 0 || len(f.advice) != 2 || f.advice[1] {
		t.Fatalf("ended: %d running, advice %v; want 0 and [true false]", h.Running(), f.advice)
	}
}

func TestNoBurstWhereAdviceWouldNotHelpOrCouldStall(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*fakeSystem)
		size int64
	}{
		{"small file", func(*fakeSystem) {}, MinFile - 1},
		{"THP always (the heap has huge pages already)", func(f *fakeSystem) { f.mode = "always" }, MinFile},
		{"THP never", func(f *fakeSystem) { f.mode = "never" }, MinFile},
		{"no THP in the kernel", func(f *fakeSystem) { f.mode = "" }, MinFile},
		{"strict overcommit", func(f *fakeSystem) { f.oc = 2 }, MinFile},
		{"little memory", func(f *fakeSystem) { f.avail = 200 << 20 }, MinFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := machine()
			tc.edit(f)
			if b := heapOn(f).Burst(tc.size); b != nil || len(f.advice) != 0 {
				t.Errorf("burst %v, advice %v; want none", b, f.advice)
			}
		})
	}
	var nilHeap *Heap
	nilHeap.Burst(1 << 30).End()
}

func TestMemoryShrinkingStopsLaterBursts(t *testing.T) {
	f := machine()
	h := heapOn(f)
	h.Burst(MinFile).End()
	f.avail = 2 * int64(h.hi-h.lo)
	if b := h.Burst(MinFile); b != nil {
		t.Errorf("burst with only twice the range available")
	}
}

func TestConcurrentBursts(t *testing.T) {
	f := machine()
	h := heapOn(f)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				h.Burst(MinFile).End()
			}
		})
	}
	wg.Wait()
	if h.users != 0 || len(f.advice)%2 != 0 || f.advice[len(f.advice)-1] {
		t.Errorf("after all bursts: %d running, last advice of %d on=%v", h.users, len(f.advice), f.advice[len(f.advice)-1])
	}
}

func TestBurstForSumsRegularFiles(t *testing.T) {
	dir := t.TempDir()
	half := filepath.Join(dir, "half")
	if err := os.WriteFile(half, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(half, MinFile/2); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f := machine()
	h := heapOn(f)
	if b := h.BurstFor(half, dir, filepath.Join(dir, "missing")); b != nil {
		t.Errorf("a burst for half of MinFile (a directory and a missing file count nothing)")
	}
	b := h.BurstFor(half, half)
	if b == nil {
		t.Fatalf("no burst for two halves of MinFile")
	}
	b.End()
	var nilHeap *Heap
	nilHeap.BurstFor(half).End()
}

// TestReserveAhead reserves the range once, ahead of the bursts, and
// nothing where bursts would not run.
func TestReserveAhead(t *testing.T) {
	f := machine()
	h := heapOn(f)
	h.Reserve()
	if f.reserves != 1 || len(f.advice) != 0 || h.Running() != 0 {
		t.Fatalf("Reserve: %d reservations, advice %v, %d bursts", f.reserves, f.advice, h.Running())
	}
	h.Burst(MinFile).End()
	h.Reserve()
	if f.reserves != 1 || len(f.advice) != 2 {
		t.Errorf("a burst after Reserve: %d reservations, advice %v", f.reserves, f.advice)
	}
	off := machine()
	off.mode = "never"
	heapOn(off).Reserve()
	if off.reserves != 0 {
		t.Errorf("THP never: %d reservations", off.reserves)
	}
	var none *Heap
	none.Reserve() // a nil heap does nothing
}
