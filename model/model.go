// Package model is the graph IR that every model format decodes into, and the
// registry that detects a file's format and opens it.
//
// The IR describes structure only. Weight bytes are never held in memory: a
// Tensor records where its bytes live (file, offset, length, encoding), and
// ReadPreview reads a bounded number of values on demand.
package model

import "strconv"

// DType is an element type in numpy spelling: "float32", "float16", "bfloat16",
// "int8", "uint64", "bool", "complex64", "string", "float8_e4m3fn", "int4",
// and so on. Formats with their own block-quantised types (GGUF "q4_k",
// "iq2_xs", ...) use the format's lower-case name. An empty DType is unknown.
type DType string

// Model is a decoded model file.
type Model struct {
	// Format is the registry name of the decoder: "onnx", "tflite", "gguf",
	// "safetensors", "numpy", "pytorch", "keras", ...
	Format string `json:"format"`
	// Producer is who wrote the file, with a version when known
	// ("pytorch 2.1.0", "TOCO Converted.").
	Producer string `json:"producer,omitempty"`
	// Version is the file format version (ONNX IR version, GGUF version, ...).
	Version     string `json:"version,omitempty"`
	Description string `json:"description,omitempty"`
	// Opsets lists operator-set imports (ONNX) or equivalent.
	Opsets []Opset `json:"opsets,omitempty"`
	// Metadata holds free-form string key/values (ONNX metadata_props,
	// safetensors __metadata__, GGUF key/values rendered as text, ...).
	Metadata map[string]string `json:"metadata,omitempty"`
	// Facts are structured metadata for `inspect --json` (lists, numbers,
	// nested objects), merged into Summary.Metadata; a key here wins over
	// the same key in Metadata.
	Facts map[string]any `json:"facts,omitempty"`
	// FunctionsInNodeCount makes Summary.Nodes count the bodies in
	// Functions too: formats whose node count is defined over a function
	// library (TensorFlow, TensorFlow.js graph models) set it.
	FunctionsInNodeCount bool `json:"-"`
	// OpsIncludeSubgraphs makes the summary's op histogram count the ops
	// of node subgraphs too, for formats whose facts define it so (MLIR,
	// whose regions are node subgraphs).
	OpsIncludeSubgraphs bool `json:"-"`
	// Properties are extra facts for the model panel, in display order
	// (GGUF architecture and context length, quantisation mix, ...).
	Properties []Property `json:"properties,omitempty"`
	// Graph is the main graph. Weight-only formats (safetensors, numpy, GGUF)
	// still provide one: nodes grouped by name hierarchy.
	Graph *Graph `json:"graph"`
	// Functions are model-local functions (ONNX) with their bodies, and
	// other entry graphs (TFLite signatures, ExecuTorch methods, TensorFlow
	// function libraries).
	Functions []*Graph `json:"functions,omitempty"`
	// Signatures are named entry points (TFLite and TensorFlow
	// SignatureDefs): which graph each runs, with its inputs and outputs
	// by signature name.
	Signatures []Signature `json:"signatures,omitempty"`
	// Files lists every file the model is made of, absolute paths, the
	// opened file first: external data, shards, index files, splits.
	// The watcher watches all of them.
	Files []string `json:"files,omitempty"`
	// Warnings are non-fatal problems found while decoding (a missing
	// external data file, an unknown field), in words a user understands.
	Warnings []string `json:"warnings,omitempty"`
}

// Signature is a named entry point of a model.
type Signature struct {
	Key string `json:"key"`
	// Subgraph is the format's own index of the graph the signature runs
	// (the TFLite subgraph index), -1 when the format has none.
	Subgraph int `json:"subgraph"`
	// Graph locates that graph in the Model: "" for the main graph, "f3"
	// for Functions[3] (the viewer's graph path syntax).
	Graph   string           `json:"graph"`
	Inputs  []SignatureValue `json:"inputs"`
	Outputs []SignatureValue `json:"outputs"`
}

