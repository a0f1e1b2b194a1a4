package layout

import (
	"context"
	"runtime"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

func benchLayout(b *testing.B, nodes int, opts Options) {
	benchGraph(b, GenTransformer(nodes), opts)
}

func benchGraph(b *testing.B, g *model.Graph, opts Options) {
	b.ReportAllocs()
	b.ResetTimer()
	var v *View
	times := stageTimes{clock: cpuTime}
	ctx := withStageTimes(context.Background(), &times)
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		var err error
		if v, err = Layout(ctx, g, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	reportStages(b, &times)
	b.ReportMetric(float64(v.Stats.Crossings), "crossings")
	b.ReportMetric(float64(len(v.Nodes)), "boxes")
}

// BenchmarkLayout10k lays out a 10,000-node transformer, every group open.
func BenchmarkLayout10k(b *testing.B) { benchLayout(b, 10_000, Options{ExpandAll: true}) }

// BenchmarkLayout100k lays out a 100,000-node transformer, every group open.
func BenchmarkLayout100k(b *testing.B) { benchLayout(b, 100_000, Options{ExpandAll: true}) }

// BenchmarkLayout100kCollapsed is the default view of the same graph.
func BenchmarkLayout100kCollapsed(b *testing.B) { benchLayout(b, 100_000, Options{}) }

// BenchmarkLayoutResNet10k lays out a 10,000-node ResNet-like graph.
func BenchmarkLayoutResNet10k(b *testing.B) {
	benchGraph(b, GenResNet(10_000), Options{ExpandAll: true})
}

// BenchmarkLayoutResNet100k lays out a 100,000-node ResNet-like graph.
func BenchmarkLayoutResNet100k(b *testing.B) {
	benchGraph(b, GenResNet(100_000), Options{ExpandAll: true})
}

// BenchmarkExpand100k is one expand click on a prepared 100,000-node
// transformer (the default view with one more group open).
func BenchmarkExpand100k(b *testing.B) {
	g := GenTransformer(100_000)
	p, err := Prepare(context.Background(), g, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := p.Layout(context.Background(), Options{Expanded: []string{"g:/model/layers.7"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// reportStages reports the CPU time (the process's, GC included) per
// layout of every stage ("order-cpu-ms/op"), to show where a layout's
// time goes.
func reportStages(b *testing.B, times *stageTimes) {
	for s, d := range times.d {
		b.ReportMetric(float64(d.Microseconds())/1000/float64(b.N), stageNames[s]+"-cpu-ms/op")
	}
}

// BenchmarkLayout500k lays out a 500,000-node transformer, every group
// open (issue 26's largest case).
func BenchmarkLayout500k(b *testing.B) { benchLayout(b, 500_000, Options{ExpandAll: true}) }

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkBytesPerNode100k reports the heap a 100,000-node transformer's
// prepared graph holds per node (kept per model version by the server),
// and that of its view with every group open (held while it is encoded).
func BenchmarkBytesPerNode100k(b *testing.B) {
	const n = 100_000
	g := GenTransformer(n)
	var prep, view float64
	for b.Loop() {
		before := liveHeap()
		p, err := Prepare(context.Background(), g, Options{})
		if err != nil {
			b.Fatal(err)
		}
		mid := liveHeap()
		v, err := p.Layout(context.Background(), Options{ExpandAll: true})
		if err != nil {
			b.Fatal(err)
		}
		prep, view = float64(mid-before)/n, float64(liveHeap()-mid)/n
		runtime.KeepAlive(p)
		runtime.KeepAlive(v)
	}
	b.ReportMetric(prep, "prepared-B/node")
	b.ReportMetric(view, "view-B/node")
}
