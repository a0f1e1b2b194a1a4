package numpy

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/ziputil"
)

const (
	// maxEntries bounds the entries of an .npz archive.
	maxEntries = 100_000
	// maxInflate bounds the bytes decompressed, over all members, to read
	// the headers of deflated members.
	maxInflate = 64 << 20
)

// parseNPZ reads the header of every .npy member of the zip archive held
// by r (size bytes long). Stored members get a raw Location inside the
// archive; deflated ones an opaque one. No array data is read.
func parseNPZ(ctx context.Context, r io.ReaderAt, size int64, path string) ([]*model.Tensor, []string, error) {
	// ziputil checks the central directory before archive/zip reads it
	// (forged entry counts, entries outside the file or overlapping).
	lim := ziputil.DefaultLimits()
	lim.MaxEntries = maxEntries
	za, err := ziputil.NewReader(r, size, lim)
	if err != nil {
		return nil, nil, fmt.Errorf("not a readable .npz (zip) archive: %w", err)
	}
	var tensors []*model.Tensor
	var warnings []string
	seen := map[string]bool{}
	other, dup := 0, 0
	inflated := int64(0)
	for _, f := range za.Files() {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if !strings.HasSuffix(f.Name, ".npy") || f.FileInfo().IsDir() {
			other++
			continue
		}
		name := strings.TrimSuffix(f.Name, ".npy")
		if seen[name] {
			dup++
			continue
		}
		seen[name] = true
		if f.Flags&1 != 0 {
			return nil, nil, fmt.Errorf(".npz member %q is encrypted, which is not supported", f.Name)
		}
		if f.UncompressedSize64 > 1<<62 || f.CompressedSize64 > uint64(size) {
			return nil, nil, fmt.Errorf(".npz member %q declares impossible sizes", f.Name)
		}
		usize := int64(f.UncompressedSize64)
		off, err := f.DataOffset()
		if err != nil {
			return nil, nil, fmt.Errorf(".npz member %q: %w", f.Name, err)
		}
		if off < 0 || off > size-int64(f.CompressedSize64) {
			return nil, nil, fmt.Errorf(".npz member %q lies outside the file", f.Name)
		}
		var h *header
		var t *model.Tensor
		switch f.Method {
		case zip.Store:
			if int64(f.CompressedSize64) != usize {
				return nil, nil, fmt.Errorf(".npz member %q is stored but its sizes differ", f.Name)
			}
			h, err = readHeader(io.NewSectionReader(r, off, usize), usize)
			if err != nil {
				return nil, nil, fmt.Errorf(".npz member %q: %w", f.Name, err)
			}
			t = h.tensor(name, path, off+h.dataOffset, false)
		case zip.Deflate:
			if inflated > maxInflate {
				return nil, nil, fmt.Errorf(".npz archive: more than %d bytes decompressed to read its headers", maxInflate)
			}
			rc, err := f.Open()
			if err != nil {
				return nil, nil, fmt.Errorf(".npz member %q: %w", f.Name, err)
			}
			cr := &countingReader{r: io.LimitReader(rc, 12+maxHeaderLen)}
			h, err = readHeader(cr, usize)
			rc.Close()
			inflated += cr.n
			if err != nil {
				return nil, nil, fmt.Errorf(".npz member %q: %w", f.Name, err)
			}
			t = h.tensor(name, path, off, true)
			t.Location.Length = int64(f.CompressedSize64)
			t.Extra = append(t.Extra, model.Property{Name: "storage", Value: fmt.Sprintf("deflated in the archive (%d of %d bytes)", f.CompressedSize64, usize)})
		default:
			return nil, nil, fmt.Errorf(".npz member %q uses zip compression method %d, which is not supported", f.Name, f.Method)
		}
		if h.nbytes >= 0 && h.nbytes > usize-h.dataOffset {
			return nil, nil, fmt.Errorf(".npz member %q: array %s %v needs %d bytes but the member holds %d after its header", f.Name, h.dtype.name, h.shape, h.nbytes, usize-h.dataOffset)
		}
		if t.Location != nil && f.Method == zip.Store {
			t.Extra = append(t.Extra, model.Property{Name: "storage", Value: "stored uncompressed in the archive"})
		}
		tensors = append(tensors, t)
	}
	if other > 0 {
		warnings = append(warnings, fmt.Sprintf("%d archive entries are not .npy arrays and are not shown", other))
	}
	if dup > 0 {
		warnings = append(warnings, fmt.Sprintf("%d archive entries repeat an array name; the first is shown", dup))
	}
	return tensors, warnings, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