// SignatureValue maps a signature's name for an input or output to the
// graph value it stands for.
type SignatureValue struct {
	Name   string `json:"name"`
	Tensor string `json:"tensor"`
	DType  DType  `json:"dtype"`
	Shape  Shape  `json:"shape"`
}

// FunctionPath is the graph path of Functions[i] ("f3").
func FunctionPath(i int) string { return "f" + strconv.Itoa(i) }

// Opset is one operator-set import.
type Opset struct {
	Domain  string `json:"domain"`
	Version int64  `json:"version"`
}

// Property is a named fact shown in the model panel.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Graph is a dataflow graph: nodes connected by named values.
type Graph struct {
	Name string `json:"name,omitempty"`
	Doc  string `json:"doc,omitempty"`
	// Inputs and Outputs are the graph's declared inputs and outputs, as
	// stored (old ONNX exporters list initializers among the inputs).
	Inputs  []*Value `json:"inputs"`
	Outputs []*Value `json:"outputs"`
	// ValueInfo describes intermediate values when the file records them.
	ValueInfo []*Value `json:"valueInfo,omitempty"`
	Nodes     []*Node  `json:"nodes"`
	// Initializers are the weights and constants owned by this graph.
	Initializers []*Tensor `json:"initializers,omitempty"`
	// Numbers, when a decoder sets it, numbers the graph's value names as
	// the decoder met them. Whoever changes a name or a list it numbers
	// must drop it.
	Numbers *ValueNumbers `json:"-"`
}

// ValueNumbers numbers value names for a graph's consumers to index its
// values by number instead of by a map of names: equal names have equal
// numbers, different names different ones, each in [0, Count); -1 stands
// for the empty name. The ONNX decoder keeps a table of every name it
// met and sets it, at no cost; a 500,000-node graph has 785,000 names.
type ValueNumbers struct {
	Count int32
	// Inputs, Initializers and Outputs are the numbers of the names of
	// the graph's lists of those names, entry by entry.
	Inputs, Initializers, Outputs []int32
	// Nodes are the numbers of each node's inputs, then outputs, node
	// after node.
	Nodes []int32
}

// Valid reports whether n numbers graph g: every list as long as g's,
// every number in range, -1 exactly for the empty names. It costs a pass
// over the names, without hashing them.
func (n *ValueNumbers) Valid(g *Graph) bool {
	if n == nil || g == nil {
		return false
	}
	ok := func(nums []int32, at int, name string) bool {
		x := nums[at]
		return x < n.Count && (x < 0) == (name == "")
	}
	if len(n.Inputs) != len(g.Inputs) || len(n.Outputs) != len(g.Outputs) || len(n.Initializers) != len(g.Initializers) {
		return false
	}
	for _, l := range [2]struct {
		nums []int32
		vs   []*Value
	}{{n.Inputs, g.Inputs}, {n.Outputs, g.Outputs}} {
		for k, v := range l.vs {
			if v == nil || !ok(l.nums, k, v.Name) {
				return false
			}
		}
	}
	for k, t := range g.Initializers {
		if t == nil || !ok(n.Initializers, k, t.Name) {
			return false
		}
	}
	at := 0
	for _, nd := range g.Nodes {
		if nd == nil || at+len(nd.Inputs)+len(nd.Outputs) > len(n.Nodes) {
			return false
		}
		for _, list := range [2][]string{nd.Inputs, nd.Outputs} {
			for _, name := range list {
				if !ok(n.Nodes, at, name) {
					return false
				}
				at++
			}
		}
	}
	return at == len(n.Nodes)
}

