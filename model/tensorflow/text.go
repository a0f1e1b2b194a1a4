package tensorflow

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model/internal/prototext"
)

// text reads TensorFlow protos written in protobuf text format (.pbtxt)
// from a parsed tree. Tensors in text files have no byte location.
type text struct {
	w *wire // for the structure budget
}

func (t *text) savedModel(m *prototext.Msg) (*savedModel, error) {
	sm := &savedModel{}
	v, err := m.Int("saved_model_schema_version")
	if err != nil {
		return nil, err
	}
	sm.schemaVersion = v
	for _, f := range m.All("meta_graphs") {
		mg, err := t.metaGraph(f.Msg)
		if err != nil {
			return nil, fmt.Errorf("meta graph %d: %w", len(sm.metaGraphs), err)
		}
		sm.metaGraphs = append(sm.metaGraphs, mg)
	}
	return sm, nil
}

func (t *text) metaGraph(m *prototext.Msg) (*metaGraph, error) {
	mg := &metaGraph{}
	if info := m.Sub("meta_info_def"); info != nil {
		for _, f := range info.All("tags") {
			mg.tags = append(mg.tags, f.Text)
		}
		mg.tfVersion = info.Str("tensorflow_version")
	}
	if g := m.Sub("graph_def"); g != nil {
		var err error
		if mg.graph, err = t.graphDef(g); err != nil {
			return nil, err
		}
	}
	for _, f := range m.All("signature_def") {
		s := &signature{key: f.Msg.Str("key")}
		def := f.Msg.Sub("value")
		s.method = def.Str("method_name")
		s.inputs = t.tensorInfos(def.All("inputs"))
		s.outputs = t.tensorInfos(def.All("outputs"))
		mg.signatures = append(mg.signatures, s)
	}
	if og := m.Sub("object_graph_def"); og != nil {
		mg.hasObjGraph = true
		mg.objectNodes = int64(len(og.All("nodes")))
	}
	return mg, nil
}

func (t *text) tensorInfos(fs []*prototext.Field) []*sigTensor {
	var out []*sigTensor
	for _, f := range fs {
		v := f.Msg.Sub("value")
		out = append(out, &sigTensor{key: f.Msg.Str("key"), name: v.Str("name"),
			dtype: dtypeByName(v.Str("dtype")), shape: t.shape(v.Sub("tensor_shape"))})
	}
	return out
}

func (t *text) graphDef(m *prototext.Msg) (*graphDef, error) {
	g := &graphDef{}
	for _, f := range m.All("node") {
		n, err := t.nodeDef(f.Msg)
		if err != nil {
			return nil, err
		}
		g.nodes = append(g.nodes, n)
	}
	if v := m.Sub("versions"); v != nil {
		g.hasVers = true
		p, err := v.Int("producer")
		if err != nil {
			return nil, err
		}
		g.producer = p
	}
	for _, f := range m.Sub("library").All("function") {
		fn, err := t.funcDef(f.Msg)
		if err != nil {
			return nil, err
		}
		g.funcs = append(g.funcs, fn)
	}
	return g, nil
}

func (t *text) funcDef(m *prototext.Msg) (*funcDef, error) {
	fn := &funcDef{ret: map[string]string{}}
	sig := m.Sub("signature")
	fn.name = sig.Str("name")
	for _, a := range sig.All("input_arg") {
		fn.inputs = append(fn.inputs, argDef{name: a.Msg.Str("name"), dtype: dtypeByName(a.Msg.Str("type"))})
	}
	for _, a := range sig.All("output_arg") {
		fn.outputs = append(fn.outputs, argDef{name: a.Msg.Str("name"), dtype: dtypeByName(a.Msg.Str("type"))})
	}
	for _, f := range m.All("node_def") {
		n, err := t.nodeDef(f.Msg)
		if err != nil {
			return nil, err
		}
		fn.nodes = append(fn.nodes, n)
	}
	for _, f := range m.All("ret") {
		fn.ret[f.Msg.Str("key")] = f.Msg.Str("value")
	}
	return fn, nil
}

