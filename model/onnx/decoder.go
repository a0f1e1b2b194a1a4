package onnx

import (
	"context"
	"fmt"

	"github.com/modelpeek/modelpeek/model"
)

// maxDepth bounds the nesting of messages (graphs in attributes, types in
// sequence types, ...). Real models nest a few levels; hostile files can
// nest millions.
const maxDepth = 100

// The structure budget bounds the estimated memory of the decoded IR of
// one model, so that a file of tiny repeated entries (an empty node is two
// bytes) cannot inflate into gigabytes, while a real graph of any size
// opens: the budget grows with the file, memoryFloor + memoryPerByte × its
// size, up to maxMemory. A real node takes one to two hundred bytes on
// disk and a few hundred estimated bytes decoded (about 3 estimated bytes
// per byte of file); a hostile file of two-byte empty nodes would inflate
// a hundredfold, and trips the budget after a few MiB of its bytes.
const (
	memoryPerByte = 32
	memoryFloor   = 16 << 20
	// maxMemory is what no file gets beyond: about 4 million nodes of a
	// real model (500,000 take about 300 MiB).
	maxMemory = 2 << 30
)

// memoryLimit is the structure budget of a file of size bytes.
func memoryLimit(size int64) int64 {
	if size >= (maxMemory-memoryFloor)/memoryPerByte {
		return maxMemory
	}
	return memoryFloor + memoryPerByte*max(size, 0)
}

// Estimated memory of decoded objects, in bytes, for the maxMemory budget.
const (
	costNode   = 192
	costAttr   = 256
	costValue  = 64
	costType   = 112
	costDim    = 32
	costTensor = 256
	costString = 16
)

// maxListKeep is how many values of a list attribute are kept.
const maxListKeep = 1024

// decoder holds the state of one decode.
type decoder struct {
	ctx      context.Context
	src      *source
	path     string // absolute path of the file being decoded
	depth    int
	memory   int64 // estimated bytes decoded so far
	limit    int64 // budget for memory
	steps    int
	ext      *externals
	warnings []string
	warned   map[string]bool
	slabs
	// strBuf holds a copy of the small message being decoded, starting at
	// file offset strBase; strings inside it are cut from it instead of
	// being allocated one by one.
	strBuf  string
	strBase int64
	// names holds one copy of each value name seen (names.go);
	// nameSlots is shareNodeNames' scratch.
	names     map[string]nameRef
	nameCount int32
	nameSlots []*string
	// nodeIDs are the numbers of the last node's names, slotAt
	// shareNodeNames' scratch.
	nodeIDs []int32
	slotAt  []int
	// attrKey is the bytes of the attributes of the nodes being decoded
	// (attrshare.go), attrKeyOK whether the innermost one's key is whole;
	// attrLists the lists shared.
	attrKey   []byte
	attrKeyOK bool
	attrLists map[string][]model.Attribute
	// types holds the value types decoded, by the bytes of their
	// message (sharedType).
	types map[string]*model.Type
}

func newDecoder(ctx context.Context, src *source, path string) *decoder {
	return &decoder{ctx: ctx, src: src, path: path, limit: memoryLimit(src.size), warned: map[string]bool{}}
}

// charge accounts for cost estimated bytes of decoded objects, and checks
// for cancellation now and then.
func (d *decoder) charge(cost int) error {
	d.memory += int64(cost)
	if d.memory > d.limit {
		return fmt.Errorf("the model's structure would take more than %d MiB of memory to show (%d bytes of file describe millions of nodes or names); it is too large", d.limit>>20, d.src.size)
	}
	d.steps++
	if d.steps >= 4096 {
		d.steps = 0
		if err := d.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// enter increases the nesting depth; leave must follow.
func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return errTooDeep
	}
	return nil
}

func (d *decoder) leave() { d.depth-- }

