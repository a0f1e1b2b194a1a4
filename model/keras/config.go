package keras

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm"
)

// Bounds of the config reader.
const (
	maxModelDepth = 16
	maxLayers     = 200_000
	maxRefDepth   = 64
)

// configModel is a model as its Keras config describes it.
type configModel struct {
	class    string
	name     string
	layers   []*layer
	inputs   []ref
	outputs  []ref
	warnings []string
}

type layer struct {
	class   string
	name    string
	module  string
	config  map[string]any
	inbound [][]ref
	sub     *configModel
	// buildInput is build_config.input_shape (Keras 3), when recorded.
	buildInput []any
}

// ref names a layer output: keras_history [layer, node index, tensor index],
// with the tensor's type when the config records it (Keras 3).
type ref struct {
	layer          string
	node, tensorIx int
	typ            *model.Type
}

func parseConfig(b []byte) (*configModel, error) {
	var top map[string]any
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	count := 0
	return parseModel(top, 0, &count)
}

// ConfigGraph draws a Keras model config (the decoded JSON object holding
// class_name and config) as a graph, for formats that embed Keras configs
// (TensorFlow.js layers models). owner maps a weight name to its layer
// ("" for none). It also returns the model class and decoding warnings.
func ConfigGraph(obj map[string]any, weights []*model.Tensor, owner func(string) string) (g *model.Graph, class string, warnings []string, err error) {
	count := 0
	cm, err := parseModel(obj, 0, &count)
	if err != nil {
		return nil, "", nil, err
	}
	return cm.graph(weights, owner), cm.class, cm.warnings, nil
}

func parseModel(obj map[string]any, depth int, count *int) (*configModel, error) {
	if depth > maxModelDepth {
		return nil, fmt.Errorf("models nested more than %d deep", maxModelDepth)
	}
	cm := &configModel{}
	cm.class, _ = obj["class_name"].(string)
	var layers []any
	switch c := obj["config"].(type) {
	case []any: // Keras 2.0 Sequential: the config is the layer list
		layers = c
	case map[string]any:
		cm.name, _ = c["name"].(string)
		layers, _ = c["layers"].([]any)
		cm.inputs = findRefs(c["input_layers"], 0, nil)
		cm.outputs = findRefs(c["output_layers"], 0, nil)
	default:
		return nil, fmt.Errorf("the model config has no layers")
	}
	for _, lv := range layers {
		lo, ok := lv.(map[string]any)
		if !ok {
			continue
		}
		if *count++; *count > maxLayers {
			return nil, fmt.Errorf("more than %d layers", maxLayers)
		}
		l := &layer{}
		l.class, _ = lo["class_name"].(string)
		l.module, _ = lo["module"].(string)
		l.config, _ = lo["config"].(map[string]any)
		l.name, _ = l.config["name"].(string)
		if n, ok := lo["name"].(string); ok && l.name == "" {
			l.name = n
		}
		if l.name == "" {
			l.name = fmt.Sprintf("%s_%d", strings.ToLower(l.class), len(cm.layers))
		}
		if bc, ok := lo["build_config"].(map[string]any); ok {
			l.buildInput, _ = bc["input_shape"].([]any)
		}
		if nodes, ok := lo["inbound_nodes"].([]any); ok {
			for _, n := range nodes {
				l.inbound = append(l.inbound, findRefs(n, 0, nil))
			}
		}
		if _, nested := l.config["layers"]; nested {
			sub, err := parseModel(lo, depth+1, count)
			if err != nil {
				cm.warnings = append(cm.warnings, fmt.Sprintf("layer %s: %v", l.name, err))
			} else {
				l.sub = sub
				cm.warnings = append(cm.warnings, sub.warnings...)
			}
		}
		if w := riskyLayer(l); w != "" {
			cm.warnings = append(cm.warnings, w)
		}
		cm.layers = append(cm.layers, l)
	}
	return cm, nil
}

// riskyLayer describes a layer whose loading would run code in Keras: a
// Lambda (marshalled Python bytecode or source) or a class from a module
// outside Keras. modelpeek only shows them.
func riskyLayer(l *layer) string {
	switch {
	case l.class == "Lambda":
		return fmt.Sprintf("layer %s is a Lambda: Keras would run its Python code when loading with safe_mode off; modelpeek only shows it", l.name)
	case l.module != "" && !strings.HasPrefix(l.module, "keras"):
		return fmt.Sprintf("layer %s is %s from module %s: Keras would import and run that module's code; modelpeek only shows it", l.name, l.class, l.module)
	}
	return ""
}

