package coreml

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// pipeline builds the graph of a pipeline: one node per member model, named
// by the pipeline's names (else the member's type), wired through the
// members' described inputs and outputs. A member with a graph of its own
// (a neural network, a nested pipeline, an ML Program) is also listed in
// Model.Functions under the node's name, and its weights are the
// pipeline's.
func (d *decoder) pipeline(s *spec, depth pbwire.Depth, facts map[string]any) (*model.Graph, error) {
	depth, err := depth.Enter()
	if err != nil {
		return nil, err
	}
	msg := s.typeField
	if s.typeNum != typePipeline {
		var inner field
		err := d.src.sub(d.ctx, msg, func(f field) error {
			if f.Num == 1 {
				inner = f
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		msg = inner
	}
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	var memberNames []string
	if msg.Len > 0 {
		err = d.src.sub(d.ctx, msg, func(f field) error {
			switch f.Num {
			case 1:
				return d.member(f, g, depth, facts)
			case 2:
				memberNames = append(memberNames, d.src.str(f))
			}
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	for i, n := range g.Nodes {
		if i < len(memberNames) && memberNames[i] != "" {
			n.Name = memberNames[i]
		}
		if mg := d.memberGraphs[n]; mg != nil {
			mg.Name = n.Name
		}
	}
	return g, nil
}

// member decodes one model of a pipeline into a node of g.
func (d *decoder) member(f field, g *model.Graph, depth pbwire.Depth, facts map[string]any) error {
	if err := d.charge(costNode); err != nil {
		return err
	}
	ms, err := d.readSpec(f.Off, f.Len, depth)
	if err != nil {
		return within(err, "pipeline model %d", len(g.Nodes))
	}
	mg, mf, err := d.mainGraph(ms, depth)
	if err != nil {
		return within(err, "pipeline model %d", len(g.Nodes))
	}
	n := &model.Node{
		Name:    fmt.Sprintf("%s_%d", ms.typeName, len(g.Nodes)),
		OpType:  ms.typeName,
		Inputs:  names(ms.desc.inputs),
		Outputs: names(ms.desc.outputs),
		Attrs:   []model.Attribute{{Name: "specificationVersion", Type: model.AttrInt, Int: ms.version}},
	}
	switch ms.typeNum {
	case typeNN, typeNNRegressor, typeNNClassifier, typePipeline, typePipelineClassifier, typePipelineRegressor, typeMLProgram:
		mg.Inputs, mg.Outputs = ms.desc.inputs, ms.desc.outputs
		g.Initializers = append(g.Initializers, mg.Initializers...)
		d.functions = append(d.functions, mg)
		if d.memberGraphs == nil {
			d.memberGraphs = map[*model.Node]*model.Graph{}
		}
		d.memberGraphs[n] = mg
		n.Doc = "its graph is listed among the model's functions"
	default:
		n.Attrs = append(n.Attrs, mg.Nodes[0].Attrs...)
	}
	if c, ok := mf["class_count"]; ok {
		facts["class_count"], facts["class_labels"] = c, mf["class_labels"]
	}
	g.Nodes = append(g.Nodes, n)
	return nil
}
