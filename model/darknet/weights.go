package darknet

import (
	"encoding/binary"
	"fmt"
	"os"

	"github.com/modelpeek/modelpeek/model"
)

// locateWeights reads the .weights header (major, minor, revision, seen)
// and places every layer's float32 arrays in darknet's load order.
func locateWeights(m *model.Model, layers []built, path string) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		if !os.IsNotExist(err) {
			m.Warnings = append(m.Warnings, "weights file: "+err.Error())
		}
		return
	}
	defer f.Close()
	var hdr [20]byte
	n, _ := f.ReadAt(hdr[:], 0)
	if n < 16 {
		m.Warnings = append(m.Warnings, "the .weights file is too short for its header")
		return
	}
	major := int32(binary.LittleEndian.Uint32(hdr[0:]))
	minor := int32(binary.LittleEndian.Uint32(hdr[4:]))
	rev := int32(binary.LittleEndian.Uint32(hdr[8:]))
	off := int64(16)
	seen := uint64(binary.LittleEndian.Uint32(hdr[12:]))
	if major*10+minor >= 2 && major < 1000 && minor < 1000 {
		if n < 20 {
			m.Warnings = append(m.Warnings, "the .weights file is too short for its header")
			return
		}
		seen, off = binary.LittleEndian.Uint64(hdr[12:]), 20
	}
	m.Files = append(m.Files, path)
	m.Facts["weights_version"] = fmt.Sprintf("%d.%d.%d", major, minor, rev)
	m.Facts["seen"] = seen
	placeAll(m, layers, path, off, size)
}

// placeAll appends the layers' weights as initializers from offset off.
func placeAll(m *model.Model, layers []built, path string, off, size int64) {
	g := m.Graph
	for i, b := range layers {
		if b.unknownWeights {
			m.Warnings = append(m.Warnings, fmt.Sprintf("weights of layer %s and later layers are not located: its weight layout is not known here", b.name))
			return
		}
		for _, w := range b.weights {
			count, ok := model.NumElements(w.shape)
			if !ok || count > size/4 || off+count*4 > size {
				m.Warnings = append(m.Warnings, fmt.Sprintf("the .weights file (%d bytes) ends before %s.%s", size, b.name, w.suffix))
				return
			}
			t := &model.Tensor{Name: b.name + "." + w.suffix, DType: "float32", Shape: w.shape,
				Location: &model.Location{File: path, Offset: off, Length: count * 4, Encoding: model.EncRaw}}
			g.Initializers = append(g.Initializers, t)
			g.Nodes[i].Inputs = append(g.Nodes[i].Inputs, t.Name)
			off += count * 4
		}
	}
	if off != size {
		m.Warnings = append(m.Warnings, fmt.Sprintf("the .weights file has %d bytes, the layers account for %d", size, off))
	}
}