// Node is one operation.
type Node struct {
	Name   string `json:"name,omitempty"`
	OpType string `json:"op"`
	// Domain is the operator domain; "" means the format's default domain
	// ("ai.onnx" is normalised to "").
	Domain string `json:"domain,omitempty"`
	// Inputs and Outputs name values; "" marks an omitted optional input.
	Inputs  []string    `json:"inputs"`
	Outputs []string    `json:"outputs"`
	Attrs   []Attribute `json:"attrs,omitempty"`
	Doc     string      `json:"doc,omitempty"`
	// Category is a display hint ("layer", "activation", "normalization",
	// "pooling", "shape", "control", "quantization", "custom", ...); the
	// viewer derives one from OpType when empty.
	Category string `json:"category,omitempty"`
	// Container marks a node that holds a module's weights and performs no
	// operation (the view of a weight-only file): Summarize leaves it out
	// of the op histogram.
	Container bool `json:"container,omitempty"`
}

// Subgraphs returns the graphs held by the node's attributes, in order
// (If branches, Loop and Scan bodies, TFLite WHILE cond/body).
func (n *Node) Subgraphs() []*Graph {
	var gs []*Graph
	for i := range n.Attrs {
		gs = append(gs, n.Attrs[i].Graphs...)
	}
	return gs
}

// AttrType is the kind of value an attribute holds.
type AttrType string

// Attribute types. The list forms hold several values of the scalar type.
const (
	AttrInt     AttrType = "int"
	AttrFloat   AttrType = "float"
	AttrString  AttrType = "string"
	AttrInts    AttrType = "ints"
	AttrFloats  AttrType = "floats"
	AttrStrings AttrType = "strings"
	AttrTensor  AttrType = "tensor"
	AttrTensors AttrType = "tensors"
	AttrGraph   AttrType = "graph"
	AttrGraphs  AttrType = "graphs"
	AttrType_   AttrType = "type"
	AttrTypes   AttrType = "types"
	AttrBool    AttrType = "bool"
	AttrRef     AttrType = "ref" // a reference to a parent function attribute
	AttrOther   AttrType = "other"
)

