package pt2

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// weightSpec is a parameter, buffer or tensor constant of the signature.
type weightSpec struct {
	fqn         string // fully-qualified name: "fc1.weight"
	placeholder string // graph input name: "p_fc1_weight"
	kind        string // "parameter", "buffer", "tensor_constant"
	persistent  bool
}

// sig is the decoded graph signature.
type sig struct {
	userInputs  []union
	userOutputs []union
	weights     []weightSpec
	other       []model.Property
}

// readSignature sorts the input and output specs.
func readSignature(s *signature) (*sig, error) {
	out := &sig{}
	for i, spec := range s.InputSpecs {
		if err := out.inputSpec(spec); err != nil {
			return nil, fmt.Errorf("input spec %d (%s): %w", i, spec.Kind, err)
		}
	}
	for i, spec := range s.OutputSpecs {
		var o struct {
			Arg        json.RawMessage `json:"arg"`
			BufferName string          `json:"buffer_name"`
			ParamName  string          `json:"parameter_name"`
			UserInput  string          `json:"user_input_name"`
		}
		if err := json.Unmarshal(spec.Value, &o); err != nil {
			return nil, fmt.Errorf("output spec %d (%s): %w", i, spec.Kind, err)
		}
		switch spec.Kind {
		case "user_output":
			var u union
			if err := json.Unmarshal(o.Arg, &u); err != nil {
				return nil, fmt.Errorf("output spec %d: %w", i, err)
			}
			out.userOutputs = append(out.userOutputs, u)
		default:
			target := cmp.Or(o.BufferName, o.ParamName, o.UserInput)
			out.other = append(out.other, model.Property{Name: "output " + spec.Kind, Value: target})
		}
	}
	return out, nil
}

func (s *sig) inputSpec(spec union) error {
	var in struct {
		Arg        json.RawMessage `json:"arg"`
		ParamName  string          `json:"parameter_name"`
		BufferName string          `json:"buffer_name"`
		ConstName  string          `json:"tensor_constant_name"`
		Persistent *bool           `json:"persistent"`
	}
	if err := json.Unmarshal(spec.Value, &in); err != nil {
		return err
	}
	switch spec.Kind {
	case "user_input":
		var u union
		if err := json.Unmarshal(in.Arg, &u); err != nil {
			return err
		}
		s.userInputs = append(s.userInputs, u)
	case "parameter", "buffer", "tensor_constant":
		var a argName
		if err := json.Unmarshal(in.Arg, &a); err != nil {
			return err
		}
		w := weightSpec{fqn: cmp.Or(in.ParamName, in.BufferName, in.ConstName), placeholder: a.Name, kind: spec.Kind}
		w.persistent = in.Persistent == nil || *in.Persistent
		if w.fqn == "" {
			w.fqn = a.Name
		}
		s.weights = append(s.weights, w)
	}
	return nil
}

// mainGraph builds the top-level graph: user inputs and outputs, weights
// as initializers named by their fully-qualified names (node inputs that
// read their placeholders are renamed to match).
func mainGraph(ep *exportedProgram) (*model.Graph, *sig, error) {
	s, err := readSignature(&ep.GraphModule.Signature)
	if err != nil {
		return nil, nil, err
	}
	g := &ep.GraphModule.Graph
	c := &converter{rename: map[string]string{}}
	skip := map[string]bool{}
	for _, w := range s.weights {
		c.rename[w.placeholder] = w.fqn
		skip[w.placeholder] = true
	}
	out, err := c.graph(g, "graph", 0)
	if err != nil {
		return nil, nil, err
	}
	for _, u := range s.userInputs {
		for _, name := range (&converter{}).refs(u) {
			out.Inputs = append(out.Inputs, value(g, name, name))
			skip[name] = true
		}
	}
	for _, u := range s.userOutputs {
		for _, name := range (&converter{}).refs(u) {
			out.Outputs = append(out.Outputs, value(g, name, c.name(name)))
		}
	}
	for _, w := range s.weights {
		out.Initializers = append(out.Initializers, initializer(g, w))
	}
	out.ValueInfo = valueInfo(g, skip)
	return out, s, nil
}

// initializer describes a weight from its placeholder's tensor meta.
func initializer(g *graph, w weightSpec) *model.Tensor {
	t := &model.Tensor{Name: w.fqn, Shape: []int64{}}
	if m := g.TensorValues[w.placeholder]; m != nil {
		t.DType = scalarTypes[m.DType]
		t.Shape, _ = ints(m.Sizes)
	}
	t.Extra = []model.Property{{Name: "kind", Value: w.kind}, {Name: "placeholder", Value: w.placeholder}}
	if w.kind == "buffer" && !w.persistent {
		t.Extra = append(t.Extra, model.Property{Name: "persistent", Value: "false"})
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
