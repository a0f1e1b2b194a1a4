package hugepages

import (
	"bufio"
	"bytes"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestBracketed(t *testing.T) {
	for in, want := range map[string]string{
		"always [madvise] never\n": "madvise",
		"[always] madvise never":   "always",
		"always madvise [never]":   "never",
		"garbage":                  "",
		"[unclosed":                "",
	} {
		if got := bracketed(in); got != want {
			t.Errorf("bracketed(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMemAvailable(t *testing.T) {
	in := "MemTotal:       24684012 kB\nMemFree:        21030576 kB\nMemAvailable:   24037096 kB\n"
	if got := memAvailable(bufio.NewScanner(strings.NewReader(in))); got != 24037096<<10 {
		t.Errorf("MemAvailable = %d", got)
	}
	if got := memAvailable(bufio.NewScanner(strings.NewReader("MemTotal: 1 kB\n"))); got != 0 {
		t.Errorf("without MemAvailable: %d, want 0", got)
	}
}

func TestMappingStart(t *testing.T) {
	maps := []byte("00400000-004ad000 r-xp 00000000 fe:00 1 /bin/x\n" +
		"34000000-35c00000 ---p 00000000 00:00 0\n" +
		"35c00000-76400000 rw-p 00000000 00:00 0\n")
	if s, ok := mappingStart(maps, 0x36100000); !ok || s != 0x35c00000 {
		t.Errorf("mappingStart = %#x, %v", s, ok)
	}
	if _, ok := mappingStart(maps, 0x76400000); ok {
		t.Errorf("an address past the last mapping was found")
	}
}

// vmFlags returns the VmFlags of the mapping of /proc/self/smaps holding
// addr.
func vmFlags(t *testing.T, addr uintptr) []string {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	in := false
	for line := range bytes.Lines(smaps) {
		if s, ok := mappingStart(line, addr); ok && s != 0 {
			in = true
			continue
		}
		if rest, ok := bytes.CutPrefix(line, []byte("VmFlags:")); ok && in {
			return strings.Fields(string(rest))
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return nil
}

// TestRealBurst runs a burst on this process's heap: the model's
// allocations land in the reserved range, which is advised for huge
// pages ("hg") during the burst and against them ("nh") after it.
func TestRealBurst(t *testing.T) {
	// Probed outside the heap: advice splits a mapping.
	probe, err := unix.Mmap(-1, 0, 4<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(probe)
	if err := unix.Madvise(probe, unix.MADV_HUGEPAGE); errors.Is(err, unix.EINVAL) {
		t.Skip("the kernel has no transparent huge pages")
	}
	h := New(slog.New(slog.DiscardHandler))
	h.sys = anyMode{osSystem{}}
	b := h.Burst(1 << 30)
	if b == nil {
		t.Skip("no reservation: too little memory available or strict overcommit")
	}
	t.Logf("advised %#x-%#x (%d MiB); THP %q", h.lo, h.hi, (h.hi-h.lo)>>20, osSystem{}.thpMode())
	// Allocations of a model's read land in the range.
	buf := make([]byte, 64<<20)
	at := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	if at < h.lo || at+uintptr(len(buf)) > h.hi {
		t.Fatalf("a 64 MiB allocation at %#x lies outside %#x-%#x", at, h.lo, h.hi)
	}
	if f := vmFlags(t, at); !slices.Contains(f, "hg") {
		t.Errorf("during the burst the heap's flags are %v, want hg", f)
	}
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	runtime.KeepAlive(buf)
	b.End()
	if f := vmFlags(t, at); !slices.Contains(f, "nh") || slices.Contains(f, "hg") {
		t.Errorf("after the burst the heap's flags are %v, want nh", f)
	}
}

// anyMode is the OS with THP taken to be in madvise mode, so the
// mechanism is tested whatever this machine's setting.
type anyMode struct{ osSystem }

func (anyMode) thpMode() string { return "madvise" }
