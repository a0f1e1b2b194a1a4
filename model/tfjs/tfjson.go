package tfjs

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// The TensorFlow protobufs in their proto3 JSON form, as tfjs-converter
// writes a GraphDef into model.json.

// nodeDef is a TensorFlow NodeDef.
type nodeDef struct {
	Name   string               `json:"name"`
	Op     string               `json:"op"`
	Input  []string             `json:"input"`
	Attr   map[string]attrValue `json:"attr"`
	Device string               `json:"device"`
}

// functionDef is a FunctionDef of the graph's library.
type functionDef struct {
	Signature struct {
		Name      string   `json:"name"`
		InputArg  []argDef `json:"inputArg"`
		OutputArg []argDef `json:"outputArg"`
	} `json:"signature"`
	NodeDef []nodeDef         `json:"nodeDef"`
	Ret     map[string]string `json:"ret"`
}

// argDef is a function argument.
type argDef struct {
	Name string `json:"name"`
	Type jdtype `json:"type"`
}

// attrValue is a TensorFlow AttrValue: one of its fields is set.
type attrValue struct {
	S           *string      `json:"s"`
	I           *jint        `json:"i"`
	F           *jfloat      `json:"f"`
	B           *bool        `json:"b"`
	Type        *jdtype      `json:"type"`
	Shape       *shapeProto  `json:"shape"`
	Tensor      *tensorProto `json:"tensor"`
	Func        *nameAttr    `json:"func"`
	List        *listValue   `json:"list"`
	Placeholder *string      `json:"placeholder"`
}

type listValue struct {
	S     []string     `json:"s"`
	I     []jint       `json:"i"`
	F     []jfloat     `json:"f"`
	B     []bool       `json:"b"`
	Type  []jdtype     `json:"type"`
	Shape []shapeProto `json:"shape"`
	Func  []nameAttr   `json:"func"`
}

type nameAttr struct {
	Name string `json:"name"`
}

// shapeProto is a TensorShapeProto.
type shapeProto struct {
	Dim []struct {
		Size jint   `json:"size"`
		Name string `json:"name"`
	} `json:"dim"`
	UnknownRank bool `json:"unknownRank"`
}

// tensorProto is the part of a TensorProto tfjs keeps (values live in
// the weight shards).
type tensorProto struct {
	DType       jdtype      `json:"dtype"`
	TensorShape *shapeProto `json:"tensorShape"`
}

// jint is an int64 written as a JSON string (proto3) or number.
type jint int64

func (j *jint) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
			return err
		}
		n = int64(f)
	}
	*j = jint(n)
	return nil
}

// jfloat is a float written as a JSON number or a string ("NaN",
// "Infinity").
type jfloat float64

func (j *jfloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	switch s {
	case "Infinity":
		s = "+Inf"
	case "-Infinity":
		s = "-Inf"
	}
	f, err := strconv.ParseFloat(s, 64)
	*j = jfloat(f)
	return err
}

// jdtype is a TensorFlow DataType, spelled "DT_FLOAT" or as its number.
type jdtype string

func (j *jdtype) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if n, err := strconv.Atoi(s); err == nil {
		s = dtypeByNumber[n]
	}
	*j = jdtype(s)
	return nil
}

var dtypeByNumber = map[int]string{
	1: "DT_FLOAT", 2: "DT_DOUBLE", 3: "DT_INT32", 4: "DT_UINT8", 5: "DT_INT16", 6: "DT_INT8",
	7: "DT_STRING", 8: "DT_COMPLEX64", 9: "DT_INT64", 10: "DT_BOOL", 14: "DT_BFLOAT16",
	17: "DT_UINT16", 18: "DT_COMPLEX128", 19: "DT_HALF", 20: "DT_RESOURCE", 21: "DT_VARIANT",
	22: "DT_UINT32", 23: "DT_UINT64",
}

// dtype spells a TensorFlow DataType in numpy style ("DT_FLOAT" ->
// "float32"); "_REF" types lose the suffix.
func (j jdtype) dtype() model.DType {
	s := strings.TrimSuffix(strings.TrimPrefix(string(j), "DT_"), "_REF")
	switch s {
	case "":
		return ""
	case "FLOAT":
		return "float32"
	case "DOUBLE":
		return "float64"
	case "HALF":
		return "float16"
	}
	return model.DType(strings.ToLower(s))
}

// shape converts a TensorShapeProto: nil for unknown rank, unknown dims
// (-1) as unknown.
func (s *shapeProto) shape() model.Shape {
	if s == nil || s.UnknownRank {
		return nil
	}
	out := model.Shape{}
	for _, d := range s.Dim {
		if d.Size >= 0 {
			out = append(out, model.IntDim(int64(d.Size)))
		} else {
			out = append(out, model.Dim{Param: d.Name})
		}
	}
	return out
}

// ints converts a shape to a list of sizes, -1 for unknown dims.
func (s *shapeProto) ints() []int64 {
	out := make([]int64, 0, len(s.Dim))
	for _, d := range s.Dim {
		out = append(out, int64(d.Size))
	}
	return out
}

// orderedKeys returns the keys of a JSON object in stored order.
func orderedKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
		keys = append(keys, k)
	}
	return keys
}
