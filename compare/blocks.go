package compare

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/ggml"
)

// source is a stream of a tensor's values.
type source interface {
	Next() ([]float64, error)
	Count() int64
	Close() error
}

// blocksPerRead is how many quantised blocks a blockReader reads at once.
const blocksPerRead = 4096

// blockReader streams a ggml block-quantised tensor, dequantised.
type blockReader struct {
	f           *os.File
	k           ggml.Block
	off, end    int64
	count, seen int64
	raw         []byte
	f32         []float32
	vals        []float64
}

// ggmlBlocks returns the block layout of a tensor stored as ggml blocks,
// and false for other tensors or types without a dequantiser.
func ggmlBlocks(t *model.Tensor) (ggml.Block, bool) {
	if t.Quant == nil || t.Location == nil || t.Location.Encoding != model.EncOpaque {
		return ggml.Block{}, false
	}
	name, ok := strings.CutPrefix(t.Quant.Scheme, "ggml ")
	if !ok {
		return ggml.Block{}, false
	}
	return ggml.Lookup(strings.ToLower(name))
}

// newBlockReader opens a block-quantised tensor whose data length agrees
// with its element count.
func newBlockReader(t *model.Tensor, k ggml.Block) (*blockReader, error) {
	n, ok := model.NumElements(t.Shape)
	if !ok || n%int64(k.Values) != 0 || t.Location.Missing {
		return nil, fmt.Errorf("%w: shape %v does not fill whole %d-value blocks", model.ErrNoPreview, t.Shape, k.Values)
	}
	if need := n / int64(k.Values) * int64(k.Bytes); t.Location.Length < need || t.Location.Offset < 0 {
		return nil, fmt.Errorf("the data holds %d bytes, %d needed", t.Location.Length, need)
	}
	f, err := os.Open(t.Location.File)
	if err != nil {
		return nil, err
	}
	return &blockReader{f: f, k: k, off: t.Location.Offset, end: t.Location.Offset + t.Location.Length, count: n,
		raw: make([]byte, blocksPerRead*k.Bytes), f32: make([]float32, k.Values)}, nil
}

func (r *blockReader) Count() int64 { return r.count }
func (r *blockReader) Close() error { return r.f.Close() }

// Next dequantises the next run of blocks.
func (r *blockReader) Next() ([]float64, error) {
	if r.seen >= r.count {
		return nil, io.EOF
	}
	blocks := min(int64(blocksPerRead), (r.count-r.seen)/int64(r.k.Values))
	buf := r.raw[:blocks*int64(r.k.Bytes)]
	if _, err := r.f.ReadAt(buf, r.off); err != nil {
		return nil, fmt.Errorf("reading blocks at offset %d: %w", r.off, err)
	}
	r.off += int64(len(buf))
	r.vals = r.vals[:0]
	for b := 0; b < len(buf); b += r.k.Bytes {
		r.k.Decode(buf[b:], r.f32)
		for _, v := range r.f32 {
			r.vals = append(r.vals, float64(v))
		}
	}
	r.seen += blocks * int64(r.k.Values)
	return r.vals, nil
}