// findRefs collects layer references from an inbound node or an
// input/output list, in either the Keras 2 form (["layer", 0, 0, {}]) or
// the Keras 3 form ({"keras_history": ["layer", 0, 0]} nested in args).
func findRefs(v any, depth int, out []ref) []ref {
	if depth > maxRefDepth || len(out) > 10_000 {
		return out
	}
	switch x := v.(type) {
	case map[string]any:
		if h, ok := x["keras_history"]; ok {
			n := len(out)
			out = findRefs(h, depth+1, out)
			if shape, ok := x["shape"].([]any); ok && len(out) == n+1 {
				out[n].typ = tensorType(shape, x["dtype"])
			}
			return out
		}
		for _, k := range sortedKeys(x) {
			out = findRefs(x[k], depth+1, out)
		}
	case []any:
		if len(x) >= 3 {
			if name, ok := x[0].(string); ok {
				n, ok1 := x[1].(float64)
				t, ok2 := x[2].(float64)
				if ok1 && ok2 {
					return append(out, ref{layer: name, node: int(n), tensorIx: int(t)})
				}
			}
		}
		for _, it := range x {
			out = findRefs(it, depth+1, out)
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func valueName(r ref) string {
	if r.node == 0 && r.tensorIx == 0 {
		return r.layer
	}
	return fmt.Sprintf("%s:%d:%d", r.layer, r.node, r.tensorIx)
}

// graph draws the model: InputLayers become graph inputs, every other
// layer a node (one per call of a shared layer), edges from inbound nodes
// (or in order for a Sequential). Weights are attached to the node of the
// layer owner() names; others stay initializers without a node.
// shapePreserving are layers whose output has their input's shape.
var shapePreserving = map[string]bool{
	"Dropout": true, "SpatialDropout1D": true, "SpatialDropout2D": true, "SpatialDropout3D": true,
	"GaussianNoise": true, "GaussianDropout": true, "AlphaDropout": true, "Activation": true, "ReLU": true,
	"LeakyReLU": true, "PReLU": true, "ELU": true, "Softmax": true, "BatchNormalization": true,
	"LayerNormalization": true, "ActivityRegularization": true,
}

func batchShape(cfg map[string]any) []any {
	for _, k := range []string{"batch_shape", "batch_input_shape"} {
		if s, ok := cfg[k].([]any); ok {
			return s
		}
	}
	return nil
}

// inputType reads an input's shape and dtype from a layer config.
func inputType(cfg map[string]any) *model.Type {
	return tensorType(batchShape(cfg), cfg["dtype"])
}

// tensorType builds a tensor type from a Keras shape (null for unknown
// dimensions) and a dtype (a name or a DTypePolicy).
func tensorType(shape []any, dtype any) *model.Type {
	t := &model.Type{Kind: model.KindTensor}
	switch d := dtype.(type) {
	case string:
		t.DType = model.DType(d)
	case map[string]any:
		if c, ok := d["config"].(map[string]any); ok {
			if n, ok := c["name"].(string); ok {
				t.DType = model.DType(n)
			}
		}
	}
	if shape != nil && len(shape) <= 64 {
		t.Shape = model.Shape{}
		for _, d := range shape {
			if f, ok := d.(float64); ok && f >= 0 && f < 1<<53 {
				t.Shape = append(t.Shape, model.IntDim(int64(f)))
			} else {
				t.Shape = append(t.Shape, model.Dim{})
			}
		}
	}
	return t
}

// attributes turns a layer config into node attributes: scalars as typed
// values, everything else (initializers, Lambda functions, custom
// objects) as JSON text to read, never to run.
func attributes(l *layer) []model.Attribute {
	var out []model.Attribute
	if l.module != "" && !strings.HasPrefix(l.module, "keras") {
		out = append(out, model.Attribute{Name: "module", Type: model.AttrString, String: l.module})
	}
	for _, k := range sortedKeys(l.config) {
		if k == "name" || k == "layers" {
			continue
		}
		v := l.config[k]
		a := model.Attribute{Name: k}
		switch x := v.(type) {
		case nil:
			continue
		case bool:
			a.Type, a.Int = model.AttrBool, 0
			if x {
				a.Int = 1
			}
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				a.Type, a.Int = model.AttrInt, int64(x)
			} else {
				a.Type, a.Float = model.AttrFloat, x
			}
		case string:
			a.Type, a.String = model.AttrString, truncate(x, 4096)
		case []any:
			if ints, ok := intList(x); ok {
				a.Type, a.Ints = model.AttrInts, ints
				break
			}
			a.Type, a.String = model.AttrString, jsonText(x)
		default:
			a.Type, a.String = model.AttrString, jsonText(x)
		}
		out = append(out, a)
	}
	return out
}

func intList(x []any) ([]int64, bool) {
	if len(x) == 0 || len(x) > 1024 {
		return nil, false
	}
	out := make([]int64, len(x))
	for i, v := range x {
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || math.Abs(f) >= 1<<53 {
			return nil, false
		}
		out[i] = int64(f)
	}
	return out, true
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return truncate(string(b), 4096)
}

// categoryOf guesses a display category from the layer class.
func categoryOf(l *layer) string {
	c := strings.ToLower(l.class)
	switch {
	case l.class == "Lambda" || l.class == "TFOpLambda" || (l.module != "" && !strings.HasPrefix(l.module, "keras")):
		return "custom"
	case l.sub != nil:
		return "container"
	case strings.Contains(c, "normalization"):
		return "normalization"
	case strings.Contains(c, "pool"):
		return "pooling"
	case strings.Contains(c, "dropout"):
		return "dropout"
	case strings.Contains(c, "relu") || c == "activation" || c == "softmax" || c == "prelu" || c == "elu":
		return "activation"
	case c == "flatten" || c == "reshape" || c == "permute" || strings.Contains(c, "padding") || strings.Contains(c, "cropping"):
		return "shape"
	case c == "add" || c == "concatenate" || c == "multiply" || c == "average" || c == "subtract":
		return "tensor"
	case c == "embedding":
		return "data"
	}
	return "layer"
}

var (
	snake1 = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	snake2 = regexp.MustCompile(`([a-z])([A-Z])`)
	nonW   = regexp.MustCompile(`\W+`)
)

// snakeCase converts a class name as Keras names saved layers
// ("LeakyReLU" -> "leaky_re_lu").
func snakeCase(s string) string {
	s = nonW.ReplaceAllString(s, "")
	s = snake1.ReplaceAllString(s, "${1}_${2}")
	s = snake2.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(s)
}

// keras3Owner maps model.weights.h5 paths ("layers/dense_1/vars/0") to
// layer names: Keras 3 names each layer's group after its class in snake
// case, numbered among layers of the same class.
func keras3Owner(cm *configModel) func(string) string {
	byPath := map[string]string{}
	seen := map[string]int{}
	for _, l := range cm.layers {
		base := snakeCase(l.class)
		p := base
		if n := seen[base]; n > 0 {
			p = fmt.Sprintf("%s_%d", base, n)
		}
		seen[base]++
		byPath[p] = l.name
	}
	return func(name string) string {
		rest, ok := strings.CutPrefix(name, "layers/")
		if !ok {
			return ""
		}
		p, _, _ := strings.Cut(rest, "/")
		return byPath[p]
	}
}

// weightsOnlyGraph draws a weights-only file: one node per layer name, in
// the order layer_names lists them, holding that layer's weights. The file
// records no model config, so nothing says how the layers connect: the
// nodes are containers that produce nothing, with no edges between them.
func weightsOnlyGraph(names []string, weights []*model.Tensor) *model.Graph {
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{},
		Doc: "Layers in the order the file lists them; " + llm.WeightsOnlyNote + "."}
	byLayer := map[string][]*model.Tensor{}
	for _, t := range weights {
		first, _, _ := strings.Cut(t.Name, "/")
		byLayer[first] = append(byLayer[first], t)
	}
	if len(names) == 0 {
		for _, t := range weights {
			first, _, _ := strings.Cut(t.Name, "/")
			if !slices.Contains(names, first) {
				names = append(names, first)
			}
		}
	}
	for _, name := range names {
		op := strings.TrimRight(name, "0123456789")
		op = strings.TrimSuffix(op, "_")
		if op == "" {
			op = "Layer"
		}
		n := &model.Node{Name: name, OpType: op, Inputs: []string{}, Outputs: []string{}, Container: true}
		n.Category = categoryOf(&layer{class: op})
		for _, t := range byLayer[name] {
			n.Inputs = append(n.Inputs, t.Name)
			g.Initializers = append(g.Initializers, t)
		}
		g.Nodes = append(g.Nodes, n)
	}
	for _, t := range weights {
		first, _, _ := strings.Cut(t.Name, "/")
		if !slices.Contains(names, first) {
			g.Initializers = append(g.Initializers, t)
		}
	}
	return g
}
