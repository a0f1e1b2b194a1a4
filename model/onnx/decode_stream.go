package onnx

import (
	"slices"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx/shapeinfer"
)

// streamBatch is how many decoded nodes are handed to shape inference at
// once.
const streamBatch = 256

// minNodeBytes is about the fewest bytes a real node or value type takes
// in a file (an op type, an input and an output name).
const minNodeBytes = 32

// graphCounts counts the fields of a GraphProto that become slices or
// names, to size them once.
type graphCounts struct {
	nodes, inits, values int
}

// graphStream decodes the main GraphProto in [off, end) into m.Graph and
// returns the shape inference of its nodes, started as soon as it can
// start and fed the graph's fields and nodes as they are decoded.
// Protobuf writes a graph's nodes before its initializers and value
// types, which inference needs first, so the graph is read in passes:
// one counts the fields, one decodes all but the nodes, one decodes the
// nodes.
func (d *decoder) graphStream(m *model.Model, off, end int64) (*shapeinfer.Stream, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	g := emptyGraph()
	c, err := d.countGraph(off, end)
	if err != nil {
		return nil, graphError(g, err)
	}
	// Sizes to reserve, bounded by the bytes a real graph takes per
	// entry: a hostile file of empty two-byte nodes must not reserve
	// room for millions.
	most := int((end - off) / minNodeBytes)
	hint := min(c.nodes, most)
	d.reserveNames(hint + min(c.inits+c.values, most))
	m.Graph = g
	sizes := shapeinfer.Sizes{Initializers: min(c.inits, most), Values: min(c.values, most), Nodes: hint}
	s := shapeinfer.StartNumbered(d.ctx, m, shapeinfer.Options{DType: DType}, sizes)
	done := false
	defer func() {
		if !done { // an error, or a panic on its way up
			s.Stop()
			m.Graph = nil
		}
	}()
	fields, err := d.streamFields(g, off, end, s)
	if err != nil {
		return nil, graphError(g, err)
	}
	g.Nodes = make([]*model.Node, 0, d.fit(hint, costNode))
	nodes, err := d.streamNodes(g, off, end, s)
	if err != nil {
		return nil, graphError(g, err)
	}
	g.Numbers = &model.ValueNumbers{Count: d.nameCount, Initializers: fields[0], Inputs: fields[1], Outputs: fields[3],
		Nodes: slices.Clone(nodes)} // without the room appending left
	done = true
	return s, nil
}

// streamFields decodes the fields of the GraphProto in [off, end) other
// than its nodes into g, handing its initializers, inputs, value infos
// and outputs to s in batches as they are decoded, with their names'
// numbers (s notes them meanwhile), then ends them. It returns the
// numbers of the initializers', inputs', value infos' and outputs' names.
func (d *decoder) streamFields(g *model.Graph, off, end int64, s *shapeinfer.Stream) ([4][]int32, error) {
	var sent [4]int
	var ids [4][]int32 // the numbers of the names of each list, as decoded
	lists := [3]*[]*model.Value{&g.Inputs, &g.ValueInfo, &g.Outputs}
	handOver := func(least int) {
		if n := len(g.Initializers); n-sent[0] >= least {
			s.AddInitializers(g.Initializers[sent[0]:n:n], ids[0][sent[0]:n:n])
			sent[0] = n
		}
		for i, l := range lists {
			if n := len(*l); n-sent[i+1] >= least {
				s.AddValues(shapeinfer.ValueList(i), (*l)[sent[i+1]:n:n], ids[i+1][sent[i+1]:n:n])
				sent[i+1] = n
			}
		}
	}
	err := d.each(off, end, func(f field) error {
		if f.num == graphNode {
			return nil
		}
		if err := d.graphField(g, f); err != nil {
			return err
		}
		d.numberFields(g, lists, &ids)
		handOver(streamBatch)
		return nil
	})
	if err != nil {
		return ids, err
	}
	handOver(1)
	s.EndFields()
	return ids, nil
}

// numberFields appends to ids the numbers of the names of the entries
// of g's initializers (ids[0]) and lists (ids[1:]) it lacks. Those
// names were just looked up or added: their table entries are in cache.
func (d *decoder) numberFields(g *model.Graph, lists [3]*[]*model.Value, ids *[4][]int32) {
	for len(ids[0]) < len(g.Initializers) {
		ids[0] = append(ids[0], d.nameID(g.Initializers[len(ids[0])].Name))
	}
	for i, l := range lists {
		for len(ids[i+1]) < len(*l) {
			ids[i+1] = append(ids[i+1], d.nameID((*l)[len(ids[i+1])].Name))
		}
	}
}

// streamNodes decodes the node fields of the GraphProto in [off, end)
// into g, handing them to s in batches with their names' numbers, which
// it returns (each node's inputs', then outputs', node after node).
func (d *decoder) streamNodes(g *model.Graph, off, end int64, s *shapeinfer.Stream) ([]int32, error) {
	sent, sentIDs := 0, 0
	var ids []int32
	handOver := func() {
		n, k := len(g.Nodes), len(ids)
		s.Add(g.Nodes[sent:n:n], ids[sentIDs:k:k])
		sent, sentIDs = n, k
	}
	err := d.each(off, end, func(f field) error {
		if f.num != graphNode {
			return nil
		}
		if err := d.appendNode(g, f); err != nil {
			return err
		}
		// The node's own names are numbered last: its subgraphs' nodes,
		// decoded within it, were numbered before.
		ids = append(ids, d.nodeIDs...)
		if len(g.Nodes)-sent >= streamBatch {
			handOver()
		}
		return nil
	})
	if err == nil {
		handOver()
	}
	return ids, err
}

// countGraph counts the fields of the GraphProto in [off, end).
func (d *decoder) countGraph(off, end int64) (graphCounts, error) {
	var c graphCounts
	err := d.each(off, end, func(f field) error {
		switch f.num {
		case graphNode:
			c.nodes++
		case graphInitializer, graphSparseInit:
			c.inits++
		case graphInput, graphOutput, graphValueInfo:
			c.values++
		}
		return nil
	})
	return c, err
}

// fit caps a count of objects of the given estimated cost at what the
// structure budget has room for, so that a slice sized from a hostile
// file's field count stays within it.
func (d *decoder) fit(n, cost int) int {
	room := (d.limit - d.memory) / int64(cost)
	return int(max(min(int64(n), room), 0))
}

// reserveNames makes room for n names in the names table (names.go),
// which would otherwise grow step by step.
func (d *decoder) reserveNames(n int) {
	n = d.fit(n, costName)
	if n <= len(d.names) {
		return
	}
	names := make(map[string]nameRef, n)
	for k, v := range d.names {
		names[k] = v
	}
	d.names = names
}
