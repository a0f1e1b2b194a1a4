package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/layout"
)

// gzipSerial is how answers were compressed before chunkedGzip: encoded
// and deflated one after the other on the writer's goroutine.
func gzipSerial(write func(io.Writer) error) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err := write(zw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// gzTimes is the wall and CPU time spent in one way of gzipping.
type gzTimes struct{ wall, cpu time.Duration }

// benchWireGzip times the compact view of a generated transformer of
// the given size, every group open, written and gzipped as the graph
// cache does (gzipWritten) and as it did before (gzipSerial),
// interleaved in each iteration (each first half the time) so that the
// ratio holds on a busy machine. It reports both wall times, their ratio,
// both CPU times (the process's: a chunked wall time well under its CPU
// time is the workers running side by side; equal, no core was free) and
// both sizes.
func benchWireGzip(b *testing.B, nodes int) {
	opts, _ := layoutOptions("all", "")
	v, err := layout.Layout(context.Background(), layout.GenTransformer(nodes), opts)
	if err != nil {
		b.Fatal(err)
	}
	write := func(w io.Writer) error { return layout.WriteWire(w, v) }
	var serial, chunked gzTimes
	var serialLen, chunkedLen int
	run := func(gzip func(func(io.Writer) error) ([]byte, error), t *gzTimes) int {
		start, cpu := time.Now(), cpuTime()
		gz, err := gzip(write)
		t.wall += time.Since(start)
		t.cpu += cpuTime() - cpu
		if err != nil {
			b.Fatal(err)
		}
		return len(gz)
	}
	chunkedGzip := func(write func(io.Writer) error) ([]byte, error) { return gzipWritten(0, write) }
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 1 {
			chunkedLen = run(chunkedGzip, &chunked)
		}
		serialLen = run(gzipSerial, &serial)
		if i%2 == 0 {
			chunkedLen = run(chunkedGzip, &chunked)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(serial.wall), "serial-ms")
	b.ReportMetric(ms(chunked.wall), "chunked-ms")
	b.ReportMetric(float64(chunked.wall)/float64(serial.wall), "chunked/serial")
	b.ReportMetric(ms(serial.cpu), "serial-cpu-ms")
	b.ReportMetric(ms(chunked.cpu), "chunked-cpu-ms")
	b.ReportMetric(float64(serialLen), "serial-B")
	b.ReportMetric(float64(chunkedLen), "chunked-B")
}

// BenchmarkWireGzip2k is benchWireGzip at 2,000 nodes (one chunk or less:
// compressed whole, as before).
func BenchmarkWireGzip2k(b *testing.B) { benchWireGzip(b, 2_000) }

// BenchmarkWireGzip10k is benchWireGzip at 10,000 nodes.
func BenchmarkWireGzip10k(b *testing.B) { benchWireGzip(b, 10_000) }

// BenchmarkWireGzip100k is benchWireGzip at 100,000 nodes.
func BenchmarkWireGzip100k(b *testing.B) { benchWireGzip(b, 100_000) }