// errTooDeep is returned by enter. Callers that add context to errors
// leave it bare, so the message does not repeat the path of every level.
var errTooDeep = fmt.Errorf("the model nests graphs or types more than %d levels deep", maxDepth)

// maxWarnings bounds the warnings of one model.
const maxWarnings = 50

// warn records a warning once.
func (d *decoder) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if d.warned[msg] {
		return
	}
	d.warned[msg] = true
	switch {
	case len(d.warnings) < maxWarnings:
		d.warnings = append(d.warnings, msg)
	case len(d.warnings) == maxWarnings:
		d.warnings = append(d.warnings, "more problems of the same kind were not listed")
	}
}

// decodeFile decodes the file at path (absolute) as a ModelProto or, when
// asTensor, as a standalone TensorProto.
func decodeFile(ctx context.Context, path string, asTensor bool) (*model.Model, error) {
	return decodeFileLimit(ctx, path, asTensor, wholeFileLimit)
}

// decodeFileLimit is decodeFile with a chosen size up to which the file is
// read whole (tests use 0 to exercise the window on small files).
func decodeFileLimit(ctx context.Context, path string, asTensor bool, wholeLimit int64) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := newSource(f, size, wholeLimit)
	if err != nil {
		return nil, err
	}
	d := newDecoder(ctx, src, path)
	defer d.closeExternals()
	if asTensor {
		return d.tensorFile()
	}
	return d.modelProto()
}

// tensorFile decodes a standalone TensorProto as a model holding one
// initializer and no nodes.
func (d *decoder) tensorFile() (*model.Model, error) {
	t, err := d.tensor(0, d.src.size)
	if err != nil {
		return nil, err
	}
	if err := consistentTensor(t); err != nil {
		return nil, fmt.Errorf("not an ONNX tensor file: %w", err)
	}
	g := emptyGraph()
	g.Name = t.Name
	g.Initializers = []*model.Tensor{t}
	m := &model.Model{
		Format:     "onnx",
		Graph:      g,
		Properties: []model.Property{{Name: "content", Value: "a single tensor (TensorProto)"}},
	}
	d.finish(m)
	return m, nil
}

// consistentTensor checks that a standalone tensor's data fits its shape.
// Protobuf has no magic number, and other ONNX messages (SequenceProto,
// OptionalProto) parse as a TensorProto whose name reads as dimensions.
func consistentTensor(t *model.Tensor) error {
	count, ok := model.NumElements(t.Shape)
	if !ok {
		return fmt.Errorf("shape %v has no valid element count", t.Shape)
	}
	loc := t.Location
	if loc == nil {
		if count > 0 {
			return fmt.Errorf("shape %v has %d elements but the file holds no data", t.Shape, count)
		}
		return nil
	}
	var width int64
	switch loc.Encoding {
	case model.EncRaw:
		if w, ok := model.DTypeSize(t.DType); ok {
			width = int64(w)
		}
	case model.EncPackedFloat32:
		width = 4
		if t.DType == "complex64" {
			width = 8
		}
	case model.EncPackedFloat64:
		width = 8
		if t.DType == "complex128" {
			width = 16
		}
	}
	if loc.Encoding == model.EncVarint {
		// Each value takes 1 to 10 bytes; sub-byte types pack 2 or 4 per value.
		if count/4 > loc.Length || loc.Length/10 > count {
			return fmt.Errorf("shape %v needs %d elements but the data holds %d bytes of integers", t.Shape, count, loc.Length)
		}
	}
	if width > 0 && !loc.Missing && (count > loc.Length/width || count*width != loc.Length) {
		return fmt.Errorf("shape %v of %s needs %d elements but the data holds %d bytes", t.Shape, t.DType, count, loc.Length)
	}
	return nil
}

func emptyGraph() *model.Graph {
	return &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
}

// finish sets the fields every decode ends with.
func (d *decoder) finish(m *model.Model) {
	m.Files = append([]string{d.path}, d.externalFiles()...)
	m.Warnings = d.warnings
}
