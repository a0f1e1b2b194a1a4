package coreml

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// maxClassLabels is how many class labels the metadata lists.
const maxClassLabels = 10

// decoder holds the state of one spec decode.
type decoder struct {
	ctx  context.Context
	src  *source
	path string // the spec file, for tensor locations
	// weightsDir is the folder "@model_path" names; "" is the spec's folder.
	weightsDir string
	blobs      *blobFile
	warnings   []string
	functions  []*model.Graph
	// memberGraphs are the graphs of pipeline members, by their node.
	memberGraphs map[*model.Node]*model.Graph
	spent        int64 // estimated bytes of decoded structure
	budget       int64 // a limit below maxDecoded (tests), or 0
}

// maxDecoded bounds the estimated memory of the decoded structure, so a
// small file of empty layers cannot expand into gigabytes of nodes.
const maxDecoded = 128 << 20

// Estimated costs of decoded items, in bytes.
const (
	costNode   = 320
	costTensor = 256
	costValue  = 128
)

// charge accounts for decoded structure and fails past maxDecoded.
func (d *decoder) charge(cost int64) error {
	limit := int64(maxDecoded)
	if d.budget > 0 {
		limit = d.budget
	}
	if d.spent += cost; d.spent > limit {
		return fmt.Errorf("the model has too many layers or operations to show (over %d MiB of structure)", maxDecoded>>20)
	}
	return nil
}

// spec is a decoded Model message.
type spec struct {
	version   int64
	desc      description
	typeNum   int32
	typeName  string
	typeField field
}

// openSpecFile decodes a Model protobuf file (an .mlmodel, or the spec of
// an .mlpackage), read whole up to wholeLimit bytes and through a window
// beyond.
func openSpecFile(ctx context.Context, path string, wholeLimit int64) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := newSource(f, size, wholeLimit)
	if err != nil {
		return nil, err
	}
	d := &decoder{ctx: ctx, src: src, path: path}
	defer d.closeBlobs()
	return d.decodeModel()
}

// decodeModel decodes the whole file as a Model message.
func (d *decoder) decodeModel() (*model.Model, error) {
	s, err := d.readSpec(0, d.src.size, 0)
	if err != nil {
		return nil, err
	}
	g, facts, err := d.mainGraph(s, 0)
	if err != nil {
		return nil, err
	}
	g.Inputs, g.Outputs = s.desc.inputs, s.desc.outputs
	m := &model.Model{
		Format:    "coreml",
		Version:   fmt.Sprint(s.version),
		Graph:     g,
		Functions: d.functions,
		Warnings:  d.warnings,
		Metadata:  s.desc.userDefined,
		Facts:     facts,
	}
	m.Description = s.desc.meta["shortDescription"]
	if s.typeNum == typeMLProgram {
		m.FunctionsInNodeCount = true
		m.Opsets = opsetOf(facts["opset"])
	}
	d.modelFacts(m, s)
	return m, nil
}

// modelFacts fills the metadata facts every model type shares.
func (d *decoder) modelFacts(m *model.Model, s *spec) {
	m.Facts["specificationVersion"] = s.version
	m.Facts["model_type"] = s.typeName
	for _, k := range []string{"author", "shortDescription", "license", "versionString"} {
		if v := s.desc.meta[k]; v != "" {
			m.Facts[k] = v
		}
	}
	if s.desc.predicted != "" {
		m.Facts["predictedFeatureName"] = s.desc.predicted
	}
	m.Properties = append(m.Properties, model.Property{Name: "model type", Value: s.typeName},
		model.Property{Name: "specification version", Value: fmt.Sprint(s.version)})
	m.Producer = producer(s.desc.meta["author"], s.desc.userDefined)
	for _, k := range []string{"opset", "class_count", "trees", "tree_nodes", "author", "license", "versionString"} {
		if v, ok := m.Facts[k]; ok {
			m.Properties = append(m.Properties, model.Property{Name: k, Value: fmt.Sprint(v)})
		}
	}
}

