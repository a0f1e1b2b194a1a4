package shapeinfer

import "github.com/modelpeek/modelpeek/model"

// recorder gathers, while a graph's nodes are inferred in order, what
// record adds to or changes in the graph's ValueInfo, so that record need
// not look every value up again: it did, with a map of every value to
// find names made twice, at the end of a model's read where nothing else
// runs (37-47 ms for 100,000 untyped values, now under a millisecond;
// Fill as a whole 113-135 ms instead of 137-164). It follows the common
// cases: a value typed by the one node that makes it gets a new entry, and
// a value the file lists in ValueInfo has its entry updated. When a node
// types a value that something else typed (an initializer, a graph input,
// an earlier node) or an earlier node made untyped, or makes a listed
// value a second time, it stops, and record looks everything up as before.
type recorder struct {
	on bool
	// listed are the graph's ValueInfo names, with their entry's index
	// (the last one's), and its output names, with -1: record updates
	// the entries of the first instead of adding some, and leaves the
	// second alone. seen marks the entries a node made.
	listed map[string]int32
	seen   []bool
	// left holds the node outputs left untyped so far.
	left map[string]bool
	// fresh are the entries to add, in node order; updates the listed
	// entries nodes made.
	fresh   []*model.Value
	updates []listedUpdate
	vals    valueSlab
	nodes   int // about how many nodes the graph has
}

// listedUpdate is a ValueInfo entry i that a node made, with the type it
// gave (nil: record looks the value's type up).
type listedUpdate struct {
	i    int32
	name string
	t    *model.Type
}

// start begins gathering for graph g of about nodes nodes.
func (r *recorder) start(g *model.Graph, nodes int) {
	*r = recorder{on: true, listed: make(map[string]int32, len(g.ValueInfo)+len(g.Outputs)),
		seen: make([]bool, len(g.ValueInfo)), vals: valueSlab{left: nodes}, nodes: nodes}
	for i, v := range g.ValueInfo {
		if v != nil {
			r.listed[v.Name] = int32(i)
		}
	}
	for _, v := range g.Outputs {
		if v != nil {
			r.listed[v.Name] = -1
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
	if i, ok := r.listed[name]; ok {
		r.made(i, name, t)
		return
	}
	if old == nil && !r.left[name] {
		if r.fresh == nil { // sized once, and only for a file that leaves values untyped
			r.fresh = make([]*model.Value, 0, r.nodes)
		}
		r.fresh = append(r.fresh, r.vals.next(model.Value{Name: name, Type: t, Inferred: true}))
		return
	}
	r.stop()
}

// made notes that a node made listed value name (entry i, -1 for a graph
// output) and typed it t (nil: not). A second node making it stops the
// recorder: record would give every entry of the value its last type.
func (r *recorder) made(i int32, name string, t *model.Type) {
	if i < 0 {
		return
	}
	if r.seen[i] {
		r.stop()
		return
	}
	r.seen[i] = true
	r.updates = append(r.updates, listedUpdate{i: i, name: name, t: t})
}

// untyped notes that a node made value name without typing it. record
// adds an entry for such a value if it has a type all the same (an
// initializer's, a stored one), so the recorder stops there, unless the
// value is listed.
func (in *Info) untyped(name string) {
	r := &in.rec
	if !r.on {
		return
	}
	if i, ok := r.listed[name]; ok {
		r.made(i, name, nil)
		return
	}
	if in.types[name] != nil {
		r.stop()
		return
	}
	if r.left == nil {
		r.left = map[string]bool{}
	}
	r.left[name] = true
}

// recordGathered is record with what the recorder gathered: the graph's
// outputs and listed ValueInfo entries typed anew, then the gathered
// entries added in node order, as record would add them.
func (in *Info) recordGathered(g *model.Graph) {
	r := &in.rec
	in.recordOutputs(g, nil)
	for _, u := range r.updates {
		t := u.t
		if t == nil {
			t = in.types[u.name]
		}
		if t == nil || t.Shape == nil && in.stored[u.name] {
			continue
		}
		if v := g.ValueInfo[u.i]; !typeEqual(v.Type, t) {
			v.Type, v.Inferred = t, true
		}
	}
	g.ValueInfo = append(g.ValueInfo, r.fresh...)
	r.stop()
}
