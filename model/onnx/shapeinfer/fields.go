package shapeinfer

import "github.com/modelpeek/modelpeek/model"

// An Info is set up from its graph's fields before the nodes come: the
// initializers' types, then what the graph's inputs, value infos and
// outputs say. A Stream sets it up while the decoder is still decoding
// those fields, batch by batch, instead of after them (setting up a
// 500,000-node graph's 785,000 names took 0.45-0.86 s, while the decoder
// went on with the nodes and inference waited), so the order of the
// batches must not change the outcome: the stored types are noted as they
// come but applied once the fields have ended, after every initializer,
// in the order a graph lists them.

// Sizes are how many initializers, values (inputs, value infos and
// outputs together) and nodes a graph has or will have: size hints.
type Sizes struct {
	Initializers, Values, Nodes int
}

// fieldState is an Info's set-up in progress.
type fieldState struct {
	// noted are the numbers of the inputs', value infos' and outputs'
	// values, in the graph's order.
	noted [3][]int32
	// valuesNoted is set once a value is noted: an initializer's name
	// may then be one in the map already.
	valuesNoted bool
	ended       bool
}

// newInfo returns the Info of graph g before its nodes are inferred: the
// types of its initializers, inputs, outputs and value infos. nodes is
// how many nodes g has (or will have: a size hint).
func newInfo(g *model.Graph, opt Options, parent *Info, nodes int) *Info {
	if g == nil {
		in := startInfo(opt, parent, Sizes{})
		in.fields.ended = true
		return in
	}
	in := startInfo(opt, parent, sizesOf(g, nodes))
	in.addInitializers(g.Initializers, nil)
	for k, vs := range valueLists(g) {
		in.noteValues(k, vs, nil)
	}
	in.endFields(g, nodes)
	return in
}

// total is about how many values a graph of sizes s has: most are an
// initializer, listed, or a node's output.
func (s Sizes) total() int { return s.Initializers + s.Values + s.Nodes }

// sizesOf returns g's sizes, with nodes nodes.
func sizesOf(g *model.Graph, nodes int) Sizes {
	return Sizes{Initializers: len(g.Initializers), Values: len(g.Inputs) + len(g.ValueInfo) + len(g.Outputs), Nodes: nodes}
}

// valueLists returns g's inputs, value infos and outputs, by ValueList.
func valueLists(g *model.Graph) [3][]*model.Value {
	return [3][]*model.Value{g.Inputs, g.ValueInfo, g.Outputs}
}

// startInfo returns an empty Info sized for a graph of sizes s.
func startInfo(opt Options, parent *Info, s Sizes) *Info {
	// Sized up front: growing the map was a third of the time.
	n := s.total()
	return &Info{opt: opt, parent: parent, ids: make(map[string]int32, n), vals: make([]value, 0, n)}
}

// addInitializers notes initializers and their types; a numbered Info
// takes their numbers from ids. The types and their shapes are carved
// from two arrays: a transformer has tens of thousands of weights. Of
// two initializers of one name the last counts.
func (in *Info) addInitializers(ts []*model.Tensor, ids []int32) {
	if in.num != nil {
		if len(ids) != len(ts) {
			return // numbers not given: nothing to note them by
		}
		in.grow(ids)
	}
	dims := 0
	for _, t := range ts {
		dims += len(t.Shape)
	}
	types, shapes := make([]model.Type, len(ts)), make(model.Shape, dims)
	for i, t := range ts {
		s := shapes[:len(t.Shape):len(t.Shape)] // never nil: a scalar's rank is known
		shapes = shapes[len(t.Shape):]
		for k, d := range t.Shape {
			s[k] = model.IntDim(d)
		}
		types[i] = model.Type{Kind: model.KindTensor, DType: t.DType, Shape: s}
		if in.num != nil {
			if id := ids[i]; id >= 0 {
				in.vals[id].t, in.vals[id].init = &types[i], t
			}
			continue
		}
		if in.fields.valuesNoted {
			v := in.slot(t.Name)
			v.t, v.init = &types[i], t
			continue
		}
		// One map operation where slot takes two: only initializers are
		// in the map, their names rarely repeat, and a repeated one's
		// earlier slot is then only unused.
		in.ids[t.Name] = int32(len(in.vals))
		in.vals = append(in.vals, value{t: &types[i], init: t})
	}
}

// noteValues numbers the values of list k (a ValueList), to be applied
// by endFields; a numbered Info takes the numbers from ids.
func (in *Info) noteValues(k int, vs []*model.Value, ids []int32) {
	in.fields.valuesNoted = true
	if in.num != nil {
		if len(ids) != len(vs) {
			ids = make([]int32, len(vs)) // numbers not given: noted as none
			for i := range ids {
				ids[i] = -1
			}
		}
		in.grow(ids)
		in.fields.noted[k] = append(in.fields.noted[k], ids...)
		return
	}
	for _, v := range vs {
		id := int32(-1)
		if v != nil {
			id = in.id(v.Name)
		}
		in.fields.noted[k] = append(in.fields.noted[k], id)
	}
}

// endFields applies the types g's inputs, value infos and outputs give,
// where they say more than an initializer's, marks the values of the
// value infos and outputs for the recorder (value.listed), and starts
// it for a graph of about nodes nodes. The values are those noted, or
// looked up by name if the lists are not what was noted.
func (in *Info) endFields(g *model.Graph, nodes int) {
	for k, vs := range valueLists(g) {
		ids := in.fields.noted[k]
		for i, v := range vs {
			if v == nil {
				continue
			}
			var s *value
			if len(ids) == len(vs) && ids[i] >= 0 {
				s = &in.vals[ids[i]]
			} else {
				s = in.slot(v.Name)
			}
			if t := v.Type; t != nil && (t.Kind != model.KindTensor || t.Shape != nil || s.t == nil) {
				s.t, s.stored = t, true
			}
			switch ValueList(k) {
			case ValueInfos:
				s.listed = int32(i) + 1
			case Outputs:
				s.listed = -1
			}
		}
	}
	in.fields = fieldState{ended: true}
	in.rec.start(nodes)
}
