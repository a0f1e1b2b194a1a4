//go:build unix

package scale

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model/onnx"
)

// BenchmarkStages times, one sub-benchmark each, the stages between a
// transformer's ONNX file and the compact view of every group open that
// the page asks for first: decode (with shape inference), prepare, layout
// (layout-default: the default view's, the page's interim) and wire
// (encoding and gzip, on one goroutine here; the server gzips in pieces
// alongside). The model has 100,000 nodes, or
// MODELPEEK_SCALE_NODES. Each stage reuses the result of the one before,
// made once, so that the stages can be compared across commits one by
// one:
//
//	go test ./e2e/scale -run XXX -bench Stages -benchmem -benchtime 10x
func BenchmarkStages(b *testing.B) {
	n := 100_000
	if s := os.Getenv("MODELPEEK_SCALE_NODES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	path := writeTransformer(b, b.TempDir(), n)
	m, err := onnx.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	p, err := layout.Prepare(ctx, m.Graph, layout.Options{})
	if err != nil {
		b.Fatal(err)
	}
	all := layout.Options{ExpandAll: true}
	v, err := p.Layout(ctx, all)
	if err != nil {
		b.Fatal(err)
	}
	stage := func(name string, f func() error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	stage("decode", func() error { _, err := onnx.Open(ctx, path); return err })
	stage("prepare", func() error { _, err := layout.Prepare(ctx, m.Graph, layout.Options{}); return err })
	stage("layout", func() error { _, err := p.Layout(ctx, all); return err })
	// The default view (groups opened as the layout decides): the page's
	// interim while every group is laid out.
	stage("layout-default", func() error { _, err := p.Layout(ctx, layout.Options{}); return err })
	stage("wire", func() error {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if err := layout.WriteWire(zw, v); err != nil {
			return err
		}
		return zw.Close()
	})
}
