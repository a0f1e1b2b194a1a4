package tflite

import (
	"fmt"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// servingDefault is the signature key converters give a model's main entry
// point.
const servingDefault = "serving_default"

// rawSignature is a SignatureDef as stored: tensors by index in the
// signature's subgraph.
type rawSignature struct {
	key      string
	subgraph int
	inputs   []tensorAlias
	outputs  []tensorAlias
}

// tensorAlias is one TensorMap: the signature's name for a tensor.
type tensorAlias struct {
	name   string
	tensor int
}

// decodeSignatures reads the model's SignatureDefs; nsg bounds the
// subgraph indices they may name.
func (d *decoder) decodeSignatures(mt flatbuf.Table, nsg int) []rawSignature {
	start, n := d.TableVector(mt, modelSignatureDefs)
	if !d.Charge(n) {
		return nil
	}
	var sigs []rawSignature
	for i := int64(0); i < n; i++ {
		t, ok := d.Elem(start, i)
		if !ok {
			return sigs
		}
		sig := rawSignature{key: d.Str(t, signatureKey), subgraph: int(d.Uint32(t, signatureSubgraph, 0))}
		if sig.subgraph >= nsg {
			d.warnings = append(d.warnings, fmt.Sprintf("signature %q names subgraph %d, but the model has %d", sig.key, sig.subgraph, nsg))
			continue
		}
		sig.inputs = d.tensorAliases(t, signatureInputs)
		sig.outputs = d.tensorAliases(t, signatureOutputs)
		sigs = append(sigs, sig)
	}
	return sigs
}

func (d *decoder) tensorAliases(t flatbuf.Table, slot int) []tensorAlias {
	vs, n := d.TableVector(t, slot)
	var out []tensorAlias
	for j := int64(0); j < n && d.Charge(1); j++ {
		tm, ok := d.Elem(vs, j)
		if !ok {
			break
		}
		out = append(out, tensorAlias{name: d.Str(tm, tensorMapName), tensor: int(d.Uint32(tm, tensorMapIndex, 0))})
	}
	return out
}

// mainSubgraph is the subgraph of the serving_default signature, else 0.
func mainSubgraph(sigs []rawSignature) int {
	for _, s := range sigs {
		if s.key == servingDefault {
			return s.subgraph
		}
	}
	return 0
}

// addSignatures records the signatures in the model: as Signatures (with
// each tensor's name, dtype and shape) and as properties for the panel.
func (out *decoded) addSignatures(sigs []rawSignature, sgs []subgraph) {
	for _, s := range sigs {
		g := sgs[s.subgraph].g
		names := out.valueNames[s.subgraph]
		ms := model.Signature{
			Key: s.key, Subgraph: s.subgraph, Graph: out.graphPath[s.subgraph],
			Inputs:  signatureValues(s.inputs, names, g),
			Outputs: signatureValues(s.outputs, names, g),
		}
		out.m.Signatures = append(out.m.Signatures, ms)
		out.m.Properties = append(out.m.Properties, model.Property{
			Name:  "signature " + s.key,
			Value: fmt.Sprintf("%s; inputs: %s; outputs: %s", subgraphLabel(s.subgraph, g), aliasText(ms.Inputs), aliasText(ms.Outputs)),
		})
	}
}

// signatureValues resolves aliases to the subgraph's tensors.
func signatureValues(as []tensorAlias, names []string, g *model.Graph) []model.SignatureValue {
	out := make([]model.SignatureValue, 0, len(as))
	for _, a := range as {
		v := model.SignatureValue{Name: a.name}
		if a.tensor >= 0 && a.tensor < len(names) {
			v.Tensor = names[a.tensor]
			if t := valueType(g, v.Tensor); t != nil {
				v.DType, v.Shape = t.DType, t.Shape
			}
		}
		out = append(out, v)
	}
	return out
}

// valueType finds the type of the value called name in g.
func valueType(g *model.Graph, name string) *model.Type {
	for _, vs := range [][]*model.Value{g.Inputs, g.Outputs, g.ValueInfo} {
		for _, v := range vs {
			if v.Name == name {
				return v.Type
			}
		}
	}
	return nil
}

func subgraphLabel(i int, g *model.Graph) string {
	label := "subgraph " + strconv.Itoa(i)
	if g.Name != "" && g.Name != label {
		label += " (" + g.Name + ")"
	}
	return label
}

// aliasText spells "x → serving_x:0, y" for the panel.
func aliasText(vs []model.SignatureValue) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		s += v.Name
		if v.Tensor != "" && v.Tensor != v.Name {
			s += " → " + v.Tensor
		}
	}
	return s
}
