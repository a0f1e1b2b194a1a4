package paddle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// maxTensorDesc bounds the TensorDesc message of one .pdiparams record.
const maxTensorDesc = 1 << 20

// paramsPath returns the combined weights file that goes with the program
// at path: "<stem>.pdiparams" beside "<stem>.pdmodel", "__params__" beside
// "__model__", "params" beside "model".
func paramsPath(path string) string {
	dir, base := filepath.Split(path)
	switch base {
	case "__model__":
		return filepath.Join(dir, "__params__")
	case "model":
		return filepath.Join(dir, "params")
	}
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".pdiparams"
}

// locateParams sets the Location of every weight from the combined
// parameter file: save_combine writes the persistable variables sorted by
// name, each as a LoDTensor record whose header is walked here (the data
// is skipped, never read). It returns the file path when it exists, and
// warnings for records that do not match the program.
func locateParams(path string, ts []*model.Tensor) (string, []string) {
	pp := paramsPath(path)
	if len(ts) == 0 || pp == path {
		return "", nil
	}
	f, size, err := model.OpenFile(pp)
	if errors.Is(err, os.ErrNotExist) && filepath.Base(path) == "__model__" {
		return "", locateSeparate(filepath.Dir(path), ts)
	}
	if errors.Is(err, os.ErrNotExist) {
		return "", []string{fmt.Sprintf("the weights file %s is not beside the program: weights are shown without data", filepath.Base(pp))}
	}
	if err != nil {
		return "", []string{fmt.Sprintf("weights file %s: %v", filepath.Base(pp), err)}
	}
	defer f.Close()
	sorted := slices.Clone(ts)
	slices.SortStableFunc(sorted, func(a, b *model.Tensor) int { return strings.Compare(a.Name, b.Name) })
	r := &recordReader{r: f, size: size}
	for _, t := range sorted {
		loc, err := r.next(t)
		if err != nil {
			return pp, []string{fmt.Sprintf("weights file %s, tensor %s: %v; later tensors are shown without data", filepath.Base(pp), t.Name, err)}
		}
		loc.File = pp
		t.Location = loc
	}
	return pp, nil
}

// recordReader walks LoDTensor records: uint32 version, uint64 LoD level
// count, each level as uint64 byte length + offsets, then the tensor:
// uint32 version, int32 TensorDesc length, TensorDesc, raw data.
type recordReader struct {
	r    io.ReaderAt
	size int64
	off  int64
}

func (r *recordReader) u32() (uint32, error) {
	var b [4]byte
	if err := r.read(b[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

func (r *recordReader) u64() (uint64, error) {
	var b [8]byte
	if err := r.read(b[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

func (r *recordReader) read(b []byte) error {
	if int64(len(b)) > r.size-r.off {
		return errors.New("the file ends inside the record")
	}
	if _, err := r.r.ReadAt(b, r.off); err != nil {
		return err
	}
	r.off += int64(len(b))
	return nil
}

func (r *recordReader) skip(n uint64) error {
	if n > uint64(r.size-r.off) {
		return errors.New("a length runs past the end of the file")
	}
	r.off += int64(n)
	return nil
}

// next reads the header of the record for t and returns where its data is.
func (r *recordReader) next(t *model.Tensor) (*model.Location, error) {
	if _, err := r.u32(); err != nil { // LoDTensor version
		return nil, err
	}
	levels, err := r.u64()
	if err != nil {
		return nil, err
	}
	if levels > uint64(r.size-r.off)/8 {
		return nil, errors.New("implausible LoD level count")
	}
	for range levels {
		n, err := r.u64()
		if err != nil {
			return nil, err
		}
		if err := r.skip(n); err != nil {
			return nil, err
		}
	}
	if _, err := r.u32(); err != nil { // Tensor version
		return nil, err
	}
	descLen, err := r.u32()
	if err != nil {
		return nil, err
	}
	if int32(descLen) < 0 || descLen > maxTensorDesc || int64(descLen) > r.size-r.off {
		return nil, fmt.Errorf("tensor description of %d bytes", int32(descLen))
	}
	desc := make([]byte, descLen)
	if err := r.read(desc); err != nil {
		return nil, err
	}
	return r.data(t, desc)
}

// data checks the record's TensorDesc against the program's and skips the
// raw bytes.
func (r *recordReader) data(t *model.Tensor, desc []byte) (*model.Location, error) {
	v := &varDesc{dtype: -1}
	if err := parseTensorDesc(pbwire.Field{Bytes: desc}, v); err != nil {
		return nil, err
	}
	dt := dtypes[v.dtype]
	if dt != t.DType || !slices.Equal(v.dims, t.Shape) {
		return nil, fmt.Errorf("the file holds %s%v where the program declares %s%v (not the matching weights file?)", dt, v.dims, t.DType, t.Shape)
	}
	size, ok := model.DTypeSize(dt)
	n, ok2 := model.NumElements(v.dims)
	if !ok || !ok2 || n > (r.size-r.off)/int64(size) {
		return nil, errors.New("the data runs past the end of the file")
	}
	loc := &model.Location{Offset: r.off, Length: n * int64(size), Encoding: model.EncRaw}
	r.off += loc.Length
	return loc, nil
}

// locateSeparate locates weights saved one file per variable beside a
// __model__ program (the layout of save_inference_model without a params
// file name): each file holds one LoDTensor record.
func locateSeparate(dir string, ts []*model.Tensor) []string {
	missing := 0
	for _, t := range ts {
		if t.Name == "" || strings.ContainsAny(t.Name, `/\`) || t.Name == "." || t.Name == ".." {
			missing++
			continue
		}
		p := filepath.Join(dir, t.Name)
		f, size, err := model.OpenFile(p)
		if err != nil {
			missing++
			continue
		}
		loc, err := (&recordReader{r: f, size: size}).next(t)
		f.Close()
		if err != nil {
			missing++
			continue
		}
		loc.File = p
		t.Location = loc
	}
	if missing > 0 {
		return []string{fmt.Sprintf("%d of %d weights have no readable file beside __model__: they are shown without data", missing, len(ts))}
	}
	return nil
}
