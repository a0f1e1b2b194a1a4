package mnn

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// Limits on what one file may declare.
const (
	maxOps       = 1_000_000
	maxSubgraphs = 10_000
	maxRank      = 64
	maxList      = 1 << 24
	maxAttrInts  = 1024
	costPerOp    = 256
)

// decoder turns an MNN Net into the model IR.
type decoder struct {
	flatbuf.Reader
	ctx      context.Context
	path     string
	warnings []string
	// externals caches the sizes of external weight files (-1: missing).
	externals map[string]int64
}

// graphRef is a node's reference to a subgraph by name (While cond/body,
// If then/else), resolved once every subgraph is decoded.
type graphRef struct {
	node *model.Node
	attr string
	name string
}

// subgraph is a decoded SubGraphProto.
type subgraph struct {
	g    *model.Graph
	refs []graphRef
}

func decode(ctx context.Context, src *flatbuf.Source, path string) (*model.Model, error) {
	if src.Size() < 8 {
		return nil, fmt.Errorf("the file is only %d bytes, too short for an MNN model", src.Size())
	}
	d := &decoder{Reader: flatbuf.Reader{Src: src, Budget: 16*min(src.Size(), 256<<20) + 1<<20}, ctx: ctx, path: path}
	net, ok := d.Root(0)
	if !ok {
		return nil, d.wrap("net")
	}
	names := d.strings(net, netTensorName)
	if d.Err != nil {
		return nil, d.wrap("tensor names")
	}
	start, n := d.TableVector(net, netOplists)
	main, refs, err := d.decodeOps(start, n, names)
	if err != nil {
		return nil, err
	}
	main.Outputs = d.netOutputs(net, main)
	subs, err := d.decodeSubgraphs(net)
	if err != nil {
		return nil, err
	}
	m := &model.Model{Format: "mnn", Graph: main, Metadata: map[string]string{}, FunctionsInNodeCount: true}
	m.Functions = d.link(refs, subs)
	d.netFacts(net, m, names, subs)
	if d.Err != nil {
		return nil, d.wrap("net")
	}
	m.Warnings = d.warnings
	if ext := d.externalFiles(); len(ext) > 0 {
		slices.Sort(ext)
		m.Files = append([]string{path}, ext...)
	}
	return m, nil
}

func (d *decoder) wrap(what string) error {
	if d.Err == flatbuf.ErrBudget {
		return d.Err
	}
	return fmt.Errorf("%s: %w", what, d.Err)
}

func (d *decoder) warn(w string) {
	if len(d.warnings) < 100 {
		d.warnings = append(d.warnings, w)
	}
}

// strings reads a vector of strings.
func (d *decoder) strings(t flatbuf.Table, slot int) []string {
	start, n := d.TableVector(t, slot)
	if !d.Charge(n) {
		return nil
	}
	out := make([]string, 0, n)
	for i := int64(0); i < n && d.Err == nil; i++ {
		out = append(out, d.StrElem(start, i))
	}
	return out
}

// netOutputs are Net.outputName when present, else the tensors produced
// by an op of the main graph and read by none, in production order.
func (d *decoder) netOutputs(net flatbuf.Table, g *model.Graph) []*model.Value {
	out := []*model.Value{}
	if d.Has(net, netOutputName) {
		for _, name := range d.strings(net, netOutputName) {
			out = append(out, &model.Value{Name: name})
		}
		return out
	}
	read := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			read[in] = true
		}
	}
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if !read[o] && !seen[o] {
				seen[o] = true
				out = append(out, &model.Value{Name: o})
			}
		}
	}
	return out
}

