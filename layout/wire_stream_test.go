package layout

import (
	"bytes"
	"errors"
	"testing"
)

// shortWriter accepts at most limit bytes in total, then fails; it records
// the largest single write.
type shortWriter struct {
	buf      bytes.Buffer
	limit    int
	largest  int
	writes   int
	failures int
}

var errFull = errors.New("writer full")

func (w *shortWriter) Write(b []byte) (int, error) {
	w.writes++
	w.largest = max(w.largest, len(b))
	if w.buf.Len()+len(b) > w.limit {
		w.failures++
		return 0, errFull
	}
	return w.buf.Write(b)
}

// TestWriteWireStreams checks that WriteWire writes exactly EncodeWire's
// bytes a chunk at a time (a view of several megabytes never goes to the
// writer whole), and returns the writer's first error.
func TestWriteWireStreams(t *testing.T) {
	v := mustLayout(t, GenTransformer(20000), Options{ExpandAll: true})
	want, err := EncodeWire(v)
	if err != nil {
		t.Fatal(err)
	}
	w := &shortWriter{limit: len(want)}
	if err := WriteWire(w, v); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.buf.Bytes(), want) {
		t.Fatalf("WriteWire wrote %d bytes that differ from EncodeWire's %d", w.buf.Len(), len(want))
	}
	if w.largest > wireChunk+64 || w.writes < len(want)/(wireChunk+64) {
		t.Errorf("%d bytes in %d writes of at most %d: want chunks of about %d", len(want), w.writes, w.largest, wireChunk)
	}
	short := &shortWriter{limit: len(want) / 2}
	if err := WriteWire(short, v); !errors.Is(err, errFull) {
		t.Errorf("a failing writer: err = %v, want %v", err, errFull)
	}
	if short.failures != 1 {
		t.Errorf("%d writes failed: after the first error nothing more is written", short.failures)
	}
}
