package all

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fullSweep reports whether MODELPEEK_HOSTILE_FULL=1 asks for the long
// sweep: every prefix of files up to 64 KiB, every prefix of the first
// 4 KiB and 300 spread prefixes of bigger files, and 500 corrupted copies
// of each file. The default run samples fewer so that it stays fast.
func fullSweep() bool { return os.Getenv("MODELPEEK_HOSTILE_FULL") == "1" }

// sweepPlan says which variants of one corpus file to try.
type sweepPlan struct {
	prefixes []int // truncation lengths, ascending, each < size
	flips    int   // number of corrupted copies
}

// planFor returns the variants to try for a file of size bytes.
func planFor(size int, full bool) sweepPlan {
	var p sweepPlan
	add := map[int]bool{}
	push := func(n int) {
		if n >= 0 && n < size && !add[n] {
			add[n] = true
			p.prefixes = append(p.prefixes, n)
		}
	}
	var dense, spread int
	switch {
	case full && size <= 64<<10:
		dense, spread = size, 0
	case full:
		dense, spread = 4<<10, 300
	case size <= 1<<20:
		dense, spread, p.flips = 128, 48, 40
	default:
		dense, spread, p.flips = 64, 12, 6
	}
	if full {
		p.flips = 500
	}
	for n := 0; n < dense; n++ {
		push(n)
	}
	for i := 1; i <= spread; i++ {
		push(int(int64(size) * int64(i) / int64(spread+1)))
	}
	// The bytes just before the end matter to formats whose directory
	// sits at the end (zip) or that check the total length.
	for _, back := range []int{1, 2, 4, 8, 22, 64} {
		push(size - back)
	}
	slices.Sort(p.prefixes)
	return p
}

// seedFor returns a deterministic PRNG seed for a corpus path.
func seedFor(path string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(path))
	return h.Sum64()
}

// corruption is one byte change of a corrupted copy.
type corruption struct {
	off int
	val byte
}

// corruptions returns the byte changes of corrupted copy number i of a
// file of size bytes: one to four bytes, mostly in the first 4 KiB where
// headers live, set to boundary values or flipped at random.
func corruptions(rng *rand.Rand, size int) []corruption {
	n := 1 + rng.IntN(4)
	out := make([]corruption, 0, n)
	for range n {
		var off int
		if rng.IntN(4) != 0 {
			off = rng.IntN(min(size, 4096))
		} else {
			off = rng.IntN(size)
		}
		var v byte
		switch rng.IntN(6) {
		case 0:
			v = 0x00
		case 1:
			v = 0xFF
		case 2:
			v = 0x7F
		case 3:
			v = 0x80
		default:
			v = byte(rng.IntN(256))
		}
		out = append(out, corruption{off, v})
	}
	return out
}

// copyCompanions copies the files next to a corpus file that belong to
// the same model (ONNX external data, safetensors shards and index) into
// dir, so that corrupted copies exercise the multi-file paths too.
func copyCompanions(t *testing.T, path, dir string) {
	t.Helper()
	src := filepath.Dir(path)
	if !strings.Contains(src, "external_data") && !strings.Contains(src, "sharded") {
		return
	}
	es, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.IsDir() || e.Name() == filepath.Base(path) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		variantFile(t, dir, e.Name(), b)
	}
}

// problemLog collects the broken promises of one corpus file, keeping the
// first few in full and counting the rest.
type problemLog struct {
	mu    sync.Mutex
	file  string
	shown []string
	count int
	known []string
}

func (l *problemLog) add(variant, problem string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if owner := knownIssue(problem); owner != "" {
		if len(l.known) < 3 {
			l.known = append(l.known, fmt.Sprintf("%s [%s]: %s (known issue: %s)", l.file, variant, problem, owner))
		}
		return
	}
	l.count++
	if len(l.shown) < 5 {
		l.shown = append(l.shown, fmt.Sprintf("%s [%s]: %s", l.file, variant, problem))
	}
}

func (l *problemLog) report(t *testing.T) {
	for _, k := range l.known {
		t.Log("KNOWN ISSUE " + k)
	}
	if l.count == 0 {
		return
	}
	t.Errorf("%d hostile variants of %s broke a promise; first ones:\n  %s", l.count, l.file, strings.Join(l.shown, "\n  "))
}

// TestCorpusMutations opens truncated and corrupted copies of every corpus
// file through the whole registry: each must give an error or a usable
// model, never a panic (recovered or not), within bounded time and memory.
func TestCorpusMutations(t *testing.T) {
	entries := loadManifest(t)
	reg := Registry()
	full := fullSweep()
	fdsBefore := openFDs()
	var total sync.Map
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			if isDir(e) {
				t.Skip("a model directory: its files are not mutated here")
			}
			data, err := os.ReadFile(e.Abs())
			if err != nil {
				t.Fatal(err)
			}
			if len(data) == 0 {
				t.Skip("empty file")
			}
			tmp := t.TempDir()
			name := filepath.Base(e.Path)
			copyCompanions(t, e.Abs(), tmp)
			log := &problemLog{file: e.Path}
			plan := planFor(len(data), full)
			opens := 0
			start := time.Now()
			// Truncate one file from the longest prefix down, and corrupt
			// it in place, so that the sweep costs a syscall per variant
			// rather than a rewrite.
			p := variantFile(t, tmp, name, data)
			for i := len(plan.prefixes) - 1; i >= 0; i-- {
				n := plan.prefixes[i]
				if err := os.Truncate(p, int64(n)); err != nil {
					t.Fatal(err)
				}
				if o := openChecked(reg, p, maxOpenTime); o.problem != "" {
					log.add(fmt.Sprintf("first %d bytes", n), o.problem)
				}
				opens++
			}
			p = variantFile(t, tmp, name, data)
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			poke := func(off int, v byte) {
				if _, err := f.WriteAt([]byte{v}, int64(off)); err != nil {
					t.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(seedFor(e.Path), 1))
			for i := range plan.flips {
				cs := corruptions(rng, len(data))
				desc := make([]string, len(cs))
				for j, c := range cs {
					desc[j] = fmt.Sprintf("byte %d=0x%02x", c.off, c.val)
					poke(c.off, c.val)
				}
				if o := openChecked(reg, p, maxOpenTime); o.problem != "" {
					log.add(fmt.Sprintf("copy %d: %s", i, strings.Join(desc, ", ")), o.problem)
				}
				for j := len(cs) - 1; j >= 0; j-- {
					poke(cs[j].off, data[cs[j].off])
				}
				opens++
			}
			total.Store(e.Path, opens)
			t.Logf("%d variants in %v", opens, time.Since(start).Round(time.Millisecond))
			log.report(t)
		})
	}
	t.Cleanup(func() {
		n := 0
		total.Range(func(_, v any) bool { n += v.(int); return true })
		t.Logf("opened %d hostile variants of %d corpus files (full sweep: %v)", n, len(entries), full)
		// Every decoder closes what it opens, error paths included.
		if fdsBefore >= 0 {
			if after := openFDs(); after > fdsBefore+4 {
				t.Errorf("file descriptors leaked: %d open before the sweep, %d after", fdsBefore, after)
			}
		}
	})
}
