package coreml

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// Blob storage (coremltools MILBlob StorageFormat.hpp): a 64-byte
// storage_header, then per blob a 64-byte blob_metadata (sentinel
// 0xDEADBEEF, dtype, size in bytes, data offset) that BlobFileValue.offset
// points at.
const (
	blobSentinel   = 0xDEADBEEF
	blobHeaderSize = 64
)

// blobDTypes maps MILBlob BlobDataType values to dtypes.
var blobDTypes = map[uint32]model.DType{
	1: "float16", 2: "float32", 3: "uint8", 4: "int8", 5: "bfloat16", 6: "int16", 7: "uint16",
	8: "int4", 9: "uint1", 10: "uint2", 11: "uint4", 12: "uint3", 13: "uint6", 14: "int32",
	15: "uint32", 16: "float8_e4m3fn", 17: "float8_e5m2",
}

// blobFile is an opened weight file, or why it could not be opened.
type blobFile struct {
	name string
	path string
	f    *os.File
	size int64
	err  error
}

// openBlob opens the weight file a BlobFileValue names
// ("@model_path/weights/weight.bin"), resolved inside the model's folder
// only, once per file.
func (d *decoder) openBlob(name string) *blobFile {
	if d.blobs != nil && d.blobs.name == name {
		return d.blobs
	}
	d.closeBlobs()
	b := &blobFile{name: name}
	d.blobs = b
	rel, ok := strings.CutPrefix(name, "@model_path/")
	if !ok || !filepath.IsLocal(filepath.FromSlash(rel)) {
		b.err = fmt.Errorf("weight file %q is not inside the model folder", name)
		return b
	}
	dir := filepath.Dir(d.path)
	if d.weightsDir != "" {
		dir = d.weightsDir
	}
	b.path = filepath.Join(dir, filepath.FromSlash(rel))
	f, err := os.OpenInRoot(dir, filepath.FromSlash(rel))
	if err != nil {
		b.err = err
		return b
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		b.err = fmt.Errorf("weight file %q is not a regular file", name)
		return b
	}
	b.f, b.size = f, st.Size()
	return b
}

func (d *decoder) closeBlobs() {
	if d.blobs != nil && d.blobs.f != nil {
		d.blobs.f.Close()
	}
	d.blobs = nil
}

// blobLocation reads the blob_metadata at off and returns where the blob's
// bytes are, with their dtype.
func (b *blobFile) location(off uint64) (*model.Location, model.DType, error) {
	if b.err != nil {
		return nil, "", b.err
	}
	if off > uint64(b.size) || uint64(b.size)-off < blobHeaderSize {
		return nil, "", fmt.Errorf("blob offset %d is past the end of %s (%d bytes)", off, filepath.Base(b.path), b.size)
	}
	var hdr [blobHeaderSize]byte
	if _, err := b.f.ReadAt(hdr[:], int64(off)); err != nil && !errors.Is(err, io.EOF) {
		return nil, "", err
	}
	if binary.LittleEndian.Uint32(hdr[:]) != blobSentinel {
		return nil, "", fmt.Errorf("no blob header at offset %d of %s", off, filepath.Base(b.path))
	}
	dt := blobDTypes[binary.LittleEndian.Uint32(hdr[4:])]
	size := binary.LittleEndian.Uint64(hdr[8:])
	data := binary.LittleEndian.Uint64(hdr[16:])
	if data > uint64(b.size) || size > uint64(b.size)-data {
		return nil, "", fmt.Errorf("blob at offset %d of %s runs past the end of the file", off, filepath.Base(b.path))
	}
	enc := model.EncRaw
	switch dt {
	case "int4", "uint1", "uint2", "uint3", "uint4", "uint6", "":
		enc = model.EncOpaque
	}
	return &model.Location{File: b.path, Offset: int64(data), Length: int64(size), Encoding: enc}, dt, nil
}

// constTensor makes the tensor of a const operation: its output's name,
// dtype and shape, its bytes in a weight file or inline in the spec.
func (d *decoder) constTensor(out *model.Value, v *milValue) *model.Tensor {
	t := &model.Tensor{Name: out.Name}
	typ := out.Type
	if typ == nil {
		typ = v.typ
	}
	if typ != nil {
		t.DType = typ.DType
		t.Shape = make([]int64, 0, len(typ.Shape))
		for _, dm := range typ.Shape {
			t.Shape = append(t.Shape, dm.Size)
		}
	}
	switch {
	case v.hasBlob:
		b := d.openBlob(v.blobFile)
		loc, dt, err := b.location(v.blobOff)
		if err != nil {
			d.warn("const %q: %v", out.Name, err)
			t.Location = &model.Location{File: b.path, Offset: int64(min(v.blobOff, 1<<62)), Encoding: model.EncOpaque, Missing: b.f == nil}
			return t
		}
		if t.DType == "" {
			t.DType = dt
		}
		t.Location = loc
	case v.immediate.Len > 0:
		t.Location = d.immediateLocation(v.immediate, t.DType)
	}
	return t
}

// immediateLocation locates the values of an immediate TensorValue.
func (d *decoder) immediateLocation(tv field, dt model.DType) *model.Location {
	var loc *model.Location
	_ = d.src.sub(d.ctx, tv, func(f field) error {
		return d.src.sub(d.ctx, f, func(r field) error {
			if r.Num != 1 || r.Type != 2 || loc != nil {
				return nil
			}
			enc := model.EncOpaque
			switch {
			case f.Num == 1 && dt == "float32", f.Num == 6 && dt == "float64", f.Num == 7:
				enc = model.EncRaw
			case f.Num == 2 || f.Num == 5:
				enc = model.EncVarint
			}
			loc = &model.Location{File: d.path, Offset: r.Off, Length: r.Len, Encoding: enc}
			return nil
		})
	})
	return loc
}

// warn records a non-fatal problem, at most 100 of them.
func (d *decoder) warn(format string, args ...any) {
	if len(d.warnings) < 100 {
		d.warnings = append(d.warnings, fmt.Sprintf(format, args...))
	}
}

// milCategory is the viewer category of a MIL operation type.
func milCategory(op string) string {
	switch op {
	case "const":
		return "constant"
	case "conv", "conv_transpose", "linear", "matmul", "einsum":
		return "layer"
	case "relu", "relu6", "gelu", "sigmoid", "tanh", "silu", "softmax", "leaky_relu", "elu", "softplus":
		return "activation"
	case "batch_norm", "layer_norm", "instance_norm", "l2_norm", "local_response_norm":
		return "normalization"
	case "max_pool", "avg_pool", "l2_pool":
		return "pooling"
	case "reshape", "transpose", "concat", "split", "squeeze", "expand_dims", "slice_by_index", "slice_by_size":
		return "shape"
	case "cond", "while_loop":
		return "control"
	}
	if strings.HasPrefix(op, "constexpr_") {
		return "quantization"
	}
	return ""
}
