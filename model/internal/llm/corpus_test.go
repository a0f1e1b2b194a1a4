package llm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
	"github.com/modelpeek/modelpeek/model/internal/llm"
	"github.com/modelpeek/modelpeek/model/internal/llm/llmfacts"
)

// TestManifestArchitectures opens every manifest entry that carries
// facts.llm, whatever its format, and checks the graph against them:
// consumers, the order weights are used, residuals, attention attributes,
// and no edges for weight-only files.
func TestManifestArchitectures(t *testing.T) {
	n := 0
	for _, e := range testenv.Manifests(t) {
		f, err := llmfacts.Parse(e.Facts)
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if f == nil {
			continue
		}
		n++
		t.Run(e.Path, func(t *testing.T) {
			m, err := all.Registry().Open(context.Background(), e.Abs())
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range llmfacts.Check(m, f) {
				t.Error(msg)
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest entry has facts.llm")
	}
}

// weightFormats are the formats that store tensors and no computation.
var weightFormats = []string{"gguf", "safetensors", "safetensors-index", "pytorch", "numpy"}

// weightEntries returns the valid entries of the weight formats and the
// Keras files whose facts say they hold weights only (no model config).
func weightEntries(t *testing.T) []testenv.Entry {
	var out []testenv.Entry
	for _, e := range testenv.ManifestEntries(t, weightFormats...) {
		if e.Valid() {
			out = append(out, e)
		}
	}
	for _, e := range testenv.ManifestEntries(t, "keras") {
		var f struct {
			WeightsOnly bool `json:"weights_only_file"`
		}
		if json.Unmarshal(e.Facts, &f) == nil && f.WeightsOnly && e.Valid() {
			out = append(out, e)
		}
	}
	return out
}

// TestNoInventedEdges opens every valid entry of the weight formats and
// every weights-only Keras file (weightEntries). A file
// drawn without an architecture must say it stores no data flow and draw
// its module hierarchy honestly: no value passing between nodes, every node
// a container (so the op histogram is empty), every tensor in exactly one
// node named after the tensor's module. Whole pickled nn.Modules are
// weight-only too (the pickle holds the module tree, not forward()): their
// manifest submodules must each be a node or a group. PyTorch files with
// TorchScript code record their data flow and are skipped.
func TestNoInventedEdges(t *testing.T) {
	n, modules := 0, 0
	for _, e := range weightEntries(t) {
		m, err := all.Registry().Open(context.Background(), e.Abs())
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if m.Graph == nil || len(m.Graph.Initializers) == 0 || recordsCode(m) {
			continue
		}
		if isArchitecture(m) {
			continue
		}
		n++
		for _, msg := range weightOnlyView(m) {
			t.Errorf("%s: %s", e.Name(), msg)
		}
		subs, err := submodules(e.Facts)
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
		if subs != nil {
			modules++
			for _, msg := range moduleTree(m, subs) {
				t.Errorf("%s: %s", e.Name(), msg)
			}
		}
	}
	if n == 0 || modules == 0 {
		t.Fatalf("%d weight-only files, %d of them whole pickled modules", n, modules)
	}
	t.Logf("%d weight-only files drawn without edges, %d of them whole pickled modules", n, modules)
}

// recordsCode reports a PyTorch file whose TorchScript code records its
// data flow.
func recordsCode(m *model.Model) bool {
	return slices.ContainsFunc(m.Properties, func(p model.Property) bool {
		return p.Name == "content" && strings.HasPrefix(p.Value, "TorchScript")
	})
}

// submodules returns the submodule paths a whole pickled module's facts
// list (facts.module_class set), nil for other entries.
func submodules(raw json.RawMessage) ([]string, error) {
	var f struct {
		ModuleClass string   `json:"module_class"`
		Submodules  []string `json:"submodules"`
	}
	if err := json.Unmarshal(raw, &f); err != nil || f.ModuleClass == "" {
		return nil, err
	}
	return append([]string{}, f.Submodules...), nil
}

// moduleTree lists the submodules that are neither a node nor the group of
// a node's name, and checks the file says it holds a whole module.
func moduleTree(m *model.Model, subs []string) []string {
	var errs []string
	if !slices.ContainsFunc(m.Properties, func(p model.Property) bool { return p.Name == "modules" }) {
		errs = append(errs, "no property counting the pickled modules")
	}
	for _, s := range subs {
		if !slices.ContainsFunc(m.Graph.Nodes, func(n *model.Node) bool {
			return n.Name == s || strings.HasPrefix(n.Name, s+".")
		}) {
			errs = append(errs, fmt.Sprintf("submodule %s is neither a node nor a group", s))
		}
	}
	return errs
}

// isArchitecture reports a graph drawn from an architecture: it reads
// token ids.
func isArchitecture(m *model.Model) bool {
	return slices.ContainsFunc(m.Graph.Inputs, func(v *model.Value) bool { return v.Name == "tokens" })
}

// weightOnlyView lists how m's graph differs from the honest view.
func weightOnlyView(m *model.Model) []string {
	var errs []string
	if !slices.ContainsFunc(m.Properties, func(p model.Property) bool { return p.Value == llm.WeightsOnlyNote }) {
		errs = append(errs, "no property saying the file stores no data flow")
	}
	produced := map[string]bool{}
	for _, n := range m.Graph.Nodes {
		for _, o := range n.Outputs {
			produced[o] = true
		}
	}
	used := map[string]int{}
	for _, n := range m.Graph.Nodes {
		if !n.Container {
			errs = append(errs, fmt.Sprintf("node %s (%s) is drawn as an operation", n.Name, n.OpType))
		}
		for _, in := range n.Inputs {
			if produced[in] {
				errs = append(errs, fmt.Sprintf("edge %s -> %s", in, n.Name))
			}
			used[in]++
			if in != n.Name && !strings.HasPrefix(in, n.Name+".") && !strings.HasPrefix(in, n.Name+"/") {
				errs = append(errs, fmt.Sprintf("tensor %s is not in module %s", in, n.Name))
			}
		}
	}
	for _, tn := range m.Graph.Initializers {
		if used[tn.Name] != 1 {
			errs = append(errs, fmt.Sprintf("tensor %s in %d nodes", tn.Name, used[tn.Name]))
		}
	}
	if ops := model.Summarize(m).Ops; len(ops) > 0 {
		errs = append(errs, fmt.Sprintf("op histogram %v counts module names", ops))
	}
	return errs
}

// TestActivationTypes checks the inferred activation types of every
// architecture corpus file: float32 [n_tokens, width] (see activationShape)
// with a positive width, the same width on both sides of every add and multiply, each
// projection's input and output on the two sides of its weight, and every
// node's output typed.
func TestActivationTypes(t *testing.T) {
	for _, e := range testenv.Manifests(t) {
		f, _ := llmfacts.Parse(e.Facts)
		if f == nil || f.Architecture == nil {
			continue
		}
		m, err := all.Registry().Open(context.Background(), e.Abs())
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		for _, msg := range activationTypes(m.Graph) {
			t.Errorf("%s: %s", e.Name(), msg)
		}
	}
}

// activationShape says whether t is an activation's type: float32
// [n_tokens, width], [n_tokens, k, width] for the k experts used, [1, width]
// pooled, or top-k's int32 [n_tokens, k]; every size positive.
func activationShape(t *model.Type) bool {
	s := t.Shape
	if len(s) < 2 || len(s) > 3 || (t.DType != "float32" && t.DType != "int32") {
		return false
	}
	if s[0].Param != "n_tokens" && !(len(s) == 2 && s[0].Known && s[0].Size == 1) {
		return false
	}
	for _, d := range s[1:] {
		if !d.Known || d.Size <= 0 {
			return false
		}
	}
	return true
}

func activationTypes(g *model.Graph) []string {
	var errs []string
	width := map[string]int64{}
	for _, v := range g.ValueInfo {
		s := v.Type.Shape
		if !v.Inferred || !activationShape(v.Type) {
			errs = append(errs, fmt.Sprintf("value %s: %+v", v.Name, v.Type))
			continue
		}
		width[v.Name] = s[len(s)-1].Size
	}
	weights := map[string]*model.Tensor{}
	for _, t := range g.Initializers {
		weights[t.Name] = t
	}
	for _, n := range g.Nodes {
		out := int64(0)
		if len(n.Outputs) == 1 {
			out = width[n.Outputs[0]]
		}
		for _, o := range n.Outputs {
			if _, ok := width[o]; !ok && !slices.ContainsFunc(g.Outputs, func(v *model.Value) bool { return v.Name == o && v.Type != nil }) {
				errs = append(errs, fmt.Sprintf("%s %s: output %s untyped", n.OpType, n.Name, o))
			}
		}
		if n.OpType == "add" && strings.Contains(n.Name, "residual") && out == 0 {
			errs = append(errs, fmt.Sprintf("residual %s untyped", n.Name))
		}
		for _, in := range n.Inputs {
			w, isWeight := weights[in]
			switch {
			case !isWeight && (n.OpType == "add" || n.OpType == "mul") && width[in] > 1 && width[in] != out:
				errs = append(errs, fmt.Sprintf("%s %s: input %s width %d, output %d", n.OpType, n.Name, in, width[in], out))
			case isWeight && n.OpType == "matmul" && len(w.Shape) == 2 && out > 0:
				d := width[n.Inputs[0]]
				if !(w.Shape[0] == d && w.Shape[1] == out || w.Shape[1] == d && w.Shape[0] == out) {
					errs = append(errs, fmt.Sprintf("matmul %s: %d -> %d with weight %v", n.Name, d, out, w.Shape))
				}
			}
		}
	}
	return errs
}
