package server

import (
	"context"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// benchFirstGraph times the page's first graph request (compact view,
// every group open, gzip) of a freshly loaded model version: "cold" lays
// it out on demand, as before Warm; "warm" finds it laid out by Warm after
// the load. It reports the request's wall time and the warm-up's CPU.
func benchFirstGraph(b *testing.B, nodes int) {
	m := &model.Model{Format: "onnx", Graph: layout.GenTransformer(nodes)}
	lib := newFakeLib()
	lib.add("big", "big.onnx", m)
	s, addr := startServer(b, lib, nil)
	const route = "/api/models/big/graph?wire=1&path=&expand=all"
	first := func(b *testing.B) time.Duration {
		req := authed(b, s, addr, "GET", route, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		start := time.Now()
		resp, _ := do(b, req)
		took := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("graph: %d", resp.StatusCode)
		}
		return took
	}
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			var total, warmCPU time.Duration
			for i := 0; i < b.N; i++ {
				s.DropLayouts("big", math.MaxInt) // a new version: nothing cached
				if mode == "warm" {
					cpu := cpuTime()
					<-s.Warm(context.Background(), "big", 1, m)
					warmCPU += cpuTime() - cpu
				}
				total += first(b)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "request-ms")
			if mode == "warm" {
				b.ReportMetric(float64(warmCPU.Microseconds())/1000/float64(b.N), "warmup-cpu-ms")
			}
		})
	}
}

// BenchmarkFirstGraph10k is benchFirstGraph on a 10,000-node transformer.
func BenchmarkFirstGraph10k(b *testing.B) { benchFirstGraph(b, 10_000) }

// BenchmarkFirstGraph100k is benchFirstGraph on a 100,000-node transformer.
func BenchmarkFirstGraph100k(b *testing.B) { benchFirstGraph(b, 100_000) }