func (t *text) nodeDef(m *prototext.Msg) (*nodeDef, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: a node is not a message", prototext.ErrSyntax)
	}
	if err := t.w.spend(costNode); err != nil {
		return nil, err
	}
	n := &nodeDef{name: m.Str("name"), op: m.Str("op"), device: m.Str("device")}
	for _, f := range m.All("input") {
		n.inputs = append(n.inputs, f.Text)
	}
	for _, f := range m.All("attr") {
		if err := t.w.spend(costAttr); err != nil {
			return nil, err
		}
		v, err := t.attrValue(f.Msg.Sub("value"))
		if err != nil {
			return nil, fmt.Errorf("node %q attr %q: %w", n.name, f.Msg.Str("key"), err)
		}
		n.attrs = append(n.attrs, &attr{name: f.Msg.Str("key"), val: v})
	}
	return n, nil
}

// attrValue reads an AttrValue; the last member written wins.
func (t *text) attrValue(m *prototext.Msg) (attrValue, error) {
	var v attrValue
	if m == nil {
		return v, nil
	}
	for _, f := range m.Fields {
		if err := t.attrMember(f, &v); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (t *text) attrMember(f *prototext.Field, v *attrValue) error {
	var err error
	switch f.Name {
	case "s":
		v.kind, v.s = attrS, f.Text
	case "i":
		v.kind = attrI
		v.i, err = f.Int()
	case "f":
		v.kind = attrF
		v.f, err = f.Float()
	case "b":
		v.kind = attrB
		v.b, err = f.Bool()
	case "type":
		v.kind, v.typ = attrType, dtypeByName(f.Text)
	case "shape":
		v.kind, v.shape = attrShape, t.shape(f.Msg)
	case "tensor":
		v.kind, v.tensor = attrTensor, t.tensor(f.Msg)
	case "list":
		v.kind = attrList
		err = t.list(f.Msg, v)
	case "func":
		v.kind, v.s = attrFunc, f.Msg.Str("name")
	case "placeholder":
		v.kind, v.s = attrPlaceholder, f.Text
	}
	return err
}

func (t *text) list(m *prototext.Msg, v *attrValue) error {
	if m == nil {
		return nil
	}
	for _, f := range m.Fields {
		v.count++
		if v.count > maxListItems {
			continue
		}
		var err error
		switch f.Name {
		case "s":
			v.ss = append(v.ss, f.Text)
		case "i":
			var x int64
			x, err = f.Int()
			v.is = append(v.is, x)
		case "f":
			var x float64
			x, err = f.Float()
			v.fs = append(v.fs, x)
		case "b":
			var x bool
			x, err = f.Bool()
			v.bs = append(v.bs, x)
		case "type":
			v.types = append(v.types, dtypeByName(f.Text))
		case "shape":
			v.shapes = append(v.shapes, t.shape(f.Msg))
		case "tensor":
			v.tensors = append(v.tensors, t.tensor(f.Msg))
		case "func":
			v.funcs = append(v.funcs, f.Msg.Str("name"))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *text) shape(m *prototext.Msg) shapeInfo {
	if m == nil {
		return shapeInfo{}
	}
	s := shapeInfo{present: true, dims: []int64{}}
	if b := m.Get("unknown_rank"); b != nil {
		s.unknownRank, _ = b.Bool()
	}
	for _, d := range m.All("dim") {
		size, _ := d.Msg.Int("size")
		s.dims = append(s.dims, size)
	}
	return s
}

func (t *text) tensor(m *prototext.Msg) *tensorInfo {
	if m == nil {
		return &tensorInfo{}
	}
	return &tensorInfo{dtype: dtypeByName(m.Str("dtype")), shape: t.shape(m.Sub("tensor_shape"))}
}
