package tfjs

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/modelpeek/modelpeek/model"
)

// group is one weightsManifest entry: shard files holding its weights
// back to back, in order.
type group struct {
	Paths   []string      `json:"paths"`
	Weights []weightEntry `json:"weights"`
}

// weightEntry describes one weight of a group.
type weightEntry struct {
	Name         string        `json:"name"`
	Shape        []int64       `json:"shape"`
	DType        string        `json:"dtype"`
	Quantization *quantization `json:"quantization"`
}

// quantization is tfjs weight quantisation: the shard holds values of
// DType, dequantised as q*scale + min (affine) or read as float16.
type quantization struct {
	DType string   `json:"dtype"`
	Min   *float64 `json:"min"`
	Scale *float64 `json:"scale"`
}

// defaultShardSize is the converter's default shard size, assumed for a
// missing shard when no sibling shows the size used.
const defaultShardSize = 4 << 20

// weights is the weights manifest resolved against the shard files.
type weights struct {
	tensors []*model.Tensor
	byName  map[string]*model.Tensor
	// paths are every shard path as stored, missing those not on disk.
	paths, missing []string
	// present are the absolute paths of the shards found.
	present  []string
	warnings []string
	// stringBudget is how many more string length prefixes may be read.
	stringBudget int64
}

// shard is one shard file of a group.
type shard struct {
	abs     string
	start   int64 // offset of the shard in the group's byte stream
	size    int64 // -1: unknown (the last shard, missing)
	missing bool
}

// layoutWeights lists every weight of the manifest with its location in
// the shards of its group.
func layoutWeights(dir string, groups []group) *weights {
	w := &weights{byName: map[string]*model.Tensor{}, paths: []string{}, missing: []string{}, stringBudget: maxStrings}
	for _, g := range groups {
		shards := w.statShards(dir, g.Paths)
		w.placeGroup(g, shards)
	}
	return w
}

// statShards finds a group's shard files and their sizes. A missing shard
// is assumed to have the size of its present siblings (the converter cuts
// equal shards), the last one unbounded.
func (w *weights) statShards(dir string, paths []string) []shard {
	shards := make([]shard, len(paths))
	guess := int64(0)
	for i, p := range paths {
		w.paths = append(w.paths, p)
		shards[i] = shard{abs: filepath.Join(dir, filepath.FromSlash(p)), size: -1}
		if !filepath.IsLocal(filepath.FromSlash(p)) {
			w.warnings = append(w.warnings, fmt.Sprintf("weight shard %q is outside the model's folder: not read", p))
			shards[i].missing = true
			w.missing = append(w.missing, p)
			continue
		}
		st, err := os.Stat(shards[i].abs)
		if err != nil || !st.Mode().IsRegular() {
			shards[i].missing = true
			w.missing = append(w.missing, p)
			w.warnings = append(w.warnings, fmt.Sprintf("weight shard %s is missing: its weights are listed without data", p))
			continue
		}
		shards[i].size = st.Size()
		guess = max(guess, st.Size())
		w.present = append(w.present, shards[i].abs)
	}
	if guess == 0 {
		guess = defaultShardSize
	}
	start := int64(0)
	for i := range shards {
		shards[i].start = start
		if shards[i].size < 0 && i < len(shards)-1 {
			shards[i].size = guess
		}
		if shards[i].size >= 0 {
			start += shards[i].size
		}
	}
	return shards
}

// placeGroup lays the group's weights out back to back from offset 0.
// After a weight of unknown byte size (strings) the offsets are unknown.
func (w *weights) placeGroup(g group, shards []shard) {
	off, known := int64(0), true
	for _, e := range g.Weights {
		t := &model.Tensor{Name: e.Name, DType: model.DType(e.DType), Shape: e.Shape}
		if t.Shape == nil {
			t.Shape = []int64{}
		}
		n, encoding, ok := storedSize(e)
		if !ok && e.DType == "string" && e.Quantization == nil && known {
			n, ok = stringsSize(shards, off, e.Shape, &w.stringBudget)
			encoding = model.EncOpaque
		}
		if q := e.Quantization; q != nil {
			t.Quant = quantOf(q)
		}
		if known && ok {
			t.Location, t.Doc = locate(shards, off, n, encoding)
			off += n
		} else {
			known = false
			t.Doc = "byte offset unknown (follows a weight of variable size)"
		}
		w.tensors = append(w.tensors, t)
		if _, dup := w.byName[t.Name]; !dup {
			w.byName[t.Name] = t
		}
	}
}

// storedSize is the byte size of a weight in its shard: elements times the
// stored (quantised, when quantised) element size.
func storedSize(e weightEntry) (int64, model.Encoding, bool) {
	dt, enc := model.DType(e.DType), model.EncRaw
	if e.Quantization != nil {
		dt, enc = model.DType(e.Quantization.DType), model.EncOpaque
	}
	size, ok := model.DTypeSize(dt)
	if !ok {
		return 0, "", false
	}
	n, ok := model.NumElements(e.Shape)
	if !ok || n > (1<<62)/int64(size) {
		return 0, "", false
	}
	return n * int64(size), enc, true
}

// locate finds the shard holding the bytes [off, off+n) of a group. A
// weight split over shards is located by its first part, with a note.
func locate(shards []shard, off, n int64, enc model.Encoding) (*model.Location, string) {
	for i, s := range shards {
		end := s.start + s.size
		if s.size >= 0 && off >= end && i < len(shards)-1 {
			continue
		}
		loc := &model.Location{File: s.abs, Offset: off - s.start, Length: n, Encoding: enc, Missing: s.missing}
		if s.size >= 0 && off+n > end {
			loc.Length = end - off
			return loc, fmt.Sprintf("split over shards: the first %d of its %d bytes are here, the rest in the next shard(s)", loc.Length, n)
		}
		return loc, ""
	}
	return nil, "no shard holds this weight"
}

// quantOf describes tfjs quantisation.
func quantOf(q *quantization) *model.Quantization {
	out := &model.Quantization{Scheme: "stored as " + q.DType}
	if q.Scale != nil && q.Min != nil {
		out.Scale, out.Min = []float64{*q.Scale}, []float64{*q.Min}
		out.Scheme = fmt.Sprintf("affine %s: value = q*scale + min", q.DType)
	}
	return out
}
