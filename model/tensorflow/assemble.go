package tensorflow

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// assembleGraph makes the model of a bare GraphDef.
func assembleGraph(g *graphDef, kind string) *model.Model {
	m := newModel(kind)
	mainGraph(m, g, "graph")
	placeholderInputs(m.Graph, g)
	constTensors(m.Graph, g)
	m.Facts["producer"] = g.producer
	return m
}

func newModel(kind string) *model.Model {
	return &model.Model{
		Format:               "tensorflow",
		FunctionsInNodeCount: true,
		Metadata:             map[string]string{"kind": kind},
		Facts:                map[string]any{},
	}
}

// mainGraph sets the model's graph and its unreached library functions.
func mainGraph(m *model.Model, g *graphDef, name string) {
	root, rest := graphWithLibrary(name, g)
	m.Graph = root.g
	m.Functions = append(m.Functions, rest...)
	if len(g.funcs) > 0 {
		m.Properties = append(m.Properties, model.Property{Name: "functions", Value: fmt.Sprint(len(g.funcs))})
	}
}

// assembleMeta makes the model of a MetaGraphDef file.
func assembleMeta(mg *metaGraph, kind string) (*model.Model, error) {
	m := newModel(kind)
	metaModel(m, mg)
	constTensors(m.Graph, graphOf(mg))
	return m, nil
}

// graphOf is a meta graph's GraphDef (empty when it has none).
func graphOf(mg *metaGraph) *graphDef {
	if mg.graph == nil {
		return &graphDef{}
	}
	return mg.graph
}

// metaModel fills the graph, inputs, outputs and facts of a meta graph.
func metaModel(m *model.Model, mg *metaGraph) {
	g := graphOf(mg)
	mainGraph(m, g, "graph")
	tags := append([]string{}, mg.tags...)
	keys := make([]string, 0, len(mg.signatures))
	for _, s := range mg.signatures {
		keys = append(keys, s.key)
	}
	sort.Strings(keys)
	m.Facts["tags"] = tags
	m.Facts["signatures"] = keys
	m.Facts["producer"] = g.producer
	if mg.tfVersion != "" {
		m.Facts["tensorflow_version"] = mg.tfVersion
		m.Producer = "TensorFlow " + mg.tfVersion
	}
	m.Signatures = signatures(mg.signatures)
	sig := mainSignature(mg.signatures)
	if sig == nil {
		placeholderInputs(m.Graph, g)
		return
	}
	m.Facts["main_signature"] = sig.key
	m.Graph.Inputs = signatureValues(sig.inputs)
	m.Graph.Outputs = signatureValues(sig.outputs)
	tensors := map[string]string{}
	for _, t := range sig.inputs {
		tensors[t.key], _ = valueName(t.name, false)
	}
	wireInputs(m.Graph, tensors)
}

// wireInputs feeds each graph input to the input-less node (a
// Placeholder) producing its tensor, so the viewer draws the input as
// the start of a chain rather than a box on its own. tensors maps input
// names to tensor names.
func wireInputs(g *model.Graph, tensors map[string]string) {
	producer := map[string]*model.Node{}
	for _, n := range g.Nodes {
		if len(n.Inputs) == 0 && len(n.Outputs) > 0 {
			producer[n.Outputs[0]] = n
		}
	}
	for _, in := range g.Inputs {
		if n := producer[tensors[in.Name]]; n != nil && len(n.Inputs) == 0 {
			n.Inputs = []string{in.Name}
		}
	}
}

// signatures lists the SignatureDefs in key order as entry points of
// the main graph, each input and output mapped to the graph value (a
// tensor name such as "x:0") it stands for.
func signatures(sigs []*signature) []model.Signature {
	sigs = slices.Clone(sigs)
	sort.SliceStable(sigs, func(i, j int) bool { return sigs[i].key < sigs[j].key })
	out := make([]model.Signature, 0, len(sigs))
	for _, s := range sigs {
		out = append(out, model.Signature{Key: s.key, Subgraph: -1, Graph: "",
			Inputs: signatureTensors(s.inputs), Outputs: signatureTensors(s.outputs)})
	}
	return out
}

func signatureTensors(ts []*sigTensor) []model.SignatureValue {
	ts = slices.Clone(ts)
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].key < ts[j].key })
	out := make([]model.SignatureValue, 0, len(ts))
	for _, t := range ts {
		v, _ := valueName(t.name, false)
		out = append(out, model.SignatureValue{Name: t.key, Tensor: v, DType: dtypeOf(t.dtype), Shape: t.shape.modelShape()})
	}
	return out
}

