package ncnn

import (
	"fmt"
	"strconv"
)

// magic opens every ncnn .param, text or binary.
const magic = 7767517

// maxParamID bounds parameter ids (NCNN_MAX_PARAM_COUNT).
const maxParamID = 32

// net is a parsed .param: the header and the layers, blobs by index.
type net struct {
	layerCount, blobCount int
	binary                bool
	layers                []layer
	// blobNames names blobs by index: the text names, or the index as a
	// decimal string for a binary .param.
	blobNames []string
}

// layer is one layer record.
type layer struct {
	typ, name     string
	bottoms, tops []int
	params        []param
}

// param is one key=value entry of a layer's parameter dictionary.
type param struct {
	id       int
	array    bool
	isFloat  bool
	isString bool
	ints     []int64
	floats   []float64
	str      string
}

// intValue returns the parameter's first value as an int.
func (p param) intValue() int64 {
	switch {
	case p.isFloat && len(p.floats) > 0:
		return int64(p.floats[0])
	case len(p.ints) > 0:
		return p.ints[0]
	}
	return 0
}

// get returns the int value of parameter id, or def when absent.
func (l *layer) get(id int, def int64) int64 {
	for _, p := range l.params {
		if p.id == id && !p.isString {
			return p.intValue()
		}
	}
	return def
}

// checkHeader validates the header counts.
func checkHeader(m, layerCount, blobCount int) error {
	if m != magic {
		return fmt.Errorf("bad ncnn magic %d (want %d)", m, magic)
	}
	if layerCount <= 0 || blobCount <= 0 {
		return fmt.Errorf("invalid layer count %d or blob count %d", layerCount, blobCount)
	}
	return nil
}

// outputs returns the blobs produced by a layer and consumed by none, in
// production order.
func (n *net) outputs() []int {
	consumed := make(map[int]bool)
	for _, l := range n.layers {
		for _, b := range l.bottoms {
			consumed[b] = true
		}
	}
	var out []int
	listed := make(map[int]bool)
	for _, l := range n.layers {
		for _, t := range l.tops {
			if !consumed[t] && !listed[t] {
				listed[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// blobName names blob index i.
func (n *net) blobName(i int) string {
	if i >= 0 && i < len(n.blobNames) && n.blobNames[i] != "" {
		return n.blobNames[i]
	}
	return strconv.Itoa(i)
}
