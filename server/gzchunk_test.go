package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/layout"
)

// gunzipOne decodes gz, which must be exactly one gzip member (its
// CRC-32 and length checked by the reader), and returns the plain bytes.
func gunzipOne(t *testing.T, gz []byte) []byte {
	t.Helper()
	br := bytes.NewReader(gz)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	if br.Len() != 0 {
		t.Fatalf("%d bytes after the gzip member", br.Len())
	}
	return plain
}

// TestChunkedGzipBigView: the compact view of a generated 40,000-node
// transformer (several pieces past the inline part) gzipped by gzipWritten decodes to the
// bytes layout.EncodeWire returns.
func TestChunkedGzipBigView(t *testing.T) {
	opts, _ := layoutOptions("all", "")
	v, err := layout.Layout(context.Background(), layout.GenTransformer(40_000), opts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := layout.EncodeWire(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < gzInline+2*gzChunk {
		t.Fatalf("the view is %d bytes: too small to test pieces", len(want))
	}
	z := newChunkedGzip(0)
	if err := layout.WriteWire(z, v); err != nil {
		t.Fatal(err)
	}
	if z.zw != nil {
		t.Fatal("a view of several chunks compressed on one goroutine")
	}
	gz, err := z.close()
	if err != nil {
		t.Fatal(err)
	}
	if got := gunzipOne(t, gz); !bytes.Equal(got, want) {
		t.Fatalf("gunzipped %d bytes differ from the %d-byte view", len(got), len(want))
	}
}

// TestChunkedGzipSizes: answers of sizes around the chunk boundaries,
// written in pieces of many sizes, round-trip through Go's gzip reader;
// one smaller than gzInline starts no goroutine.
func TestChunkedGzipSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, gzInline+3*gzChunk+100)
	for i := range src {
		src[i] = byte(r.IntN(8)) // compressible, not trivially
	}
	sizes := []int{0, 1, gzInline - 1, gzInline, gzInline + 1, gzInline + gzChunk, gzInline + 2*gzChunk - 1, len(src)}
	for _, n := range sizes {
		for _, step := range []int{n + 1, 65536, 7777} {
			z := newChunkedGzip(0)
			for p := src[:n]; len(p) > 0; {
				k := min(step, len(p))
				if _, err := z.Write(p[:k]); err != nil {
					t.Fatal(err)
				}
				p = p[k:]
			}
			if whole := z.zw != nil; whole != (n < gzInline) {
				t.Errorf("%d bytes: compressed whole %v", n, whole)
			}
			gz, err := z.close()
			if err != nil {
				t.Fatal(err)
			}
			if got := gunzipOne(t, gz); !bytes.Equal(got, src[:n]) {
				t.Errorf("%d bytes written %d at a time: round trip differs", n, step)
			}
		}
	}
}

// TestChunkedGzipErrorStopsWorkers: an answer that fails half-way
// returns its error and leaves no goroutine behind.
func TestChunkedGzipErrorStopsWorkers(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	bad := errors.New("encoder failed")
	_, err := gzipWritten(0, func(w io.Writer) error {
		if _, err := w.Write(make([]byte, gzInline+5*gzChunk+3)); err != nil {
			return err
		}
		return bad
	})
	if !errors.Is(err, bad) {
		t.Fatalf("err = %v, want %v", err, bad)
	}
}

// TestGraphCacheCancelMidStream: a layout whose request leaves while its
// answer is being compressed in pieces is cancelled, and no goroutine of
// it stays behind.
func TestGraphCacheCancelMidStream(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := newGraphCache(4, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	compute := func(lctx context.Context, w io.Writer) error {
		if _, err := w.Write(make([]byte, gzInline+3*gzChunk)); err != nil {
			return err
		}
		cancel() // the request leaves while workers compress
		<-lctx.Done()
		return lctx.Err()
	}
	key := graphKey{id: "m", version: 1, expand: "all", wire: true}
	if _, err := c.get(ctx, key, compute); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancelled", err)
	}
	if _, ok := c.peek(key); ok {
		t.Error("a cancelled layout was cached")
	}
}

// TestChunkedGzipPanicStopsWorkers: a writer panicking half-way (the
// graph cache recovers layout panics) leaves no goroutine behind.
func TestChunkedGzipPanicStopsWorkers(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer func() {
		if recover() == nil {
			t.Error("the panic was lost")
		}
	}()
	gzipWritten(0, func(w io.Writer) error {
		w.Write(make([]byte, gzInline+5*gzChunk+3))
		panic("encoder bug")
	})
}
