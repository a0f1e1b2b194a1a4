// Package optschema holds the TFLite builtin operators' option tables as
// facts — which options table an operator reads, each field's name, type
// and default, the enums those fields use — generated at development time
// from TensorFlow Lite's schema by scripts/gen_tflite_options.py into an
// embedded table. It holds no documentation text.
package optschema

// Regenerate with TFLITE_SCHEMA and TFLITE_CONVERSIONS naming a TensorFlow
// checkout's tensorflow/compiler/mlir/lite/schema/schema.fbs and
// tensorflow/lite/core/api/flatbuffer_conversions.cc:
//
//go:generate /usr/bin/python3 ../../../scripts/gen_tflite_options.py ${TFLITE_SCHEMA} ${TFLITE_CONVERSIONS} options.json

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

//go:embed options.json
var optionsJSON []byte

// Field is one field of an options table; Slot is its index in the table
// (deprecated fields keep theirs).
type Field struct {
	Slot int    `json:"slot"`
	Name string `json:"name"`
	// Type is a scalar ("int", "float", "bool", "long"...), an enum's
	// name ("Padding"), a vector ("[int]") or a table's name.
	Type       string `json:"type"`
	Default    any    `json:"default,omitempty"`
	Deprecated bool   `json:"deprecated,omitempty"`
}

// Op is one builtin operator: its code and its options table ("" when
// it has none).
type Op struct {
	Name    string `json:"name"`
	Code    int    `json:"code"`
	Options string `json:"options,omitempty"`
}

// Table is the set of builtin operators and their options tables.
type Table struct {
	ops    map[string]Op
	tables map[string][]Field
	enums  map[string][]string
}

// Load parses the embedded table once and returns it (read-only).
var Load = sync.OnceValues(func() (*Table, error) { return Parse(optionsJSON) })

// Parse reads a table in the JSON of scripts/gen_tflite_options.py.
func Parse(data []byte) (*Table, error) {
	var raw struct {
		Ops    map[string]Op       `json:"ops"`
		Tables map[string][]Field  `json:"tables"`
		Enums  map[string][]string `json:"enums"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("tflite options table: %w", err)
	}
	for name, op := range raw.Ops {
		op.Name = name
		raw.Ops[name] = op
	}
	for _, fs := range raw.Tables {
		for i := range fs {
			fs[i].Slot = i
		}
	}
	return &Table{ops: raw.Ops, tables: raw.Tables, enums: raw.Enums}, nil
}

// Lookup returns a builtin operator by its BuiltinOperator name
// ("CONV_2D").
func (t *Table) Lookup(op string) (Op, bool) {
	o, ok := t.ops[op]
	return o, ok
}

// Fields returns the fields of an options table.
func (t *Table) Fields(table string) []Field { return t.tables[table] }

// Enum returns the value names of an enum, by value.
func (t *Table) Enum(name string) []string { return t.enums[name] }

// Ops returns every builtin operator.
func (t *Table) Ops() []Op {
	out := make([]Op, 0, len(t.ops))
	for _, o := range t.ops {
		out = append(out, o)
	}
	return out
}
