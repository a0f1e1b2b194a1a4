package caffe

import (
	"fmt"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/prototext"
)

// textNet reads a NetParameter in text format (.prototxt). Fields the
// schema does not know are refused, as protobuf's text parser does.
func textNet(m *prototext.Msg, budget *int64) (*net, error) {
	n := &net{}
	if err := known(m, "NetParameter"); err != nil {
		return nil, err
	}
	n.name = m.Str("name")
	for _, f := range m.All("input") {
		n.inputs = append(n.inputs, f.Text)
	}
	for _, f := range m.All("input_dim") {
		v, err := f.Int()
		if err != nil {
			return nil, err
		}
		n.inputDims = append(n.inputDims, v)
	}
	for _, f := range m.All("input_shape") {
		n.inputShapes = append(n.inputShapes, textShape(f.Msg))
	}
	for _, f := range m.Fields {
		if f.Name != "layer" && f.Name != "layers" {
			continue
		}
		if *budget -= costLayer; *budget < 0 {
			return nil, errTooBig
		}
		l, err := textLayer(f, f.Name == "layers")
		if err != nil {
			return nil, err
		}
		n.layers = append(n.layers, l)
		n.v1 = n.v1 || f.Name == "layers"
		n.v2 = n.v2 || f.Name == "layer"
	}
	return n, nil
}

// known checks the field names of the net and its layers against
// caffe.proto, as protobuf's text parser does; parameter messages of
// layers from Caffe forks (an unknown "..._param") are let through, and
// parameter contents are not checked.
func known(m *prototext.Msg, msgName string) error {
	if err := knownFields(m, msgName); err != nil {
		return err
	}
	for _, f := range m.Fields {
		layerMsg := map[string]string{"layer": "LayerParameter", "layers": "V1LayerParameter"}[f.Name]
		if layerMsg == "" || f.Msg == nil {
			continue
		}
		if err := knownFields(f.Msg, layerMsg); err != nil {
			return err
		}
	}
	return nil
}

// knownFields checks one message's field names and value kinds.
func knownFields(m *prototext.Msg, msgName string) error {
	byName := make(map[string]fieldDef, len(schema[msgName]))
	for _, d := range schema[msgName] {
		byName[d.name] = d
	}
	for _, f := range m.Fields {
		d, ok := byName[f.Name]
		switch {
		case !ok && msgName != "NetParameter" && strings.HasSuffix(f.Name, "_param") && f.Kind == prototext.Message:
		case !ok:
			return fmt.Errorf("%w: line %d:%d: message %s has no field named %q", prototext.ErrSyntax, f.Line, f.Col, msgName, f.Name)
		case (d.kind == kMessage) != (f.Kind == prototext.Message):
			return fmt.Errorf("%w: line %d:%d: field %q of %s has the wrong kind of value", prototext.ErrSyntax, f.Line, f.Col, f.Name, msgName)
		}
	}
	return nil
}

// textLayer reads a layer or legacy layers entry.
func textLayer(f *prototext.Field, v1 bool) (*layer, error) {
	m := f.Msg
	if m == nil {
		return nil, fmt.Errorf("%w: line %d: a layer is not a message", prototext.ErrSyntax, f.Line)
	}
	l := &layer{name: m.Str("name"), typ: m.Str("type")}
	for _, b := range m.All("bottom") {
		l.bottoms = append(l.bottoms, b.Text)
	}
	for _, t := range m.All("top") {
		l.tops = append(l.tops, t.Text)
	}
	for _, s := range m.Sub("input_param").All("shape") {
		l.shapes = append(l.shapes, textShape(s.Msg))
	}
	for _, p := range m.Fields {
		if p.Kind != prototext.Message || !strings.HasSuffix(p.Name, "_param") || p.Name == "input_param" {
			continue
		}
		for _, pf := range p.Msg.Fields {
			if a, ok := textAttr(pf); ok {
				mergeList(l, a)
			}
		}
	}
	return l, nil
}

// textShape reads a BlobShape's dims.
func textShape(m *prototext.Msg) []int64 {
	dims := []int64{}
	for _, d := range m.All("dim") {
		v, _ := d.Int()
		dims = append(dims, v)
	}
	return dims
}

// textAttr types one scalar parameter field by its spelling.
func textAttr(f *prototext.Field) (model.Attribute, bool) {
	a := model.Attribute{Name: f.Name}
	switch f.Kind {
	case prototext.String:
		a.Type, a.String = model.AttrString, f.Text
	case prototext.Ident:
		if b, err := f.Bool(); err == nil {
			a.Type = model.AttrBool
			if b {
				a.Int = 1
			}
		} else if v, err := f.Float(); err == nil {
			a.Type, a.Float = model.AttrFloat, v
		} else {
			a.Type, a.String = model.AttrString, f.Text
		}
	case prototext.Number:
		if v, err := f.Int(); err == nil {
			a.Type, a.Int = model.AttrInt, v
		} else if v, err := f.Float(); err == nil {
			a.Type, a.Float = model.AttrFloat, v
		} else {
			return a, false
		}
	case prototext.Message:
		if f.Name != "shape" {
			return a, false
		}
		a.Type, a.Ints = model.AttrInts, textShape(f.Msg)
	}
	return a, true
}
