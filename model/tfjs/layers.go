package tfjs

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/keras"
)

// maxNest bounds how deep nested models are walked after keras built them.
const maxNest = 64

// decodeLayersModel draws a layers model with the Keras config reader.
// tfjs counts InputLayers as layers, so each becomes a node fed by the
// graph input of the same name.
func decodeLayersModel(m *model.Model, raw json.RawMessage, w *weights) error {
	var topo map[string]any
	if err := json.Unmarshal(raw, &topo); err != nil {
		return fmt.Errorf("modelTopology: %w", err)
	}
	if mc, ok := topo["model_config"].(map[string]any); ok {
		topo = mc
	}
	if _, ok := topo["config"]; !ok {
		return errors.New("modelTopology has neither graph nodes nor a Keras model config")
	}
	g, class, warnings, err := keras.ConfigGraph(topo, w.tensors, func(name string) string {
		first, _, _ := strings.Cut(name, "/")
		return first
	})
	if err != nil {
		return fmt.Errorf("layers model: %w", err)
	}
	addInputLayers(g, inputLayerNames(topo, 0, map[string]bool{}), 0)
	attachNested(g, w.tensors, 0)
	g.Initializers = w.tensors // in manifest order
	m.Graph = g
	m.Warnings = append(m.Warnings, warnings...)
	m.Metadata["class_name"] = class
	if v, ok := topo["keras_version"].(string); ok {
		m.Metadata["keras_version"] = v
	}
	if v, ok := topo["backend"].(string); ok {
		m.Metadata["backend"] = v
	}
	return nil
}

// addInputLayers puts an InputLayer node behind each graph input of g
// and of its nested models, and relinks calls of nested models that name
// an output by a node index the nested graph does not have.
func addInputLayers(g *model.Graph, inputLayers map[string]bool, depth int) {
	if depth > maxNest {
		return
	}
	var front []*model.Node
	rename := map[string]string{}
	for _, in := range g.Inputs {
		if !inputLayers[in.Name] {
			continue
		}
		out := in.Name + ":out"
		rename[in.Name] = out
		n := &model.Node{Name: in.Name, OpType: "InputLayer", Inputs: []string{in.Name}, Outputs: []string{out}, Category: "data"}
		if in.Type != nil {
			n.Attrs = []model.Attribute{
				{Name: "dtype", Type: model.AttrString, String: string(in.Type.DType)},
				{Name: "batch_input_shape", Type: model.AttrString, String: in.Type.Shape.String()},
			}
		}
		front = append(front, n)
	}
	produced := map[string]bool{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			produced[o] = true
		}
	}
	for _, n := range g.Nodes {
		for i, v := range n.Inputs {
			if r, ok := rename[v]; ok {
				n.Inputs[i] = r
			} else if !produced[v] {
				n.Inputs[i] = relink(v, produced)
			}
		}
		for _, sg := range n.Subgraphs() {
			addInputLayers(sg, inputLayers, depth+1)
		}
	}
	g.Nodes = append(front, g.Nodes...)
}

// inputLayerNames collects the names of the InputLayers of a model config
// and of the models nested in it (not the input keras invents in front
// of a Sequential model).
func inputLayerNames(obj map[string]any, depth int, out map[string]bool) map[string]bool {
	if depth > maxNest {
		return out
	}
	var layers []any
	switch c := obj["config"].(type) {
	case []any:
		layers = c
	case map[string]any:
		layers, _ = c["layers"].([]any)
	}
	for _, lv := range layers {
		l, ok := lv.(map[string]any)
		if !ok {
			continue
		}
		if l["class_name"] == "InputLayer" {
			cfg, _ := l["config"].(map[string]any)
			if name, ok := cfg["name"].(string); ok {
				out[name] = true
			} else if name, ok := l["name"].(string); ok {
				out[name] = true
			}
		}
		inputLayerNames(l, depth+1, out)
	}
	return out
}

// relink maps "layer:node:tensor" to an output the layer's node has, for
// nested models called with the node index of their outer call.
func relink(v string, produced map[string]bool) string {
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return v
	}
	t, err := strconv.Atoi(parts[2])
	if err != nil {
		return v
	}
	if t == 0 && produced[parts[0]] {
		return parts[0]
	}
	if c := fmt.Sprintf("%s:0:%d", parts[0], t); produced[c] {
		return c
	}
	return v
}

// attachNested gives the layers of nested models their weights (keras
// attaches only the top level's): a weight "<layer>/..." feeds the node of
// that layer and is listed among its subgraph's initializers.
func attachNested(g *model.Graph, weights []*model.Tensor, depth int) {
	byLayer := map[string][]*model.Tensor{}
	for _, t := range weights {
		first, _, _ := strings.Cut(t.Name, "/")
		byLayer[first] = append(byLayer[first], t)
	}
	budget := 4*len(weights) + 1024 // attachments: a weight usually feeds one layer
	attachIn(g, byLayer, depth, &budget)
}

func attachIn(g *model.Graph, byLayer map[string][]*model.Tensor, depth int, budget *int) {
	if depth > maxNest || *budget <= 0 {
		return
	}
	for _, n := range g.Nodes {
		for _, sg := range n.Subgraphs() {
			for _, sn := range sg.Nodes {
				have := map[string]bool{}
				for _, in := range sn.Inputs {
					have[in] = true
				}
				for _, t := range byLayer[sn.Name] {
					if !have[t.Name] && *budget > 0 {
						*budget--
						have[t.Name] = true
						sn.Inputs = append(sn.Inputs, t.Name)
						sg.Initializers = append(sg.Initializers, t)
					}
				}
			}
			attachIn(sg, byLayer, depth+1, budget)
		}
	}
}
