package shapeinfer

import "github.com/modelpeek/modelpeek/model"

// recorder gathers, while a graph's nodes are inferred in order, what
// record adds to the graph's ValueInfo, so that record need not look up
// every value again: it did, and kept a map of every value to find names
// made twice, at the end of a model's read where nothing else runs
// (37-47 ms for 100,000 nodes, now under a millisecond; Fill as a whole
// 113-135 ms instead of 137-164). It follows the common case, every value typed
// by the one node that makes it; when a node types a value something
// else had typed (a stored or earlier type, an initializer, a second
// node) or that an earlier node left untyped, it stops, and record looks
// everything up as before.
type recorder struct {
	on bool
	// listed are the graph's ValueInfo and output names: record updates
	// their entries instead of adding some.
	listed map[string]bool
	// left holds the node outputs left untyped so far.
	left map[string]bool
	// fresh are the entries to add, in node order; listedOut the listed
	// names nodes typed.
	fresh     []*model.Value
	listedOut []string
	vals      valueSlab
}

// start begins gathering for graph g of about nodes nodes.
func (r *recorder) start(g *model.Graph, nodes int) {
	*r = recorder{on: true, listed: make(map[string]bool, len(g.ValueInfo)+len(g.Outputs)),
		fresh: make([]*model.Value, 0, nodes), vals: valueSlab{left: nodes}}
	for _, vs := range [2][]*model.Value{g.ValueInfo, g.Outputs} {
		for _, v := range vs {
			if v != nil {
				r.listed[v.Name] = true
			}
		}
	}
}

// stop gives up gathering: record looks every value up.
func (r *recorder) stop() { *r = recorder{} }

// typed notes that a node typed value name t, which had type old before.
func (r *recorder) typed(name string, old, t *model.Type) {
	if !r.on {
		return
	}
	switch {
	case r.listed[name]:
		r.listedOut = append(r.listedOut, name)
	case old == nil && !r.left[name]:
		r.fresh = append(r.fresh, r.vals.next(model.Value{Name: name, Type: t, Inferred: true}))
	default:
		r.stop()
	}
}

// untyped notes the outputs names of a node whose rule's results outs
// left them untyped (all of them for a nil outs): record adds an entry
// for such a value if it has a type all the same (an initializer's, a
// stored one), so the recorder stops there, unless the value is listed.
func (in *Info) untyped(names []string, outs []*model.Type) {
	r := &in.rec
	if !r.on {
		return
	}
	for i, name := range names {
		switch {
		case name == "" || i < len(outs) && outs[i] != nil:
		case r.listed[name]:
			r.listedOut = append(r.listedOut, name)
		case in.types[name] != nil:
			r.stop()
			return
		default:
			if r.left == nil {
				r.left = map[string]bool{}
			}
			r.left[name] = true
		}
	}
}

// recordGathered is record with what the recorder gathered: the graph's
// outputs and listed ValueInfo entries typed anew, then the gathered
// entries added in node order, as record would add them.
func (in *Info) recordGathered(g *model.Graph) {
	r := &in.rec
	have := make(map[string]int, len(g.ValueInfo)+len(g.Outputs))
	for i, v := range g.ValueInfo {
		if v != nil {
			have[v.Name] = i
		}
	}
	in.recordOutputs(g, have)
	for _, o := range r.listedOut {
		t := in.types[o]
		if t == nil || t.Shape == nil && in.stored[o] {
			continue
		}
		if i := have[o]; i >= 0 && !typeEqual(g.ValueInfo[i].Type, t) {
			g.ValueInfo[i].Type, g.ValueInfo[i].Inferred = t, true
		}
	}
	g.ValueInfo = append(g.ValueInfo, r.fresh...)
	r.stop()
}