// readSpec reads the top-level fields of the Model message at [off, off+n).
func (d *decoder) readSpec(off, n int64, depth pbwire.Depth) (*spec, error) {
	s := &spec{}
	err := d.src.walk(d.ctx, off, n, func(f field) error {
		switch {
		case f.Num == 1:
			s.version = int64(int32(f.Varint))
		case f.Num == 2:
			desc, err := d.description(f, depth)
			if err != nil {
				return fmt.Errorf("model description: %w", err)
			}
			s.desc = desc
		default:
			if name, ok := modelTypes[int32(f.Num)]; ok && f.Type == 2 {
				s.typeNum, s.typeName, s.typeField = int32(f.Num), name, f
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.typeName == "" {
		return nil, errors.New("the model holds no model type (not a Core ML model, or an empty one)")
	}
	return s, nil
}

// mainGraph builds the graph of a model by its type, with its type-specific
// metadata facts.
func (d *decoder) mainGraph(s *spec, depth pbwire.Depth) (*model.Graph, map[string]any, error) {
	facts := map[string]any{}
	var g *model.Graph
	var err error
	switch s.typeNum {
	case typeNN, typeNNRegressor, typeNNClassifier:
		g, err = d.network(s.typeField, depth, facts)
	case typePipeline, typePipelineClassifier, typePipelineRegressor:
		g, err = d.pipeline(s, depth, facts)
	case typeMLProgram:
		g, err = d.program(s.typeField, facts)
	default:
		g, err = d.singleNode(s, facts)
	}
	if err != nil {
		return nil, nil, within(err, "%s", s.typeName)
	}
	return g, facts, nil
}

// singleNode is the graph of a model type without layers: one node named
// by its type, wired to the model's inputs and outputs.
func (d *decoder) singleNode(s *spec, facts map[string]any) (*model.Graph, error) {
	n := &model.Node{Name: s.typeName, OpType: s.typeName, Inputs: names(s.desc.inputs), Outputs: names(s.desc.outputs)}
	if classifierTypes[s.typeNum] {
		if err := d.classLabels(s.typeField, facts); err != nil {
			return nil, err
		}
	}
	if s.typeNum == typeTreeRegressor || s.typeNum == typeTreeClassifier {
		if err := d.treeFacts(s.typeField, facts, n); err != nil {
			return nil, err
		}
	}
	return &model.Graph{Nodes: []*model.Node{n}, Inputs: []*model.Value{}, Outputs: []*model.Value{}}, nil
}

func names(vs []*model.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

// classLabels reads the class labels (fields 100 / 101) of a classifier
// message into class_count and the first class_labels.
func (d *decoder) classLabels(msg field, facts map[string]any) error {
	var labels []any
	count := 0
	err := d.src.sub(d.ctx, msg, func(f field) error {
		if f.Num != 100 && f.Num != 101 {
			return nil
		}
		return d.src.sub(d.ctx, f, func(v field) error {
			if v.Num != 1 {
				return nil
			}
			if f.Num == 100 {
				if count++; len(labels) < maxClassLabels {
					labels = append(labels, d.src.str(v))
				}
				return nil
			}
			ints, n, err := v.wire().Ints(nil, maxClassLabels-len(labels))
			for _, x := range ints {
				labels = append(labels, x)
			}
			count += n
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("class labels: %w", err)
	}
	if count > 0 {
		facts["class_count"] = count
		facts["class_labels"] = labels
	}
	return nil
}

// treeFacts counts the trees and nodes of a tree ensemble.
func (d *decoder) treeFacts(msg field, facts map[string]any, n *model.Node) error {
	trees := map[uint64]bool{}
	nodes := 0
	err := d.src.sub(d.ctx, msg, func(f field) error {
		if f.Num != 1 {
			return nil
		}
		return d.src.sub(d.ctx, f, func(p field) error {
			if p.Num != 1 {
				return nil
			}
			nodes++
			id := uint64(0) // proto3 leaves a zero treeId out
			err := d.src.sub(d.ctx, p, func(t field) error {
				if t.Num == 1 {
					id = t.Varint
				}
				return nil
			})
			if len(trees) < 1<<20 {
				trees[id] = true
			}
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("tree ensemble: %w", err)
	}
	facts["trees"], facts["tree_nodes"] = len(trees), nodes
	n.Attrs = append(n.Attrs, model.Attribute{Name: "trees", Type: model.AttrInt, Int: int64(len(trees))},
		model.Attribute{Name: "tree_nodes", Type: model.AttrInt, Int: int64(nodes)})
	return nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// producer names who wrote a model: the coremltools version recorded in
// its user-defined metadata, else its author.
func producer(author string, userDefined map[string]string) string {
	if v := userDefined["com.github.apple.coremltools.version"]; v != "" {
		return "coremltools " + v
	}
	return author
}

// opsetOf splits an ML Program opset name ("CoreML7", "ios16") into a
// domain and a version.
func opsetOf(v any) []model.Opset {
	name, _ := v.(string)
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	ver, err := strconv.ParseInt(name[i:], 10, 64)
	if name == "" || err != nil {
		return nil
	}
	return []model.Opset{{Domain: name[:i], Version: ver}}
}
