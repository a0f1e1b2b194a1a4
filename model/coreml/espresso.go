package coreml

import (
	"fmt"
	"os"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxEspresso is the largest model.espresso.net read (a JSON layer list).
const maxEspresso = 64 << 20

// espressoNet is the layer list a compiled neural network
// (model.espresso.net) holds: each layer names its type, its input blobs
// ("bottom") and output blobs ("top"), comma-separated.
type espressoNet struct {
	Layers []map[string]any `json:"layers"`
}

// espressoGraph reads model.espresso.net, when there is one, as the graph
// of a compiled neural network without model.mil.
func espressoGraph(root *os.Root, d *decoder) (*model.Graph, error) {
	var net espressoNet
	if err := readJSONLimit(root, "model.espresso.net", &net, maxEspresso); err != nil {
		return nil, err
	}
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	for i, l := range net.Layers {
		if err := d.charge(costNode); err != nil {
			return nil, err
		}
		n := &model.Node{
			Name:    str(l["name"]),
			OpType:  str(l["type"]),
			Inputs:  blobNames(l["bottom"]),
			Outputs: blobNames(l["top"]),
		}
		if n.Name == "" {
			n.Name = fmt.Sprintf("layer_%d", i)
		}
		n.Category = layerCategory(n.OpType)
		n.Attrs = espressoAttrs(l)
		g.Nodes = append(g.Nodes, n)
	}
	return g, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func blobNames(v any) []string {
	out := []string{}
	for _, s := range strings.Split(str(v), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// espressoAttrs keeps a layer's scalar settings as attributes.
func espressoAttrs(l map[string]any) []model.Attribute {
	var attrs []model.Attribute
	for _, k := range sortedKeys(l) {
		switch k {
		case "name", "type", "bottom", "top":
			continue
		}
		switch v := l[k].(type) {
		case float64:
			if v == float64(int64(v)) {
				attrs = append(attrs, model.Attribute{Name: k, Type: model.AttrInt, Int: int64(v)})
			} else {
				attrs = append(attrs, model.Attribute{Name: k, Type: model.AttrFloat, Float: v})
			}
		case string:
			attrs = append(attrs, model.Attribute{Name: k, Type: model.AttrString, String: v})
		case bool:
			b := int64(0)
			if v {
				b = 1
			}
			attrs = append(attrs, model.Attribute{Name: k, Type: model.AttrBool, Int: b})
		}
	}
	return attrs
}
