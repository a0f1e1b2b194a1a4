package numpy

import (
	"archive/zip"
	"context"
	"errors"
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
	a := &npzArchive{r: r, size: size, path: path}
	var tensors []*model.Tensor
	seen := map[string]bool{}
	other, dup := 0, 0
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
		t, err := a.member(f, name)
		if err != nil {
			return nil, nil, fmt.Errorf(".npz member %q: %w", f.Name, err)
		}
		tensors = append(tensors, t)
	}
	var warnings []string
	if other > 0 {
		warnings = append(warnings, fmt.Sprintf("%d archive entries are not .npy arrays and are not shown", other))
	}
	if dup > 0 {
		warnings = append(warnings, fmt.Sprintf("%d archive entries repeat an array name; the first is shown", dup))
	}
	return tensors, warnings, nil
}

// npzArchive reads the .npy members of one .npz file.
type npzArchive struct {
	r        io.ReaderAt
	size     int64
	path     string
	inflated int64 // bytes decompressed so far to read deflated headers
}

// member reads the header of one .npy member, stored or deflated, and
// checks that the member holds the array it declares.
func (a *npzArchive) member(f *zip.File, name string) (*model.Tensor, error) {
	if f.Flags&1 != 0 {
		return nil, errors.New("encrypted, which is not supported")
	}
	if f.UncompressedSize64 > 1<<62 || f.CompressedSize64 > uint64(a.size) {
		return nil, errors.New("declares impossible sizes")
	}
	usize := int64(f.UncompressedSize64)
	off, err := f.DataOffset()
	if err != nil {
		return nil, err
	}
	if off < 0 || off > a.size-int64(f.CompressedSize64) {
		return nil, errors.New("lies outside the file")
	}
	var h *header
	var t *model.Tensor
	switch f.Method {
	case zip.Store:
		h, t, err = a.stored(f, name, off, usize)
	case zip.Deflate:
		h, t, err = a.deflated(f, name, off, usize)
	default:
		return nil, fmt.Errorf("uses zip compression method %d, which is not supported", f.Method)
	}
	if err != nil {
		return nil, err
	}
	if h.nbytes >= 0 && h.nbytes > usize-h.dataOffset {
		return nil, fmt.Errorf("array %s %v needs %d bytes but the member holds %d after its header", h.dtype.name, h.shape, h.nbytes, usize-h.dataOffset)
	}
	return t, nil
}

// stored reads an uncompressed member: its data is addressed in place.
func (a *npzArchive) stored(f *zip.File, name string, off, usize int64) (*header, *model.Tensor, error) {
	if int64(f.CompressedSize64) != usize {
		return nil, nil, errors.New("stored but its sizes differ")
	}
	h, err := readHeader(io.NewSectionReader(a.r, off, usize), usize)
	if err != nil {
		return nil, nil, err
	}
	t := h.tensor(name, a.path, off+h.dataOffset, false)
	if t.Location != nil {
		t.Extra = append(t.Extra, model.Property{Name: "storage", Value: "stored uncompressed in the archive"})
	}
	return h, t, nil
}

// deflated reads a compressed member's header, inflating only a bounded
// prefix (and at most maxInflate bytes over the whole archive).
func (a *npzArchive) deflated(f *zip.File, name string, off, usize int64) (*header, *model.Tensor, error) {
	if a.inflated > maxInflate {
		return nil, nil, fmt.Errorf("more than %d bytes of the archive decompressed to read its headers", maxInflate)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	cr := &countingReader{r: io.LimitReader(rc, 12+maxHeaderLen)}
	h, err := readHeader(cr, usize)
	rc.Close()
	a.inflated += cr.n
	if err != nil {
		return nil, nil, err
	}
	t := h.tensor(name, a.path, off, true)
	t.Location.Length = int64(f.CompressedSize64)
	t.Extra = append(t.Extra, model.Property{Name: "storage", Value: fmt.Sprintf("deflated in the archive (%d of %d bytes)", f.CompressedSize64, usize)})
	return h, t, nil
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
