package hugepages

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// osSystem is Linux.
type osSystem struct{}

// thpMode is "" where a burst cannot help: a 32-bit address space (the
// reservation would not fit) or huge pages other than 2 MiB (arm64 with
// 64 KiB base pages has 512 MiB ones).
func (osSystem) thpMode() string {
	if strconv.IntSize < 64 {
		return ""
	}
	if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(hugePage) {
		return ""
	}
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	return bracketed(string(b))
}

// bracketed returns the word in brackets of a sysfs choice such as
// "always [madvise] never".
func bracketed(s string) string {
	_, rest, ok := strings.Cut(s, "[")
	if !ok {
		return ""
	}
	word, _, ok := strings.Cut(rest, "]")
	if !ok {
		return ""
	}
	return word
}

func (osSystem) overcommit() int {
	b, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

func (osSystem) available() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	return memAvailable(bufio.NewScanner(f))
}

// memAvailable reads MemAvailable (in kB in the file) from /proc/meminfo.
func memAvailable(sc *bufio.Scanner) int64 {
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("MemAvailable:"))
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// reserve allocates n bytes the runtime must map afresh (a pointer-free
// slice of fresh memory is never touched: the runtime knows it is zero),
// and returns them to the runtime and the OS at once. The range starts at
// the start of the mapping that holds the slice: the heap's first arena
// when the slice was mapped right after it, so the free pages left there
// are advised too.
func (osSystem) reserve(n int64) (lo, hi uintptr) {
	b := make([]byte, n)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	runtime.KeepAlive(b)
	b = nil
	debug.FreeOSMemory()
	lo = start
	if m, err := os.ReadFile("/proc/self/maps"); err == nil {
		if s, ok := mappingStart(m, start); ok {
			lo = s
		}
	}
	return lo, start + uintptr(n)
}

// mappingStart returns the start of the line of /proc/self/maps whose
// range holds addr.
func mappingStart(maps []byte, addr uintptr) (uintptr, bool) {
	for line := range bytes.Lines(maps) {
		rng, _, _ := bytes.Cut(line, []byte(" "))
		a, b, ok := bytes.Cut(rng, []byte("-"))
		if !ok {
			continue
		}
		lo, err1 := strconv.ParseUint(string(a), 16, 64)
		hi, err2 := strconv.ParseUint(string(b), 16, 64)
		if err1 == nil && err2 == nil && uint64(addr) >= lo && uint64(addr) < hi {
			return uintptr(lo), true
		}
	}
	return 0, false
}

func (osSystem) advise(lo, hi uintptr, on bool) error {
	advice := uintptr(unix.MADV_NOHUGEPAGE)
	if on {
		advice = unix.MADV_HUGEPAGE
	}
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, lo, hi-lo, advice); e != 0 {
		return fmt.Errorf("madvise %#x-%#x: %w", lo, hi, e)
	}
	return nil
}
