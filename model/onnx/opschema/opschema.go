// Package opschema holds the ONNX operator schemas as facts — domain,
// since-version, inputs and outputs with their type constraints,
// attributes with types and defaults — generated from python onnx at
// development time (scripts/gen_onnx_schemas.py) into an embedded table.
// It holds no documentation text; URL links to the official page.
package opschema

//go:generate /usr/bin/python3 ../../../scripts/gen_onnx_schemas.py schemas.json

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed schemas.json
var schemasJSON []byte

// Param is one input or output of an operator.
type Param struct {
	Name string `json:"name"`
	// Type is a type string ("tensor(float)") or a constraint's name ("T").
	Type string `json:"type"`
	// Option is "single", "optional" or "variadic".
	Option string `json:"option"`
	// Heterogeneous marks a variadic parameter whose values may differ in type.
	Heterogeneous bool `json:"heterogeneous,omitempty"`
}

// Constraint lists the types a type parameter may take.
type Constraint struct {
	Param   string   `json:"param"`
	Allowed []string `json:"allowed"`
}

// Attribute is one attribute of an operator.
type Attribute struct {
	Name string `json:"name"`
	// Type is the attribute type in lower case: "int", "floats", "graph"...
	Type     string `json:"type"`
	Required bool   `json:"required"`
	// Default is the default value (number, string, list), nil for none.
	Default any `json:"default,omitempty"`
}

// Schema is one version of an operator: valid from opset Since until the
// next version's Since.
type Schema struct {
	Domain string `json:"domain"`
	Name   string `json:"name"`
	Since  int64  `json:"since"`
	// Deprecated marks an operator version removed from the standard.
	Deprecated bool    `json:"deprecated,omitempty"`
	Inputs     []Param `json:"inputs"`
	Outputs    []Param `json:"outputs"`
	// MinInputs .. MaxOutputs bound the counts; -1 is unbounded.
	MinInputs   int          `json:"min_inputs"`
	MaxInputs   int          `json:"max_inputs"`
	MinOutputs  int          `json:"min_outputs"`
	MaxOutputs  int          `json:"max_outputs"`
	Constraints []Constraint `json:"constraints"`
	Attributes  []Attribute  `json:"attributes"`
}

// Table is the set of schemas, every version of every operator.
type Table struct {
	// OnnxVersion is the python onnx release the table was made from.
	OnnxVersion string
	ops         map[opKey][]*Schema // versions by ascending Since
}

type opKey struct{ domain, name string }

// Load parses the embedded table once and returns it (read-only).
var Load = sync.OnceValues(func() (*Table, error) { return Parse(schemasJSON) })

// Parse reads a table in the JSON of scripts/gen_onnx_schemas.py.
func Parse(data []byte) (*Table, error) {
	var raw struct {
		OnnxVersion string    `json:"onnx_version"`
		Schemas     []*Schema `json:"schemas"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("operator schema table: %w", err)
	}
	t := &Table{OnnxVersion: raw.OnnxVersion, ops: map[opKey][]*Schema{}}
	for _, s := range raw.Schemas {
		k := opKey{NormDomain(s.Domain), s.Name}
		t.ops[k] = append(t.ops[k], s)
	}
	for _, vs := range t.ops {
		slices.SortFunc(vs, func(a, b *Schema) int { return int(a.Since - b.Since) })
	}
	return t, nil
}

// NormDomain spells the default domain as "" ("ai.onnx" is the same).
func NormDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

// Lookup returns the version of an operator in force at opset version
// opset of its domain: the one with the highest Since not above opset
// (opset <= 0: the newest). It reports false for an unknown operator or
// an opset older than its first version.
func (t *Table) Lookup(domain, op string, opset int64) (*Schema, bool) {
	vs := t.ops[opKey{NormDomain(domain), op}]
	for i := len(vs) - 1; i >= 0; i-- {
		if opset <= 0 || vs[i].Since <= opset {
			return vs[i], true
		}
	}
	return nil, false
}

// Versions lists the since-versions of an operator, ascending.
func (t *Table) Versions(domain, op string) []int64 {
	var out []int64
	for _, s := range t.ops[opKey{NormDomain(domain), op}] {
		out = append(out, s.Since)
	}
	return out
}

// MaxOpset is the newest opset version of a domain the table knows (the
// highest since-version of any of its operators): a model importing a
// newer opset may use operator versions the table does not hold.
func (t *Table) MaxOpset(domain string) int64 {
	var m int64
	d := NormDomain(domain)
	for k, vs := range t.ops {
		if k.domain == d {
			m = max(m, vs[len(vs)-1].Since)
		}
	}
	return m
}

// Len is the number of operator versions in the table.
func (t *Table) Len() int {
	n := 0
	for _, vs := range t.ops {
		n += len(vs)
	}
	return n
}

// URL is the operator's page in the official ONNX documentation
// (onnx.ai/onnx/operators): onnx__Conv.html for the default domain,
// onnx_aionnxml_TreeEnsembleClassifier.html for ai.onnx.ml.
func URL(domain, op string) string {
	return "https://onnx.ai/onnx/operators/onnx_" + strings.ReplaceAll(NormDomain(domain), ".", "") + "_" + op + ".html"
}