func (d *decoder) decodeSubgraphs(net flatbuf.Table) ([]*subgraph, error) {
	start, n := d.TableVector(net, netSubgraphs)
	if n > maxSubgraphs {
		return nil, fmt.Errorf("the net declares %d subgraphs (limit %d)", n, maxSubgraphs)
	}
	subs := make([]*subgraph, 0, n)
	for i := int64(0); i < n; i++ {
		st, ok := d.Elem(start, i)
		if !ok {
			return nil, d.wrap(fmt.Sprintf("subgraph %d", i))
		}
		names := d.strings(st, subgraphTensors)
		ns, nn := d.TableVector(st, subgraphNodes)
		g, refs, err := d.decodeOps(ns, nn, names)
		if err != nil {
			return nil, fmt.Errorf("subgraph %d: %w", i, err)
		}
		g.Name = d.Str(st, subgraphName)
		g.Inputs = typed(d.indexValues(st, subgraphInputs, names), g.Inputs)
		g.Outputs = d.indexValues(st, subgraphOutputs, names)
		subs = append(subs, &subgraph{g: g, refs: refs})
	}
	return subs, d.Err
}

// indexValues names the tensors an index vector lists.
func (d *decoder) indexValues(t flatbuf.Table, slot int, names []string) []*model.Value {
	idx, _, _ := d.Int32s(t, slot, maxList)
	out := []*model.Value{}
	for _, i := range idx {
		out = append(out, &model.Value{Name: tensorName(names, i)})
	}
	return out
}

// typed gives the subgraph inputs the types their Input ops declare.
func typed(vs, inputs []*model.Value) []*model.Value {
	byName := make(map[string]*model.Value, len(inputs))
	for _, in := range inputs {
		byName[in.Name] = in
	}
	for i, v := range vs {
		if in, ok := byName[v.Name]; ok {
			vs[i] = in
		}
	}
	return vs
}

func tensorName(names []string, i int64) string {
	if i >= 0 && i < int64(len(names)) && names[i] != "" {
		return names[i]
	}
	return "#" + strconv.FormatInt(i, 10)
}

// link attaches each subgraph to the first While/If node that names it,
// walking from the main graph; subgraphs nothing reaches are returned as
// functions. A subgraph is attached once, so hostile cycles end.
func (d *decoder) link(mainRefs []graphRef, subs []*subgraph) []*model.Graph {
	byName := map[string]int{}
	for i := len(subs) - 1; i >= 0; i-- {
		byName[subs[i].g.Name] = i
	}
	attached := make([]bool, len(subs))
	queue := mainRefs
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		i, ok := byName[r.name]
		if !ok {
			d.warn(fmt.Sprintf("op %q refers to subgraph %q, which the net lacks", r.node.Name, r.name))
			continue
		}
		if attached[i] {
			continue
		}
		attached[i] = true
		r.node.Attrs = append(r.node.Attrs, model.Attribute{Name: r.attr, Type: model.AttrGraph, Graphs: []*model.Graph{subs[i].g}})
		queue = append(queue, subs[i].refs...)
	}
	var rest []*model.Graph
	for i, s := range subs {
		if !attached[i] {
			rest = append(rest, s.g)
		}
	}
	return rest
}

// netFacts fills the structured facts and panel properties.
func (d *decoder) netFacts(net flatbuf.Table, m *model.Model, names []string, subs []*subgraph) {
	source := int32(d.Uint8(net, netSourceType, 0))
	sourceName, ok := netSourceNames[source]
	if !ok {
		sourceName = strconv.Itoa(int(source))
	}
	counts := map[string]any{}
	for _, s := range subs {
		counts[s.g.Name] = len(s.g.Nodes)
	}
	biz := d.Str(net, netBizCode)
	m.Producer = sourceName
	m.Facts = map[string]any{
		"bizCode":      biz,
		"sourceType":   sourceName,
		"tensor_count": len(names),
		"subgraphs":    counts,
	}
	m.Properties = append(m.Properties,
		model.Property{Name: "source", Value: sourceName},
		model.Property{Name: "bizCode", Value: biz},
		model.Property{Name: "tensors", Value: strconv.Itoa(len(names))},
	)
	if uuid := d.Str(net, netUUID); uuid != "" {
		m.Properties = append(m.Properties, model.Property{Name: "uuid", Value: uuid})
	}
}
