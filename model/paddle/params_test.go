package paddle

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"google.golang.org/protobuf/encoding/protowire"
)

// paramRecord is one LoDTensor record of a .pdiparams file as
// save_combine writes it, with lod levels and the given data.
func paramRecord(dtype int64, dims []int64, lod [][]uint64, data []byte) []byte {
	var w bytes.Buffer
	le := binary.LittleEndian
	w.Write(le.AppendUint32(nil, 0))
	w.Write(le.AppendUint64(nil, uint64(len(lod))))
	for _, level := range lod {
		w.Write(le.AppendUint64(nil, uint64(8*len(level))))
		for _, v := range level {
			w.Write(le.AppendUint64(nil, v))
		}
	}
	w.Write(le.AppendUint32(nil, 0))
	desc := protowire.AppendTag(nil, tdDataType, protowire.VarintType)
	desc = protowire.AppendVarint(desc, uint64(dtype))
	for _, d := range dims {
		desc = protowire.AppendTag(desc, tdDims, protowire.VarintType)
		desc = protowire.AppendVarint(desc, uint64(d))
	}
	w.Write(le.AppendUint32(nil, uint32(len(desc))))
	w.Write(desc)
	w.Write(data)
	return w.Bytes()
}

// withParams copies a corpus program into a temporary folder beside a
// .pdiparams file written for its weights (sorted by name, random bytes;
// the first record carries a LoD level) and returns the program path and
// each weight's bytes.
func withParams(t *testing.T, rel string) (string, map[string][]byte) {
	t.Helper()
	src := filepath.Join(testenv.Corpus(t), rel)
	prog, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "inference.pdmodel")
	if err := os.WriteFile(path, prog, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	ws := slices.Clone(m.Graph.Initializers)
	slices.SortFunc(ws, func(a, b *model.Tensor) int { return strings.Compare(a.Name, b.Name) })
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string][]byte{}
	var file []byte
	for i, w := range ws {
		n, _ := model.NumElements(w.Shape)
		size, _ := model.DTypeSize(w.DType)
		data := make([]byte, n*int64(size))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		var lod [][]uint64
		if i == 0 {
			lod = [][]uint64{{0, 2, 5}}
		}
		dt := int64(-1)
		for k, v := range dtypes {
			if v == w.DType {
				dt = k
			}
		}
		file = append(file, paramRecord(dt, w.Shape, lod, data)...)
		want[w.Name] = data
	}
	if err := os.WriteFile(filepath.Join(dir, "inference.pdiparams"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, want
}

// TestParamsLocated writes a .pdiparams for each corpus program and checks
// that every weight is located on exactly its bytes.
func TestParamsLocated(t *testing.T) {
	for _, rel := range []string{"paddle/cnn/conv_classifier.pdmodel", "paddle/control/cond_and_while_blocks.pdmodel"} {
		path, want := withParams(t, rel)
		m, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		params, _ := os.ReadFile(paramsPath(path))
		if len(m.Warnings) > 0 || len(m.Files) != 2 {
			t.Errorf("%s: warnings %v, files %v", rel, m.Warnings, m.Files)
		}
		for _, w := range m.Graph.Initializers {
			l := w.Location
			if l == nil || l.File != paramsPath(path) || l.Encoding != model.EncRaw {
				t.Errorf("%s: %s at %+v", rel, w.Name, l)
				continue
			}
			if !bytes.Equal(params[l.Offset:l.Offset+l.Length], want[w.Name]) {
				t.Errorf("%s: %s: located bytes differ", rel, w.Name)
			}
		}
	}
}

// TestParamsHostile damages the .pdiparams file (truncated, a record that
// declares other dims, huge lengths): the program still opens, with a
// warning, and no weight is placed outside the file.
func TestParamsHostile(t *testing.T) {
	path, _ := withParams(t, "paddle/cnn/conv_classifier.pdmodel")
	pp := paramsPath(path)
	good, _ := os.ReadFile(pp)
	huge := binary.LittleEndian.AppendUint32(nil, 0)
	huge = binary.LittleEndian.AppendUint64(huge, 1)
	huge = binary.LittleEndian.AppendUint64(huge, 1<<62)
	descHuge := append(binary.LittleEndian.AppendUint32(nil, 0), make([]byte, 8)...)
	descHuge = append(descHuge, binary.LittleEndian.AppendUint32(append([]byte{}, 0, 0, 0, 0), 0xffffff00)...)
	for name, data := range map[string][]byte{
		"truncated":      good[:len(good)/2],
		"empty":          nil,
		"other dims":     paramRecord(5, []int64{1, 2, 3}, nil, make([]byte, 24)),
		"huge lod level": huge,
		"huge lod count": append(binary.LittleEndian.AppendUint32(nil, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
		"huge desc size": descHuge,
		"dims overflow":  paramRecord(5, []int64{1 << 40, 1 << 40}, nil, nil),
		"negative dims":  paramRecord(5, []int64{-8, 3, 3, 3}, nil, nil),
		"unknown dtype":  paramRecord(99, []int64{8, 3, 3, 3}, nil, nil),
	} {
		if err := os.WriteFile(pp, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Open(t.Context(), path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(m.Warnings) == 0 {
			t.Errorf("%s: no warning", name)
		}
		for _, w := range m.Graph.Initializers {
			if l := w.Location; l != nil && (l.Offset < 0 || l.Offset+l.Length > int64(len(data))) {
				t.Errorf("%s: %s at %+v, outside the %d-byte file", name, w.Name, l, len(data))
			}
		}
	}
}

// TestSeparateParams: beside a __model__ program, each weight may live in
// its own file named after the variable.
func TestSeparateParams(t *testing.T) {
	prog, err := os.ReadFile(filepath.Join(testenv.Corpus(t), "paddle/cnn/conv_classifier.pdmodel"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "__model__")
	if err := os.WriteFile(path, prog, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range m.Graph.Initializers[1:] {
		n, _ := model.NumElements(w.Shape)
		rec := paramRecord(5, w.Shape, nil, bytes.Repeat([]byte{7}, int(4*n)))
		if err := os.WriteFile(filepath.Join(dir, w.Name), rec, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	ws := m.Graph.Initializers
	if ws[0].Location != nil || len(m.Warnings) != 1 {
		t.Errorf("weight without a file: %+v, warnings %v", ws[0].Location, m.Warnings)
	}
	for _, w := range ws[1:] {
		if l := w.Location; l == nil || l.File != filepath.Join(dir, w.Name) || l.Encoding != model.EncRaw {
			t.Errorf("%s at %+v", w.Name, l)
		}
	}
}
