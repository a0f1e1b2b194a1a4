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
	// The values' listed, seen and left fields are the recorder's: which
	// are ValueInfo entries or outputs, which of those a node made, and
	// which nodes made without typing them.
	//
	// fresh are the entries to add, in node order; updates the listed
	// entries nodes made.
	fresh   []*model.Value
	updates []listedUpdate
	vals    valueSlab
	nodes   int // about how many nodes the graph has
}

// listedUpdate is a ValueInfo entry i that a node made, value id, with
// the type it gave (nil: record looks the value's type up).
type listedUpdate struct {
	i, id int32
	t     *model.Type
}

// start begins gathering for a graph of about nodes nodes, whose listed
// values are marked (Info.storedTypes).
func (r *recorder) start(nodes int) {
	*r = recorder{on: true, vals: valueSlab{left: nodes}, nodes: nodes}
}

// stop gives up gathering: record looks every value up.
func (r *recorder) stop() { *r = recorder{} }

// typed notes that a node typed value name (number id) t, which had
// type old before.
func (r *recorder) typed(in *Info, id int32, name string, old, t *model.Type) {
	if !r.on {
		return
	}
	v := &in.vals[id]
	if v.listed != 0 {
		r.made(v, id, t)
		return
	}
	if old == nil && !v.left {
		if r.fresh == nil { // sized once, and only for a file that leaves values untyped
			r.fresh = make([]*model.Value, 0, r.nodes)
		}
		r.fresh = append(r.fresh, r.vals.next(model.Value{Name: name, Type: t, Inferred: true}))
		return
	}
	r.stop()
}

// made notes that a node made listed value v (number id) and typed it t
// (nil: not). A second node making it stops the recorder: record would
// give every entry of the value its last type.
func (r *recorder) made(v *value, id int32, t *model.Type) {
	if v.listed < 0 {
		return
	}
	if v.seen {
		r.stop()
		return
	}
	v.seen = true
	r.updates = append(r.updates, listedUpdate{i: v.listed - 1, id: id, t: t})
}

// untyped notes that a node made value id without typing it (-1: a
// value a numbered Info cannot find). record adds an entry for such a
// value if it has a type all the same (an initializer's, a stored one),
// so the recorder stops there, unless the value is listed.
func (in *Info) untyped(id int32) {
	r := &in.rec
	if !r.on {
		return
	}
	if id < 0 {
		r.stop()
		return
	}
	v := &in.vals[id]
	switch {
	case v.listed != 0:
		r.made(v, id, nil)
	case v.t != nil:
		r.stop()
	default:
		v.left = true
	}
}

// recordGathered is record with what the recorder gathered: the graph's
// outputs and listed ValueInfo entries typed anew, then the gathered
// entries added in node order, as record would add them.
func (in *Info) recordGathered(g *model.Graph) {
	r := &in.rec
	in.recordOutputs(g, nil)
	for _, u := range r.updates {
		v := &in.vals[u.id]
		t := u.t
		if t == nil {
			t = v.t
		}
		if t == nil || t.Shape == nil && v.stored {
			continue
		}
		if e := g.ValueInfo[u.i]; !typeEqual(e.Type, t) {
			e.Type, e.Inferred = t, true
		}
	}
	g.ValueInfo = append(g.ValueInfo, r.fresh...)
	r.stop()
}
