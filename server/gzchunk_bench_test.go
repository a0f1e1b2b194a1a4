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

// benchWireGzip times the compact view of a generated transformer of
// the given size, every group open, written and gzipped as the graph
// cache does (gzipWritten) and as it did before (gzipSerial),
// interleaved in each iteration so that the ratio holds on a busy
// machine. It reports both wall times, their ratio and both sizes.
func benchWireGzip(b *testing.B, nodes int) {
	opts, _ := layoutOptions("all", "")
	v, err := layout.Layout(context.Background(), layout.GenTransformer(nodes), opts)
	if err != nil {
		b.Fatal(err)
	}
	write := func(w io.Writer) error { return layout.WriteWire(w, v) }
	var serial, chunked time.Duration
	var serialLen, chunkedLen int
	b.ResetTimer()
	run := func(gzip func(func(io.Writer) error) ([]byte, error), took *time.Duration) int {
		t := time.Now()
		gz, err := gzip(write)
		*took += time.Since(t)
		if err != nil {
			b.Fatal(err)
		}
		return len(gz)
	}
	chunkedGzip := func(write func(io.Writer) error) ([]byte, error) { return gzipWritten(0, write) }
	for i := range b.N {
		if i%2 == 1 { // each goes first half the time
			chunkedLen = run(chunkedGzip, &chunked)
		}
		serialLen = run(gzipSerial, &serial)
		if i%2 == 0 {
			chunkedLen = run(chunkedGzip, &chunked)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(serial), "serial-ms")
	b.ReportMetric(ms(chunked), "chunked-ms")
	b.ReportMetric(float64(chunked)/float64(serial), "chunked/serial")
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
