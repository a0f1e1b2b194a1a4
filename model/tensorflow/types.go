package tensorflow

import (
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// The decoder reads binary and text files into these structures first
// (the subset of TensorFlow's protos it shows), then builds the IR from
// them, so both encodings share one graph builder.

// savedModel is a SavedModel (saved_model.proto).
type savedModel struct {
	schemaVersion int64
	metaGraphs    []*metaGraph
}

// metaGraph is a MetaGraphDef (meta_graph.proto).
type metaGraph struct {
	tags        []string
	tfVersion   string
	graph       *graphDef
	signatures  []*signature
	objectNodes int64
	hasObjGraph bool
}

// signature is one SignatureDef with its map key.
type signature struct {
	key             string
	method          string
	inputs, outputs []*sigTensor
}

// sigTensor is one TensorInfo of a SignatureDef, with its map key.
type sigTensor struct {
	key, name string
	dtype     int64
	shape     shapeInfo
}

// graphDef is a GraphDef (graph.proto).
type graphDef struct {
	nodes    []*nodeDef
	funcs    []*funcDef
	producer int64
	hasVers  bool
}

// nodeDef is a NodeDef (node_def.proto).
type nodeDef struct {
	name, op, device string
	inputs           []string
	attrs            []*attr
}

// funcDef is a FunctionDef (function.proto) with its OpDef signature.
type funcDef struct {
	name            string
	inputs, outputs []argDef
	nodes           []*nodeDef
	ret             map[string]string
}

// argDef is an OpDef.ArgDef.
type argDef struct {
	name  string
	dtype int64
}

// attrKind says which member of an AttrValue is set.
type attrKind int

const (
	attrNone attrKind = iota
	attrS
	attrI
	attrF
	attrB
	attrType
	attrShape
	attrTensor
	attrList
	attrFunc
	attrPlaceholder
)

// attr is one entry of a NodeDef's attr map.
type attr struct {
	name string
	val  attrValue
}

// attrValue is an AttrValue (attr_value.proto); list values fill the
// slices, bounded by maxListItems.
type attrValue struct {
	kind   attrKind
	s      string
	i      int64
	f      float64
	b      bool
	typ    int64
	shape  shapeInfo
	tensor *tensorInfo
	// list members
	ss      []string
	is      []int64
	fs      []float64
	bs      []bool
	types   []int64
	shapes  []shapeInfo
	tensors []*tensorInfo
	funcs   []string
	count   int // total list items, including those not kept
}

// shapeInfo is a TensorShapeProto; dims of -1 are unknown.
type shapeInfo struct {
	present     bool
	unknownRank bool
	dims        []int64
}

// tensorInfo is a TensorProto's type, shape and data location.
type tensorInfo struct {
	dtype int64
	shape shapeInfo
	loc   *model.Location
}

// maxListItems bounds the attribute list values kept per attribute.
const maxListItems = 64

// dtypeNames maps DataType numbers (types.proto) to numpy spellings.
var dtypeNames = [...]model.DType{
	1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
	7: "string", 8: "complex64", 9: "int64", 10: "bool", 11: "qint8", 12: "quint8",
	13: "qint32", 14: "bfloat16", 15: "qint16", 16: "quint16", 17: "uint16",
	18: "complex128", 19: "float16", 20: "resource", 21: "variant", 22: "uint32",
	23: "uint64", 24: "float8_e5m2", 25: "float8_e4m3fn", 26: "float8_e4m3fnuz",
	27: "float8_e4m3b11fnuz", 28: "float8_e5m2fnuz", 29: "int4", 30: "uint4",
	31: "int2", 32: "uint2",
}

// dtypeOf spells a DataType; *_REF types (n+100) read as their base type;
// DT_INVALID is "".
func dtypeOf(n int64) model.DType {
	if n > 100 && n < 200 {
		n -= 100
	}
	if n > 0 && n < int64(len(dtypeNames)) && dtypeNames[n] != "" {
		return dtypeNames[n]
	}
	if n == 0 {
		return ""
	}
	return model.DType("dtype" + strconv.FormatInt(n, 10))
}

// dtypeByName maps a text-format DataType name ("DT_FLOAT", "DT_HALF_REF")
// to its number; unknown names give 0.
func dtypeByName(s string) int64 {
	ref := strings.HasSuffix(s, "_REF")
	s = strings.TrimSuffix(s, "_REF")
	n, ok := enumDTypes[s]
	if !ok {
		return 0
	}
	if ref {
		n += 100
	}
	return n
}

var enumDTypes = map[string]int64{
	"DT_INVALID": 0, "DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4,
	"DT_INT16": 5, "DT_INT8": 6, "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9,
	"DT_BOOL": 10, "DT_QINT8": 11, "DT_QUINT8": 12, "DT_QINT32": 13, "DT_BFLOAT16": 14,
	"DT_QINT16": 15, "DT_QUINT16": 16, "DT_UINT16": 17, "DT_COMPLEX128": 18, "DT_HALF": 19,
	"DT_RESOURCE": 20, "DT_VARIANT": 21, "DT_UINT32": 22, "DT_UINT64": 23,
	"DT_FLOAT8_E5M2": 24, "DT_FLOAT8_E4M3FN": 25, "DT_FLOAT8_E4M3FNUZ": 26,
	"DT_FLOAT8_E4M3B11FNUZ": 27, "DT_FLOAT8_E5M2FNUZ": 28, "DT_INT4": 29, "DT_UINT4": 30,
	"DT_INT2": 31, "DT_UINT2": 32,
}

// modelShape converts a shapeInfo to an IR shape: nil for an unknown rank
// or an absent shape, unknown dims for negative sizes.
func (s shapeInfo) modelShape() model.Shape {
	if !s.present || s.unknownRank {
		return nil
	}
	out := make(model.Shape, len(s.dims))
	for i, d := range s.dims {
		if d >= 0 {
			out[i] = model.IntDim(d)
		}
	}
	return out
}

// ints returns the dims with -1 for unknown ones; nil for an unknown rank.
func (s shapeInfo) ints() []int64 {
	if !s.present || s.unknownRank {
		return nil
	}
	return append([]int64{}, s.dims...)
}

// String spells a shape as "[?,3]", "<unknown rank>" or "[]".
func (s shapeInfo) String() string {
	if !s.present || s.unknownRank {
		return "<unknown rank>"
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s.dims {
		if i > 0 {
			b.WriteByte(',')
		}
		if d < 0 {
			b.WriteByte('?')
		} else {
			b.WriteString(strconv.FormatInt(d, 10))
		}
	}
	b.WriteByte(']')
	return b.String()
}
