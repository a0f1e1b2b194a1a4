package pt2

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// The dataclasses of torch/_export/serde/schema.py as JSON. Unions (an
// object whose single non-null key is the member) stay raw and are read by
// member name, so that every schema version decodes: older files spell
// every member out with nulls, newer ones only the one that is set.

// exportedProgram is ExportedProgram.
type exportedProgram struct {
	GraphModule      graphModule                `json:"graph_module"`
	OpsetVersion     map[string]int64           `json:"opset_version"`
	RangeConstraints map[string]json.RawMessage `json:"range_constraints"`
	SchemaVersion    json.RawMessage            `json:"schema_version"`
	TorchVersion     *string                    `json:"torch_version"`
	Dialect          *string                    `json:"dialect"`
	Verifiers        []string                   `json:"verifiers"`
}

type graphModule struct {
	Graph     graph             `json:"graph"`
	Signature signature         `json:"signature"`
	Metadata  map[string]string `json:"metadata"`
}

type graph struct {
	Inputs       []union                `json:"inputs"`
	Outputs      []union                `json:"outputs"`
	Nodes        []node                 `json:"nodes"`
	TensorValues map[string]*tensorMeta `json:"tensor_values"`
}

type node struct {
	Target   string            `json:"target"`
	Inputs   []namedArgument   `json:"inputs"`
	Outputs  []union           `json:"outputs"`
	Metadata map[string]string `json:"metadata"`
	Name     *string           `json:"name"`
}

type namedArgument struct {
	Name string `json:"name"`
	Arg  union  `json:"arg"`
}

type tensorMeta struct {
	DType         int64             `json:"dtype"`
	Sizes         []json.RawMessage `json:"sizes"`
	Strides       []json.RawMessage `json:"strides"`
	StorageOffset json.RawMessage   `json:"storage_offset"`
	RequiresGrad  bool              `json:"requires_grad"`
	Device        *struct {
		Type  string `json:"type"`
		Index *int64 `json:"index"`
	} `json:"device"`
}

type signature struct {
	InputSpecs  []union `json:"input_specs"`
	OutputSpecs []union `json:"output_specs"`
}

// union is a schema union: Kind is the member that is set, Value its JSON.
type union struct {
	Kind  string
	Value json.RawMessage
}

// UnmarshalJSON picks the single member that is not null.
func (u *union) UnmarshalJSON(b []byte) error {
	var m map[string]rawRef
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*u = union{}
	for k, v := range m {
		if string(v) == "null" {
			continue
		}
		if u.Kind != "" {
			return fmt.Errorf("union with two members set (%s and %s)", min(u.Kind, k), max(u.Kind, k))
		}
		u.Kind, u.Value = k, json.RawMessage(v)
	}
	// as_none is stored as {"as_none": true} in new files and may be the
	// only key, null-valued, in old ones.
	if _, ok := m["as_none"]; ok && u.Kind == "" && len(m) == 1 {
		u.Kind = "as_none"
	}
	return nil
}

// rawRef keeps a JSON value as a sub-slice of the program's bytes instead
// of a copy (json.RawMessage copies): nested unions then cost no memory
// per level, however deeply a hostile file nests them. The program bytes
// are never modified.
type rawRef []byte

// UnmarshalJSON keeps b.
func (r *rawRef) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// argName is {"name": ...}: TensorArgument, TokenArgument, GraphArgument.
type argName struct {
	Name string `json:"name"`
}

// scalarTypes maps ScalarType to numpy names.
var scalarTypes = map[int64]model.DType{
	1: "uint8", 2: "int8", 3: "int16", 4: "int32", 5: "int64", 6: "float16", 7: "float32", 8: "float64",
	9: "complex32", 10: "complex64", 11: "complex128", 12: "bool", 13: "bfloat16", 28: "uint16",
	29: "float8_e4m3fn", 30: "float8_e5m2", 31: "float8_e4m3fnuz", 32: "float8_e5m2fnuz",
}

// symInt decodes a SymInt: {"as_int": n} or {"as_expr": {"expr_str": s}}
// (older files: as_expr a plain string). A bare integer is accepted too.
func symInt(raw json.RawMessage) model.Dim {
	var n int64
	if json.Unmarshal(raw, &n) == nil {
		return model.IntDim(n)
	}
	var u union
	if json.Unmarshal(raw, &u) != nil {
		return model.Dim{}
	}
	switch u.Kind {
	case "as_int":
		if json.Unmarshal(u.Value, &n) == nil {
			return model.IntDim(n)
		}
	case "as_expr":
		var e struct {
			ExprStr string `json:"expr_str"`
		}
		var s string
		if json.Unmarshal(u.Value, &s) == nil {
			return model.Dim{Param: s}
		}
		if json.Unmarshal(u.Value, &e) == nil {
			return model.Dim{Param: e.ExprStr}
		}
	}
	return model.Dim{}
}

// tensorType is the type of a value described by meta.
func (t *tensorMeta) tensorType() *model.Type {
	ty := &model.Type{Kind: model.KindTensor, DType: scalarTypes[t.DType], Shape: model.Shape{}}
	for _, s := range t.Sizes {
		ty.Shape = append(ty.Shape, symInt(s))
	}
	return ty
}

// ints returns the sizes as integers, -1 for a symbolic or unknown one,
// and whether all were known.
func ints(dims []json.RawMessage) ([]int64, bool) {
	out := make([]int64, 0, len(dims))
	known := true
	for _, s := range dims {
		d := symInt(s)
		if !d.Known {
			out, known = append(out, -1), false
			continue
		}
		out = append(out, d.Size)
	}
	return out, known
}

// schemaVersion spells SchemaVersion as "major.minor", or the stored
// integer of old files.
func schemaVersion(raw json.RawMessage) (any, bool) {
	var n int64
	if json.Unmarshal(raw, &n) == nil {
		return n, true
	}
	var v struct {
		Major *int64 `json:"major"`
		Minor *int64 `json:"minor"`
	}
	if json.Unmarshal(raw, &v) != nil || v.Major == nil {
		return nil, false
	}
	minor := int64(0)
	if v.Minor != nil {
		minor = *v.Minor
	}
	return strconv.FormatInt(*v.Major, 10) + "." + strconv.FormatInt(minor, 10), true
}
