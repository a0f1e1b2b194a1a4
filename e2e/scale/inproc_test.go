//go:build unix

package scale

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx"
)

// writeTransformer writes a synthetic transformer of n nodes as ONNX and
// returns its path.
func writeTransformer(t testing.TB, dir string, n int) string {
	t.Helper()
	data, err := fixture.EncodeONNX(&model.Model{Format: "onnx", Producer: "modelpeek scale test", Version: "8",
		Opsets: []model.Opset{{Version: 17}}, Graph: layout.GenTransformer(n)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "t"+strconv.Itoa(n)+".onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// maxIRPerNode bounds the heap a decoded transformer keeps per node: the
// 550 bytes issue 26 measured, less a fifth.
const maxIRPerNode = 440

// liveHeap returns the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// decodeRetained decodes path and returns the model and the heap it keeps
// (the IR), measured between two full collections.
func decodeRetained(t testing.TB, path string) (*model.Model, uint64) {
	t.Helper()
	before := liveHeap()
	m, err := onnx.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	after := liveHeap()
	return m, after - min(after, before)
}

// BenchmarkIRBytesPerNode reports the heap a decoded 100,000-node
// transformer keeps per node (the IR's cost, issue 26).
func BenchmarkIRBytesPerNode(b *testing.B) {
	const n = 100_000
	path := writeTransformer(b, b.TempDir(), n)
	var kept uint64
	for b.Loop() {
		m, bytes := decodeRetained(b, path)
		kept = bytes
		runtime.KeepAlive(m)
	}
	b.ReportMetric(float64(kept)/n, "bytes/node")
}

// stage runs f and reports the heap it adds while running (the peak of
// the process's resident set, reset before) and what stays after it.
type stageMeter struct {
	t    *testing.T
	base uint64
}

func (s *stageMeter) run(name string, f func()) {
	debug.FreeOSMemory()
	before := liveHeap()
	rss0 := procSelfKB(s.t, "VmRSS")
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset VmHWM
	stop := make(chan struct{})
	maxLive := make(chan uint64)
	go sampleLive(stop, maxLive)
	start, cpu0 := time.Now(), cpuTime()
	f()
	took, cpu := time.Since(start), cpuTime()-cpu0
	close(stop)
	live := <-maxLive
	peak := procSelfKB(s.t, "VmHWM")
	after := liveHeap()
	s.t.Logf("%-24s %5d ms (CPU %5d ms); peak RSS +%4d MiB over %4d MiB; live heap %4d → %4d MiB (at most %4d MiB marked live)",
		name, took.Milliseconds(), cpu.Milliseconds(), (peak-rss0)>>10, rss0>>10, before>>20, after>>20, live>>20)
}

// sampleLive reports the largest heap marked live by the collections
// that end before stop is closed.
func sampleLive(stop <-chan struct{}, out chan<- uint64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var most uint64
	for {
		metrics.Read(sample)
		most = max(most, sample[0].Value.Uint64())
		select {
		case <-stop:
			out <- most
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// procSelfKB reads a kB field of this process's status.
func procSelfKB(t *testing.T, field string) int64 { return procKB(t, os.Getpid(), field) }

// TestMemoryBreakdown decodes and lays out a big transformer in process,
// as the server does after a load, and logs each stage's transient peak
// and retained heap. MODELPEEK_SCALE=1 runs it at 500,000 nodes;
// MODELPEEK_SCALE_NODES chooses another size.
func TestMemoryBreakdown(t *testing.T) {
	if os.Getenv("MODELPEEK_SCALE") != "1" {
		t.Skip("MODELPEEK_SCALE=1 decodes and lays out a 500,000-node model in process")
	}
	n := bigNodes
	if s := os.Getenv("MODELPEEK_SCALE_NODES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := writeTransformer(t, t.TempDir(), n)
	debug.FreeOSMemory()
	s := &stageMeter{t: t}
	var m *model.Model
	s.run("decode", func() {
		var err error
		if m, err = onnx.Open(context.Background(), path); err != nil {
			t.Fatal(err)
		}
	})
	ir := liveHeap()
	perNode := float64(ir) / float64(n)
	t.Logf("IR: %d MiB live heap with the model, %.0f bytes/node", ir>>20, perNode)
	if perNode > maxIRPerNode {
		t.Errorf("the decoded model keeps %.0f bytes per node, want at most %d", perNode, maxIRPerNode)
	}
	var p *layout.Prepared
	s.run("prepare", func() {
		var err error
		if p, err = layout.Prepare(context.Background(), m.Graph, layout.Options{}); err != nil {
			t.Fatal(err)
		}
	})
	for _, o := range []struct {
		name string
		opts layout.Options
	}{{`layout ""`, layout.Options{}}, {"layout all", layout.Options{ExpandAll: true}}} {
		var v *layout.View
		s.run(o.name, func() {
			var err error
			if v, err = p.Layout(context.Background(), o.opts); err != nil {
				t.Fatal(err)
			}
		})
		var gz []byte
		s.run(o.name+" wire+gzip", func() {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			if err := layout.WriteWire(zw, v); err != nil {
				t.Fatal(err)
			}
			zw.Close()
			gz = bytes.Clone(buf.Bytes())
		})
		t.Logf("%s: %d boxes, %.1f MB gzipped", o.name, len(v.Nodes), float64(len(gz))/1e6)
	}
	runtime.KeepAlive(m)
	runtime.KeepAlive(p)
}

// BenchmarkWarmLimited prepares a big transformer (MODELPEEK_SCALE_NODES,
// 500,000 by default) and lays out and gzips its two first views as a
// server warm-up does, with the memory limit such a warm-up sets for its
// second view (2.5 times the heap live after the first) and without,
// alternating in each iteration: the CPU time the limit costs against
// the peak RSS it saves.
func BenchmarkWarmLimited(b *testing.B) {
	n := bigNodes
	if s := os.Getenv("MODELPEEK_SCALE_NODES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := writeTransformer(b, b.TempDir(), n)
	m, err := onnx.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	var cpu, peak [2]float64 // none, limit
	runs := 0
	for b.Loop() {
		for k := range 2 {
			limited := (k+runs)%2 == 1
			c, pk := warmOnce(b, m, limited)
			i := map[bool]int{false: 0, true: 1}[limited]
			cpu[i] += c
			peak[i] = max(peak[i], pk)
		}
		runs++
	}
	b.ReportMetric(cpu[0]/float64(runs), "cpu-ms-none")
	b.ReportMetric(cpu[1]/float64(runs), "cpu-ms-limit")
	b.ReportMetric(peak[0], "peakMiB-none")
	b.ReportMetric(peak[1], "peakMiB-limit")
}

// warmOnce prepares m's graph and lays out and gzips its "" and "all"
// views, the second under a limit of 2.5 times the live heap when
// limited; it returns the CPU milliseconds taken and the process's peak
// RSS meanwhile in MiB.
func warmOnce(b *testing.B, m *model.Model, limited bool) (cpuMs, peakMiB float64) {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	cpu0 := cpuTime()
	p, err := layout.Prepare(context.Background(), m.Graph, layout.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for i, opts := range []layout.Options{{}, {ExpandAll: true}} {
		if i > 0 && limited {
			debug.FreeOSMemory()
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(liveHeap() / 10 * 25)))
		}
		v, err := p.Layout(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
		if err := layout.WriteWire(zw, v); err != nil {
			b.Fatal(err)
		}
		zw.Close()
	}
	return float64(cpuTime()-cpu0) / 1e6, float64(procKB(b, os.Getpid(), "VmHWM")) / 1024
}

// cpuTime is the process's user and system time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
