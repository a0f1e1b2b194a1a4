package numpy

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/modelpeek/modelpeek/model"
)

const (
	// npyMagic opens every .npy file.
	npyMagic = "\x93NUMPY"
	// maxHeaderLen bounds a .npy header (NumPy itself refuses headers over
	// 10,000 bytes unless told otherwise).
	maxHeaderLen = 64 << 10
	// maxRank is NumPy's limit on the number of dimensions.
	maxRank = 64
)

// header is a decoded .npy header.
type header struct {
	version string // "1.0"
	dtype   dtype
	fortran bool
	shape   []int64
	// dataOffset is where the array data starts, from the start of the
	// .npy stream.
	dataOffset int64
	count      int64
	// nbytes is the size of the array data; -1 for object arrays.
	nbytes int64
}

// readHeader reads and decodes a .npy header from r, which holds avail
// bytes in all. It reads the header only.
func readHeader(r io.Reader, avail int64) (*header, error) {
	var pre [12]byte
	if avail < 10 {
		return nil, fmt.Errorf("file is too short (%d bytes) to be a .npy array", avail)
	}
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return nil, fmt.Errorf("read .npy preamble: %w", err)
	}
	if string(pre[:6]) != npyMagic {
		return nil, errors.New("not a .npy array (no \\x93NUMPY magic)")
	}
	major, minor := pre[6], pre[7]
	var hlen, start int64
	switch major {
	case 1:
		hlen, start = int64(pre[8])|int64(pre[9])<<8, 10
	case 2, 3:
		if avail < 12 {
			return nil, fmt.Errorf(".npy version %d.%d preamble is truncated", major, minor)
		}
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return nil, fmt.Errorf("read .npy preamble: %w", err)
		}
		hlen = int64(pre[8]) | int64(pre[9])<<8 | int64(pre[10])<<16 | int64(pre[11])<<24
		start = 12
	default:
		return nil, fmt.Errorf(".npy format version %d.%d is not one I know (1.0, 2.0, 3.0)", major, minor)
	}
	if hlen > maxHeaderLen {
		return nil, fmt.Errorf(".npy header length %d exceeds the %d-byte limit", hlen, maxHeaderLen)
	}
	if start+hlen > avail {
		return nil, fmt.Errorf(".npy header length %d runs past the end of the data (%d bytes): the file is truncated", hlen, avail)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("read .npy header: %w", err)
	}
	var text string
	if major == 3 {
		if !utf8.Valid(buf) {
			return nil, errors.New(".npy version 3 header is not valid UTF-8")
		}
		text = string(buf)
	} else {
		text = latin1(buf)
	}
	h, err := decodeHeader(text)
	if err != nil {
		return nil, err
	}
	h.version = fmt.Sprintf("%d.%d", major, minor)
	h.dataOffset = start + hlen
	return h, nil
}

// latin1 decodes ISO-8859-1 bytes.
func latin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// decodeHeader decodes the header dict: exactly 'descr', 'fortran_order'
// and 'shape', as NumPy requires.
func decodeHeader(text string) (*header, error) {
	v, err := parseLiteral(strings.TrimRight(text, " \t\r\n\x00"))
	if err != nil {
		return nil, fmt.Errorf(".npy %w", err)
	}
	if v.kind != pyDict {
		return nil, errors.New(".npy header is not a dict")
	}
	h := &header{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(v.items); i += 2 {
		k, val := v.items[i], v.items[i+1]
		if k.kind != pyStr {
			return nil, errors.New(".npy header has a key that is not a string")
		}
		if seen[k.str] {
			return nil, fmt.Errorf(".npy header has key %q twice", k.str)
		}
		seen[k.str] = true
		switch k.str {
		case "descr":
			d, err := parseDescr(val)
			if err != nil {
				return nil, fmt.Errorf(".npy header: %w", err)
			}
			h.dtype = d
		case "fortran_order":
			if val.kind != pyBool {
				return nil, errors.New(".npy header: fortran_order must be True or False")
			}
			h.fortran = val.bool
		case "shape":
			dims, err := shapeOf(val)
			if err != nil {
				return nil, fmt.Errorf(".npy header: %w", err)
			}
			h.shape = dims
		default:
			return nil, fmt.Errorf(".npy header has unexpected key %q", preview(k.str))
		}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, fmt.Errorf(".npy header has no %q", k)
		}
	}
	n, ok := model.NumElements(h.shape)
	if !ok {
		return nil, fmt.Errorf(".npy shape %v has too many elements", h.shape)
	}
	h.count = n
	switch {
	case h.dtype.object:
		h.nbytes = -1
	case h.dtype.itemsize > 0 && n > (1<<63-1)/h.dtype.itemsize:
		return nil, fmt.Errorf(".npy shape %v of %s is too large", h.shape, h.dtype.name)
	default:
		h.nbytes = n * h.dtype.itemsize
	}
	return h, nil
}

// tensor describes the array as an IR tensor whose data starts at offset
// in file. opaque forces an opaque Location (compressed data).
func (h *header) tensor(name, file string, offset int64, opaque bool) *model.Tensor {
	t := &model.Tensor{Name: name, DType: h.dtype.name, Shape: h.shape}
	t.Extra = append(t.Extra,
		model.Property{Name: "npy version", Value: h.version},
		model.Property{Name: "descr", Value: h.dtype.descr})
	if h.fortran {
		t.Extra = append(t.Extra, model.Property{Name: "order", Value: "Fortran (column-major)"})
	}
	if h.dtype.bigEndian {
		t.Extra = append(t.Extra, model.Property{Name: "byte order", Value: "big-endian"})
	}
	if h.dtype.object {
		t.Doc = "object array: its elements are pickled Python objects, which are never loaded"
		return t
	}
	enc := model.EncRaw
	switch {
	case opaque || !h.dtype.numeric || (h.fortran && multiDim(h.shape)):
		// Compressed, not numbers, or not in row-major order: a preview
		// would show the wrong values.
		enc = model.EncOpaque
	case h.dtype.bigEndian:
		enc = model.EncRawBigEndian
	}
	t.Location = &model.Location{File: file, Offset: offset, Length: h.nbytes, Encoding: enc}
	return t
}

// multiDim reports whether more than one dimension is larger than 1, so
// that Fortran and C order differ.
func multiDim(shape []int64) bool {
	n := 0
	for _, d := range shape {
		if d > 1 {
			n++
		}
	}
	return n > 1
}
