package tflite

import (
	"fmt"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// tensorInfo is one decoded tensor of a subgraph.
type tensorInfo struct {
	name string // unique value name within the subgraph
	typ  *model.Type
	doc  string        // quantisation summary
	init *model.Tensor // set when the tensor has data
}

// subgraphDecoder decodes one subgraph in stages: its tensors, its input
// and output lists, then its operators.
type subgraphDecoder struct {
	d       *decoder
	index   int
	st      flatbuf.Table
	g       *model.Graph
	tensors []tensorInfo
	names   []string
}

// decodeSubgraph decodes subgraph index (table st) and returns it with the
// histogram of its operators and its tensors' value names.
func (d *decoder) decodeSubgraph(index int, st flatbuf.Table) (subgraph, map[string]int, []string, error) {
	g := &model.Graph{Name: d.Str(st, subgraphName), Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	if g.Name == "" {
		g.Name = "subgraph " + strconv.Itoa(index)
	}
	sd := &subgraphDecoder{d: d, index: index, st: st, g: g}
	if err := sd.decodeTensors(); err != nil {
		return subgraph{}, nil, nil, err
	}
	if err := sd.decodeIO(); err != nil {
		return subgraph{}, nil, nil, err
	}
	sg, hist, err := sd.decodeOperators()
	if err != nil {
		return subgraph{}, nil, nil, err
	}
	return sg, hist, sd.names, nil
}

// fail is the error of a damaged part of the subgraph.
func (sd *subgraphDecoder) fail(what string) error {
	return sd.d.wrap(fmt.Sprintf("subgraph %d %s", sd.index, what))
}

// decodeTensors decodes the tensors: those with data become initializers,
// the others value infos.
func (sd *subgraphDecoder) decodeTensors() error {
	d, g := sd.d, sd.g
	tStart, nt := d.TableVector(sd.st, subgraphTensors)
	if d.Err != nil {
		return sd.fail("tensors")
	}
	if d.tensors += int(nt); d.tensors > maxTensors {
		return fmt.Errorf("the model declares more than %d tensors", maxTensors)
	}
	// Every tensor and operator is charged for what it allocates, so a file
	// whose vectors all point at one shared table cannot make us build
	// millions of them from a few kilobytes.
	if !d.Charge(costPerObject * nt) {
		return sd.fail("tensors")
	}
	sd.tensors = make([]tensorInfo, nt)
	sd.names = make([]string, nt)
	used := make(map[string]bool, nt)
	for i := range sd.tensors {
		tt, ok := d.Elem(tStart, int64(i))
		if !ok {
			return sd.fail(fmt.Sprintf("tensor %d", i))
		}
		ti, err := d.decodeTensor(tt, i, used)
		if err != nil {
			return fmt.Errorf("subgraph %d tensor %d: %w", sd.index, i, err)
		}
		sd.tensors[i], sd.names[i] = ti, ti.name
		if ti.init != nil {
			g.Initializers = append(g.Initializers, ti.init)
		} else {
			g.ValueInfo = append(g.ValueInfo, &model.Value{Name: ti.name, Type: ti.typ, Doc: ti.doc})
		}
	}
	return nil
}

// value is the name of tensor i ("" for -1, an optional input absent),
// or an error naming what refers to a tensor that does not exist.
func (sd *subgraphDecoder) value(what string, i int64) (string, error) {
	if i == -1 {
		return "", nil
	}
	if nt := int64(len(sd.tensors)); i < 0 || i >= nt {
		return "", fmt.Errorf("subgraph %d %s refers to tensor %d, but the subgraph has %d tensors", sd.index, what, i, nt)
	}
	return sd.tensors[i].name, nil
}

// decodeIO decodes the subgraph's input and output lists.
func (sd *subgraphDecoder) decodeIO() error {
	for _, io := range []struct {
		slot int
		list *[]*model.Value
	}{{subgraphInputs, &sd.g.Inputs}, {subgraphOutputs, &sd.g.Outputs}} {
		idx, n, _ := sd.d.Int32s(sd.st, io.slot, maxTensors)
		if sd.d.Err != nil {
			return sd.fail("inputs and outputs")
		}
		if int64(len(idx)) < n {
			return fmt.Errorf("subgraph %d lists more than %d inputs or outputs", sd.index, maxTensors)
		}
		for _, i := range idx {
			name, err := sd.value("input/output list", i)
			if err != nil {
				return err
			}
			if name != "" {
				*io.list = append(*io.list, &model.Value{Name: name, Type: sd.tensors[i].typ, Doc: sd.tensors[i].doc})
			}
		}
	}
	return nil
}

// decodeOperators decodes the operators into nodes and returns the
// subgraph (with the references its nodes make to other subgraphs) and
// the histogram of op types.
func (sd *subgraphDecoder) decodeOperators() (subgraph, map[string]int, error) {
	d, g := sd.d, sd.g
	oStart, no := d.TableVector(sd.st, subgraphOperators)
	if d.Err != nil {
		return subgraph{}, nil, sd.fail("operators")
	}
	if d.operators += int(no); d.operators > maxOperators {
		return subgraph{}, nil, fmt.Errorf("the model declares more than %d operators", maxOperators)
	}
	if !d.Charge(costPerObject * no) {
		return subgraph{}, nil, sd.fail("operators")
	}
	sg := subgraph{g: g}
	hist := map[string]int{}
	g.Nodes = make([]*model.Node, 0, no)
	for i := int64(0); i < no; i++ {
		if i%4096 == 0 && d.ctx.Err() != nil {
			return subgraph{}, nil, d.ctx.Err()
		}
		ot, ok := d.Elem(oStart, i)
		if !ok {
			return subgraph{}, nil, sd.fail(fmt.Sprintf("operator %d", i))
		}
		n, refs, err := d.decodeOperator(ot, func(what string, j int64) (string, error) {
			return sd.value(fmt.Sprintf("operator %d %s", i, what), j)
		})
		if err != nil {
			return subgraph{}, nil, fmt.Errorf("subgraph %d operator %d: %w", sd.index, i, err)
		}
		hist[n.OpType]++
		g.Nodes = append(g.Nodes, n)
		for _, r := range refs {
			sg.refs = append(sg.refs, nodeRef{node: n, ref: r})
		}
	}
	return sg, hist, nil
}

// decodeOperator decodes one operator into a node.
func (d *decoder) decodeOperator(ot flatbuf.Table, value func(string, int64) (string, error)) (*model.Node, []subgraphRef, error) {
	oi := int64(d.Uint32(ot, opOpcodeIndex, 0))
	if d.Err != nil {
		return nil, nil, d.Err
	}
	if oi >= int64(len(d.opcodes)) {
		return nil, nil, fmt.Errorf("opcode index %d is out of range (%d operator codes)", oi, len(d.opcodes))
	}
	oc := d.opcodes[oi]
	n := &model.Node{OpType: oc.name, Category: opCategory(oc.builtin), Inputs: []string{}, Outputs: []string{}}
	for _, io := range []struct {
		slot int
		what string
		list *[]string
	}{{opInputs, "input", &n.Inputs}, {opOutputs, "output", &n.Outputs}} {
		idx, cnt, _ := d.Int32s(ot, io.slot, maxTensors)
		if d.Err != nil {
			return nil, nil, d.Err
		}
		if int64(len(idx)) < cnt {
			return nil, nil, fmt.Errorf("more than %d %ss", maxTensors, io.what)
		}
		for _, i := range idx {
			name, err := value(io.what, i)
			if err != nil {
				return nil, nil, err
			}
			*io.list = append(*io.list, name)
		}
	}
	if len(n.Outputs) > 0 {
		n.Name = n.Outputs[0]
	}
	var refs []subgraphRef
	if d.Uint8(ot, opBuiltinType, 0) != 0 {
		if t, ok := d.Sub(ot, opBuiltinOptions); ok {
			attrs, r := options(&d.Reader, t, builtinOptions[oc.builtin])
			n.Attrs, refs = append(n.Attrs, attrs...), append(refs, r...)
		}
	}
	if d.Uint8(ot, opBuiltin2Type, 0) != 0 {
		if t, ok := d.Sub(ot, opBuiltin2Options); ok {
			attrs, r := options(&d.Reader, t, builtinOptions2[oc.builtin])
			n.Attrs, refs = append(n.Attrs, attrs...), append(refs, r...)
		}
	}
	if _, cn := d.Vector(ot, opCustomOptions, 1); cn > 0 {
		n.Attrs = append(n.Attrs, model.Attribute{Name: "custom_options", Type: model.AttrString, String: fmt.Sprintf("<%d bytes>", cn)})
	} else if size := d.Uint64(ot, opLargeCustomSize); size > 0 && d.Uint64(ot, opLargeCustomOffset) > 1 {
		n.Attrs = append(n.Attrs, model.Attribute{Name: "custom_options", Type: model.AttrString,
			String: fmt.Sprintf("<%d bytes at offset %d>", size, d.Uint64(ot, opLargeCustomOffset))})
	}
	if v, cnt, ok := d.Int32s(ot, opIntermediates, maxAttrInts); ok && cnt > 0 {
		n.Attrs = append(n.Attrs, model.Attribute{Name: "intermediates", Type: model.AttrInts, Ints: v, Truncated: int64(len(v)) < cnt, Count: cnt})
	}
	if oc.version > 1 {
		n.Attrs = append(n.Attrs, model.Attribute{Name: "op_version", Type: model.AttrInt, Int: int64(oc.version)})
	}
	if d.Err != nil {
		return nil, nil, d.Err
	}
	return n, refs, nil
}

// link attaches each subgraph an operator refers to (WHILE cond and body,
// IF branches, CALL_ONCE init, composite decompositions) to the first
// operator that refers to it, walking from subgraph 0. Each subgraph is
// attached once, so the result is a tree: shared or cyclic references
// (a subgraph calling itself) stay as index attributes. Subgraphs no
// operator reaches (other signatures' entry points) become Functions. The
// walk starts at main, the main graph's subgraph index.
func link(out *decoded, sgs []subgraph, main int) error {
	if len(sgs) == 0 {
		out.m.Graph = &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
		return nil
	}
	attached := make([]bool, len(sgs))
	var walk func(root int)
	walk = func(root int) {
		attached[root] = true
		queue := []int{root}
		for len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			for _, r := range sgs[i].refs {
				j := r.ref.index
				if j < 0 || j >= int64(len(sgs)) || attached[j] {
					continue
				}
				attached[j] = true
				r.node.Attrs = append(r.node.Attrs, model.Attribute{Name: r.ref.attr, Type: model.AttrGraph, Graphs: []*model.Graph{sgs[j].g}})
				queue = append(queue, int(j))
			}
		}
	}
	if main < 0 || main >= len(sgs) {
		main = 0
	}
	walk(main)
	out.m.Graph = sgs[main].g
	out.graphPath = make([]string, len(sgs))
	out.graphPath[main] = ""
	for i := range sgs {
		if !attached[i] {
			walk(i)
			out.graphPath[i] = model.FunctionPath(len(out.m.Functions))
			out.m.Functions = append(out.m.Functions, sgs[i].g)
		} else if i != main {
			out.graphPath[i] = "-" // a control-flow body, reached from its node
		}
	}
	return nil
}