// Attribute is a typed node attribute. Exactly the fields matching Type are
// set. Values that are too large to show (long lists) are truncated by the
// decoder, which then sets Truncated and Count.
type Attribute struct {
	Name    string    `json:"name"`
	Type    AttrType  `json:"type"`
	Int     int64     `json:"i,omitempty"`
	Float   float64   `json:"f,omitempty"`
	String  string    `json:"s,omitempty"`
	Ints    []int64   `json:"ints,omitempty"`
	Floats  []float64 `json:"floats,omitempty"`
	Strings []string  `json:"strings,omitempty"`
	Tensors []*Tensor `json:"tensors,omitempty"`
	Graphs  []*Graph  `json:"graphs,omitempty"`
	Types   []*Type   `json:"types,omitempty"`
	// RefName names the parent function attribute for AttrRef.
	RefName   string `json:"ref,omitempty"`
	Doc       string `json:"doc,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	Count     int64  `json:"count,omitempty"`
}

// Value is a named value flowing between nodes.
type Value struct {
	Name string `json:"name"`
	Type *Type  `json:"type,omitempty"`
	Doc  string `json:"doc,omitempty"`
	// Inferred marks a type modelpeek inferred (shape inference) rather
	// than read from the file.
	Inferred bool `json:"inferred,omitempty"`
}

// StoredValueInfo counts the ValueInfo entries read from the file (not
// added by inference).
func (g *Graph) StoredValueInfo() int {
	n := 0
	for _, v := range g.ValueInfo {
		if v != nil && !v.Inferred {
			n++
		}
	}
	return n
}

// TypeKind says what kind of value a Type describes.
type TypeKind string

// Type kinds.
const (
	KindTensor       TypeKind = "tensor"
	KindSparseTensor TypeKind = "sparse_tensor"
	KindSequence     TypeKind = "sequence"
	KindMap          TypeKind = "map"
	KindOptional     TypeKind = "optional"
	KindOpaque       TypeKind = "opaque"
)

// Type is the type of a Value. Tensor types have DType and Shape; sequence
// and optional types have Elem; maps have Key and Elem.
type Type struct {
	Kind  TypeKind `json:"kind"`
	DType DType    `json:"dtype,omitempty"`
	// Shape is nil when the type carries no shape at all (rank unknown).
	Shape      Shape  `json:"shape"`
	Elem       *Type  `json:"elem,omitempty"`
	Key        DType  `json:"key,omitempty"`
	Denotation string `json:"denotation,omitempty"`
}

// Shape is a list of dimensions. A nil Shape means unknown rank; an empty,
// non-nil Shape is a scalar.
type Shape []Dim

// Dim is one dimension: a known size, a symbolic name, or unknown.
type Dim struct {
	Size  int64  // valid when Known
	Param string // symbolic name, when not Known
	Known bool
}

// IntDim returns a known dimension.
func IntDim(n int64) Dim { return Dim{Size: n, Known: true} }

// Tensor is a weight or constant: its type, shape, and where its bytes live.
type Tensor struct {
	Name  string  `json:"name"`
	DType DType   `json:"dtype"`
	Shape []int64 `json:"shape"`
	// Location says where the bytes are; nil when the tensor has no data
	// (an ONNX graph input without initializer, a segment-less tensor).
	Location *Location `json:"location,omitempty"`
	// Quant describes quantisation parameters when the format has them.
	Quant *Quantization `json:"quant,omitempty"`
	Doc   string        `json:"doc,omitempty"`
	// Sparse marks a sparse tensor (ONNX sparse initializer, TFLite sparsity).
	Sparse bool `json:"sparse,omitempty"`
	// Extra carries format-specific facts (stride and storage offset for
	// PyTorch, shape_signature for TFLite), in display order.
	Extra []Property `json:"extra,omitempty"`
	// Values holds every value of a tiny tensor (at most MaxInlineValues
	// elements, row-major) when they have been read (InlineValues), so
	// that a viewer can show "B = 0" or "axes = [1, 2]".
	Values []float64 `json:"values,omitempty"`
}

// Encoding names how a tensor's bytes are laid out at its Location.
type Encoding string

// Encodings understood by ReadPreview.
const (
	// EncRaw is the dtype's natural fixed-width little-endian layout.
	EncRaw Encoding = "raw"
	// EncRawBigEndian is the natural layout, big-endian.
	EncRawBigEndian Encoding = "raw-be"
	// EncVarint is a packed protobuf varint run (ONNX int32_data, int64_data,
	// uint64_data), values sign-extended as int64.
	EncVarint Encoding = "varint"
	// EncPackedFloat32 / EncPackedFloat64 are packed protobuf fixed32/fixed64
	// runs (ONNX float_data / double_data) holding float values.
	EncPackedFloat32 Encoding = "packed-f32"
	EncPackedFloat64 Encoding = "packed-f64"
	// EncOpaque is data that cannot be previewed (block-quantised, strings,
	// compressed in a zip entry, ...).
	EncOpaque Encoding = "opaque"
)

// Location is where a tensor's bytes live, never the bytes themselves.
type Location struct {
	// File is the absolute path of the file holding the bytes.
	File     string   `json:"file"`
	Offset   int64    `json:"offset"`
	Length   int64    `json:"length"`
	Encoding Encoding `json:"encoding"`
	// Missing is set when the file does not exist (external data not shipped).
	Missing bool `json:"missing,omitempty"`
}

// Quantization holds per-tensor or per-channel quantisation parameters.
type Quantization struct {
	Scale     []float64 `json:"scale,omitempty"`
	ZeroPoint []int64   `json:"zeroPoint,omitempty"`
	Axis      int64     `json:"axis,omitempty"`
	Min       []float64 `json:"min,omitempty"`
	Max       []float64 `json:"max,omitempty"`
	// Scheme is a free-form description when the parameters are not simple
	// affine ("ggml q4_k", "per-channel affine", ...).
	Scheme string `json:"scheme,omitempty"`
}

// NumElements returns the product of the shape, and false when it overflows
// int64 or a dimension is negative.
func NumElements(shape []int64) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && n > (1<<63-1)/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}
