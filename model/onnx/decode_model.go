package onnx

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx/shapeinfer"
)

// ModelProto field numbers.
const (
	modelIRVersion     = 1
	modelProducerName  = 2
	modelProducerVer   = 3
	modelDomain        = 4
	modelModelVersion  = 5
	modelDoc           = 6
	modelGraph         = 7
	modelOpsetImport   = 8
	modelMetadataProps = 14
	modelTrainingInfo  = 20
	modelFunctions     = 25
)

// modelHead is what a ModelProto says besides its graph, gathered before
// the properties are set.
type modelHead struct {
	producer, producerVersion, domain string
	modelVersion                      int64
	hasModelVersion                   bool
	training                          []*model.Graph
	graphs                            []field // the graph fields; the last one counts
}

// modelProto decodes the whole file as a ModelProto. The main graph is
// decoded last, once the opsets and functions are known, so that shape
// inference can run beside the decoding of its nodes (graphStream).
func (d *decoder) modelProto() (*model.Model, error) {
	m := &model.Model{Format: "onnx"}
	var h modelHead
	err := d.each(0, d.src.size, func(f field) error {
		if err := d.modelField(m, &h, f); err != nil {
			return fmt.Errorf("model: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Training graphs count as functions, for inference too.
	m.Functions = append(m.Functions, h.training...)
	stream, err := d.mainGraph(m, h.graphs)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer stream.Stop() // Finish stops it too; this covers a panic
	h.setProperties(m)
	d.finish(m)
	stream.Names(d.lookupName())
	d.releaseScratch()
	stream.Finish()
	model.ShareTypes(m)
	return m, nil
}

// setProperties sets m's producer and properties from h.
func (h *modelHead) setProperties(m *model.Model) {
	m.Producer = strings.TrimSpace(h.producer + " " + h.producerVersion)
	if h.domain != "" {
		m.Properties = append(m.Properties, model.Property{Name: "domain", Value: h.domain})
	}
	if h.hasModelVersion {
		m.Properties = append(m.Properties, model.Property{Name: "model version", Value: strconv.FormatInt(h.modelVersion, 10)})
	}
	if len(h.training) > 0 {
		m.Properties = append(m.Properties, model.Property{Name: "training graphs", Value: strconv.Itoa(len(h.training))})
	}
}

// modelField decodes field f of the ModelProto into m or h; graph fields
// are only noted.
func (d *decoder) modelField(m *model.Model, h *modelHead, f field) error {
	var err error
	switch f.num {
	case modelIRVersion:
		if err = want(f, protowire.VarintType, "ir_version"); err == nil {
			m.Version = strconv.FormatInt(int64(f.v), 10)
		}
	case modelProducerName:
		h.producer, err = d.str(f)
	case modelProducerVer:
		h.producerVersion, err = d.str(f)
	case modelDomain:
		h.domain, err = d.str(f)
	case modelModelVersion:
		if err = want(f, protowire.VarintType, "model_version"); err == nil {
			h.modelVersion, h.hasModelVersion = int64(f.v), true
		}
	case modelDoc:
		m.Description, err = d.doc(f)
	case modelGraph:
		if err = want(f, protowire.BytesType, "graph"); err == nil {
			h.graphs = append(h.graphs, f)
		}
	case modelOpsetImport:
		var o model.Opset
		if o, err = d.opset(f); err == nil {
			m.Opsets = append(m.Opsets, o)
		}
	case modelMetadataProps:
		err = d.metadataProp(m, f)
	case modelTrainingInfo:
		var gs []*model.Graph
		if gs, err = d.trainingInfo(f, len(h.training)/2); err == nil {
			h.training = append(h.training, gs...)
		}
	case modelFunctions:
		var g *model.Graph
		if g, err = d.function(f); err == nil {
			m.Functions = append(m.Functions, g)
		}
	}
	return err
}

// metadataProp decodes one metadata_props entry into m.Metadata.
func (d *decoder) metadataProp(m *model.Model, f field) error {
	k, v, err := d.stringPair(f)
	if err != nil {
		return err
	}
	if m.Metadata == nil {
		m.Metadata = map[string]string{}
	}
	m.Metadata[k] = v
	return nil
}

// mainGraph decodes the model's graph fields into m.Graph (the last one
// counts, as protobuf merges a repeated message field's occurrences) and
// returns the shape inference running beside the decoding of its nodes;
// the caller finishes it once m is complete.
func (d *decoder) mainGraph(m *model.Model, graphs []field) (*shapeinfer.Stream, error) {
	if len(graphs) == 0 {
		m.Graph = emptyGraph()
		return shapeinfer.StartFill(d.ctx, m, shapeinfer.Options{DType: DType}, 0), nil
	}
	last := graphs[len(graphs)-1]
	for _, f := range graphs[:len(graphs)-1] {
		if _, err := d.graph(f.off, f.end()); err != nil {
			return nil, err
		}
	}
	return d.graphStream(m, last.off, last.end())
}

// opset decodes an OperatorSetIdProto.
func (d *decoder) opset(f field) (model.Opset, error) {
	var o model.Opset
	if err := want(f, protowire.BytesType, "opset_import"); err != nil {
		return o, err
	}
	err := d.each(f.off, f.end(), func(f field) error {
		var err error
		switch f.num {
		case 1:
			o.Domain, err = d.str(f)
		case 2:
			if err = want(f, protowire.VarintType, "opset version"); err == nil {
				o.Version = int64(f.v)
			}
		}
		return err
	})
	o.Domain = normDomain(o.Domain)
	return o, err
}

// normDomain maps the default domain's long name to "".
func normDomain(s string) string {
	if s == "ai.onnx" {
		return ""
	}
	return s
}

// stringPair decodes a StringStringEntryProto.
func (d *decoder) stringPair(f field) (k, v string, err error) {
	if err := want(f, protowire.BytesType, "key/value entry"); err != nil {
		return "", "", err
	}
	err = d.each(f.off, f.end(), func(f field) error {
		var err error
		switch f.num {
		case 1:
			k, err = d.str(f)
		case 2:
			v, err = d.str(f)
		}
		return err
	})
	return k, v, err
}

// trainingInfo decodes a TrainingInfoProto into its initialization and
// algorithm graphs, named after their role.
func (d *decoder) trainingInfo(f field, index int) ([]*model.Graph, error) {
	if err := want(f, protowire.BytesType, "training_info"); err != nil {
		return nil, err
	}
	var gs []*model.Graph
	err := d.each(f.off, f.end(), func(f field) error {
		var role string
		switch f.num {
		case 1:
			role = "initialization"
		case 2:
			role = "algorithm"
		default:
			return nil
		}
		if err := want(f, protowire.BytesType, "training graph"); err != nil {
			return err
		}
		g, err := d.graph(f.off, f.end())
		if err != nil {
			return err
		}
		if g.Name == "" {
			g.Name = role
		}
		g.Name = fmt.Sprintf("training %d %s: %s", index, role, g.Name)
		gs = append(gs, g)
		return nil
	})
	return gs, err
}

// FunctionProto field numbers.
const (
	funcName       = 1
	funcInput      = 4
	funcOutput     = 5
	funcAttribute  = 6
	funcNode       = 7
	funcDoc        = 8
	funcOpset      = 9
	funcDomain     = 10
	funcAttrProto  = 11
	funcValueInfo  = 12
	funcOverload   = 13
	funcMetaProps  = 14
	maxFuncAttrDoc = 64
)

// function decodes a model-local FunctionProto into a graph named
// "domain::name" (just "name" in the default domain), as nodes calling it
// are keyed by model.OpKey.
func (d *decoder) function(f field) (*model.Graph, error) {
	if err := want(f, protowire.BytesType, "function"); err != nil {
		return nil, err
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	g := emptyGraph()
	var name, domain, overload string
	var attrs []string
	err := d.each(f.off, f.end(), func(f field) error {
		var err error
		switch f.num {
		case funcName:
			name, err = d.str(f)
		case funcDomain:
			domain, err = d.str(f)
		case funcOverload:
			overload, err = d.str(f)
		case funcInput, funcOutput:
			var s string
			if s, err = d.str(f); err == nil {
				v := &model.Value{Name: s}
				if f.num == funcInput {
					g.Inputs = append(g.Inputs, v)
				} else {
					g.Outputs = append(g.Outputs, v)
				}
			}
		case funcAttribute:
			var s string
			if s, err = d.str(f); err == nil && len(attrs) < maxFuncAttrDoc {
				attrs = append(attrs, s)
			}
		case funcAttrProto:
			var a model.Attribute
			if a, err = d.attribute(f); err == nil && len(attrs) < maxFuncAttrDoc {
				attrs = append(attrs, a.Name)
			}
		case funcNode:
			err = d.appendNode(g, f)
		case funcValueInfo:
			var v *model.Value
			if v, err = d.valueInfo(f); err == nil {
				g.ValueInfo = append(g.ValueInfo, v)
			}
		case funcDoc:
			g.Doc, err = d.doc(f)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("function %q: %w", name, err)
	}
	g.Name = name
	if domain = normDomain(domain); domain != "" {
		g.Name = domain + "::" + name
	}
	if overload != "" {
		g.Name += ":" + overload
	}
	if len(attrs) > 0 {
		sep := ""
		if g.Doc != "" {
			sep = "\n"
		}
		g.Doc += sep + "attributes: " + strings.Join(attrs, ", ")
	}
	return g, nil
}