// mainSignature is "serving_default", else the first key in sorted order
// not starting with "__"; nil when there is none.
func mainSignature(sigs []*signature) *signature {
	var best *signature
	for _, s := range sigs {
		switch {
		case s.key == "serving_default":
			return s
		case strings.HasPrefix(s.key, "__"):
		case best == nil || s.key < best.key:
			best = s
		}
	}
	return best
}

// signatureValues lists a signature's tensors sorted by key, named by key.
func signatureValues(ts []*sigTensor) []*model.Value {
	ts = slices.Clone(ts)
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].key < ts[j].key })
	out := make([]*model.Value, 0, len(ts))
	for _, t := range ts {
		typ := &model.Type{Kind: model.KindTensor, DType: dtypeOf(t.dtype), Shape: t.shape.modelShape()}
		out = append(out, &model.Value{Name: t.key, Type: typ, Doc: "tensor " + t.name})
	}
	return out
}

// placeholderInputs makes the graph's Placeholder nodes its inputs.
func placeholderInputs(mg *model.Graph, g *graphDef) {
	for _, n := range g.nodes {
		if n.op != "Placeholder" {
			continue
		}
		typ := &model.Type{Kind: model.KindTensor}
		for _, a := range n.attrs {
			switch {
			case a.name == "dtype" && a.val.kind == attrType:
				typ.DType = dtypeOf(a.val.typ)
			case a.name == "shape" && a.val.kind == attrShape:
				typ.Shape = a.val.shape.modelShape()
			}
		}
		mg.Inputs = append(mg.Inputs, &model.Value{Name: n.name, Type: typ})
	}
	tensors := map[string]string{}
	for _, in := range mg.Inputs {
		tensors[in.Name] = in.Name + ":0"
	}
	wireInputs(mg, tensors)
}

// constTensors makes the main graph's top-level Const values its
// initializers.
func constTensors(mg *model.Graph, g *graphDef) {
	for _, n := range g.nodes {
		if n.op != "Const" {
			continue
		}
		var dtype int64
		var value *tensorInfo
		for _, a := range n.attrs {
			switch {
			case a.name == "dtype" && a.val.kind == attrType:
				dtype = a.val.typ
			case a.name == "value" && a.val.kind == attrTensor:
				value = a.val.tensor
			}
		}
		t := irTensor(n.name, value)
		t.DType = dtypeOf(dtype)
		mg.Initializers = append(mg.Initializers, t)
	}
}

// assembleSaved makes the model of a SavedModel: the serving meta graph
// as the main graph, the other meta graphs as functions, the checkpoint's
// variables as tensors.
func assembleSaved(w *wire, sm *savedModel, kind string) (*model.Model, error) {
	if len(sm.metaGraphs) == 0 {
		return nil, fmt.Errorf("the SavedModel holds no meta graph")
	}
	main := 0
	for i, mg := range sm.metaGraphs {
		if slices.Contains(mg.tags, "serve") {
			main = i
			break
		}
	}
	m := newModel(kind)
	metaModel(m, sm.metaGraphs[main])
	for i, mg := range sm.metaGraphs {
		if i == main {
			continue
		}
		root, rest := graphWithLibrary(metaName(i, mg), graphOf(mg))
		m.Functions = append(m.Functions, root.g)
		m.Functions = append(m.Functions, rest...)
	}
	m.Facts["saved_model_schema_version"] = sm.schemaVersion
	m.Facts["meta_graphs"] = len(sm.metaGraphs)
	m.Facts["object_graph_nodes"] = sm.metaGraphs[main].objectNodes
	dir := filepath.Dir(w.path)
	tensors, files, err := variables(w, dir)
	if err != nil {
		return nil, err
	}
	m.Graph.Initializers = tensors
	m.Files = append([]string{w.path}, files...)
	missing := map[string]bool{}
	for _, t := range tensors {
		if l := t.Location; l != nil && l.Missing && !missing[l.File] {
			missing[l.File] = true
			m.Warnings = append(m.Warnings, fmt.Sprintf("checkpoint shard %s is missing: its variables cannot be previewed", filepath.Base(l.File)))
		}
	}
	return m, nil
}
