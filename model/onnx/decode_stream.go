package onnx

import (
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
// start and fed the nodes as they are decoded. Protobuf writes a graph's
// nodes before its initializers and value types, which inference needs
// first, so the graph is read in passes: one counts the fields, one
// decodes all but the nodes, one decodes the nodes.
func (d *decoder) graphStream(m *model.Model, off, end int64) (*shapeinfer.Stream, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	g := emptyGraph()
	nodes, err := d.graphFields(g, off, end)
	if err != nil {
		return nil, graphError(g, err)
	}
	g.Nodes = make([]*model.Node, 0, nodes)
	m.Graph = g
	s := shapeinfer.StartFill(d.ctx, m, shapeinfer.Options{DType: DType}, nodes)
	done := false
	defer func() {
		if !done { // an error, or a panic on its way up
			s.Stop()
		}
	}()
	if err := d.streamNodes(g, off, end, s); err != nil {
		m.Graph = nil
		return nil, graphError(g, err)
	}
	done = true
	return s, nil
}

// graphFields decodes the fields of the GraphProto in [off, end) other
// than its nodes into g, with room reserved in the names table first, and
// returns how many nodes to make room for.
func (d *decoder) graphFields(g *model.Graph, off, end int64) (int, error) {
	c, err := d.countGraph(off, end)
	if err != nil {
		return 0, err
	}
	// Sizes to reserve, bounded by the bytes a real graph takes per
	// entry: a hostile file of empty two-byte nodes must not reserve
	// room for millions.
	most := int((end - off) / minNodeBytes)
	hint := min(c.nodes, most)
	d.reserveNames(hint + min(c.inits+c.values, most))
	err = d.each(off, end, func(f field) error {
		if f.num == graphNode {
			return nil
		}
		return d.graphField(g, f)
	})
	return d.fit(hint, costNode), err
}

// streamNodes decodes the node fields of the GraphProto in [off, end)
// into g, handing them to s in batches.
func (d *decoder) streamNodes(g *model.Graph, off, end int64, s *shapeinfer.Stream) error {
	sent := 0
	handOver := func() {
		n := len(g.Nodes)
		s.Add(g.Nodes[sent:n:n])
		sent = n
	}
	err := d.each(off, end, func(f field) error {
		if f.num != graphNode {
			return nil
		}
		if err := d.appendNode(g, f); err != nil {
			return err
		}
		if len(g.Nodes)-sent >= streamBatch {
			handOver()
		}
		return nil
	})
	if err == nil {
		handOver()
	}
	return err
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
	names := make(map[string]string, n)
	for k, v := range d.names {
		names[k] = v
	}
	d.names = names
}
