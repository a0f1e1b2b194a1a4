// Package facts checks a model's `inspect --json` summary against the
// "wave-2" reference facts of the shared manifests (format, nodes, ops,
// inputs, outputs, tensors, metadata), the same way ../shared/tools/agree.py
// does from outside, so a decoder's tests and the outside check agree.
package facts

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// Contract is the wave-2 fact set; a nil field is absent from the entry
// and not checked.
type Contract struct {
	Valid    *bool                      `json:"valid"`
	Format   string                     `json:"format"`
	Nodes    *int                       `json:"nodes"`
	Ops      map[string]int             `json:"ops"`
	Inputs   *[]Value                   `json:"inputs"`
	Outputs  *[]Value                   `json:"outputs"`
	Tensors  *[]Value                   `json:"tensors"`
	Metadata map[string]json.RawMessage `json:"metadata"`
}

// Value is an input, output or tensor fact; raw fields keep "absent" apart
// from null.
type Value struct {
	Name  string          `json:"name"`
	DType json.RawMessage `json:"dtype"`
	Shape json.RawMessage `json:"shape"`
}

// Check compares the summary s of a model with the raw facts of a manifest
// entry whose format is format, and returns every disagreement (nil when
// they agree).
func Check(s model.Summary, format string, raw json.RawMessage) []string {
	var c Contract
	if err := json.Unmarshal(raw, &c); err != nil {
		return []string{fmt.Sprintf("facts: %v", err)}
	}
	var bad []string
	want := format
	if c.Format != "" {
		want = c.Format
	}
	if s.Format != want {
		bad = append(bad, fmt.Sprintf("format %q, want %q", s.Format, want))
	}
	if c.Nodes != nil && s.Nodes != *c.Nodes {
		bad = append(bad, fmt.Sprintf("nodes %d, want %d", s.Nodes, *c.Nodes))
	}
	if c.Ops != nil && !reflect.DeepEqual(s.Ops, c.Ops) && !(len(s.Ops) == 0 && len(c.Ops) == 0) {
		bad = append(bad, fmt.Sprintf("ops %v, want %v", s.Ops, c.Ops))
	}
	if c.Inputs != nil {
		bad = append(bad, values("inputs", s.Inputs, *c.Inputs)...)
	}
	if c.Outputs != nil {
		bad = append(bad, values("outputs", s.Outputs, *c.Outputs)...)
	}
	if c.Tensors != nil {
		bad = append(bad, tensors(s.Tensors, *c.Tensors)...)
	}
	for k, v := range c.Metadata {
		got, ok := s.Metadata[k]
		if !ok {
			bad = append(bad, fmt.Sprintf("metadata %q missing", k))
			continue
		}
		if !sameJSON(got, v) {
			b, _ := json.Marshal(got)
			bad = append(bad, fmt.Sprintf("metadata %q = %.80s, want %.80s", k, b, v))
		}
	}
	return bad
}

func values(what string, got []model.SummaryValue, want []Value) []string {
	gn := make([]string, len(got))
	for i, v := range got {
		gn[i] = v.Name
	}
	wn := make([]string, len(want))
	for i, v := range want {
		wn[i] = v.Name
	}
	if !reflect.DeepEqual(gn, wn) {
		return []string{fmt.Sprintf("%s names %q, want %q", what, gn, wn)}
	}
	var bad []string
	for i, w := range want {
		bad = append(bad, typeOf(what+" "+w.Name, got[i].DType, got[i].Shape, w)...)
	}
	return bad
}

func tensors(got []model.SummaryTensor, want []Value) []string {
	byName := make(map[string]model.SummaryTensor, len(got))
	for _, t := range got {
		byName[t.Name] = t
	}
	if len(byName) != len(want) {
		return []string{fmt.Sprintf("%d tensors, want %d", len(byName), len(want))}
	}
	var bad []string
	for _, w := range want {
		t, ok := byName[w.Name]
		if !ok {
			bad = append(bad, fmt.Sprintf("tensor %q missing", w.Name))
			continue
		}
		bad = append(bad, typeOf("tensor "+w.Name, t.DType, model.ShapeOf(t.Shape), w)...)
	}
	return bad
}

// typeOf compares a dtype and shape with a fact, each only when the fact
// gives it.
func typeOf(what string, dt model.DType, shape model.Shape, w Value) []string {
	var bad []string
	if len(w.DType) > 0 {
		var ws *string
		_ = json.Unmarshal(w.DType, &ws)
		wd := ""
		if ws != nil {
			wd = *ws
		}
		if NormDType(string(dt)) != NormDType(wd) {
			bad = append(bad, fmt.Sprintf("%s dtype %q, want %q", what, dt, wd))
		}
	}
	if len(w.Shape) > 0 {
		got, _ := json.Marshal(shape)
		if !sameJSON(json.RawMessage(got), w.Shape) {
			bad = append(bad, fmt.Sprintf("%s shape %s, want %s", what, got, w.Shape))
		}
	}
	return bad
}

// dtypeAliases are the spellings agree.py treats as one dtype.
var dtypeAliases = map[string]string{
	"str": "string", "object": "string", "f32": "float32", "f16": "float16", "bf16": "bfloat16",
	"f64": "float64", "i64": "int64", "i32": "int32", "i16": "int16", "i8": "int8", "u8": "uint8",
	"u16": "uint16", "u32": "uint32", "u64": "uint64", "float": "float32", "double": "float64",
	"half": "float16", "dtfloat": "float32", "dtint32": "int32", "dtint64": "int64", "dtstring": "string",
	"fp32": "float32", "fp16": "float16", "boolean": "bool",
}

// NormDType normalises a dtype spelling as agree.py does: lower case, no
// underscores, aliases resolved.
func NormDType(s string) string {
	s = strings.ReplaceAll(strings.ToLower(s), "_", "")
	if a, ok := dtypeAliases[s]; ok {
		return a
	}
	return s
}

// sameJSON compares a value with a raw fact as agree.py does: when either
// side is a string, their string forms; else their canonical JSON.
func sameJSON(got any, want json.RawMessage) bool {
	var w any
	if err := json.Unmarshal(want, &w); err != nil {
		return false
	}
	var g any
	switch v := got.(type) {
	case json.RawMessage:
		if err := json.Unmarshal(v, &g); err != nil {
			return false
		}
	default:
		b, err := json.Marshal(v)
		if err != nil || json.Unmarshal(b, &g) != nil {
			return false
		}
	}
	_, gs := g.(string)
	_, ws := w.(string)
	if gs || ws {
		return pyStr(g) == pyStr(w)
	}
	return reflect.DeepEqual(g, w)
}

// pyStr spells a decoded JSON value as Python's str() does for the scalars
// agree.py meets (strings, integers, booleans, None).
func pyStr(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case float64:
		if v == float64(int64(v)) {
			return fmt.Sprintf("%d", int64(v))
		}
		return fmt.Sprint(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// CheckEntries opens every entry with open, in a subtest named for it, and
// checks it against its facts: a valid entry must open and agree, one with
// facts.valid == false must be refused with an error.
func CheckEntries(t *testing.T, entries []testenv.Entry, open func(ctx context.Context, path string) (*model.Model, error)) {
	t.Helper()
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			m, err := open(t.Context(), e.Abs())
			if !e.Valid() {
				if err == nil {
					t.Fatalf("a broken file was accepted")
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			for _, d := range Check(model.Summarize(m), e.Format, e.Facts) {
				t.Error(d)
			}
		})
	}
}
