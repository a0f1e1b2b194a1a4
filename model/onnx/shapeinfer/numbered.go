package shapeinfer

import (
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// A numbered Info takes its values' numbers from the caller instead of
// numbering names in a map of its own: the ONNX decoder already keeps a
// map of every name it met (to keep one copy of each) and numbers them
// there, and hands each batch of nodes and fields over with the numbers
// of their names. Filling a second map of a big graph's names was most
// of its inference's memory traffic (a 500,000-node transformer has
// 785,000 names), on a core the decoder and the collector need.
//
// While nodes stream in, a numbered Info finds a name only among the
// current node's inputs and outputs: the shape rules look up nothing
// else. Once the caller's map is complete it is handed over (Names), and
// the work after the nodes (subgraphs, records) looks names up there.

// numbering is a numbered Info's view of the caller's numbers.
type numbering struct {
	// lookup finds a name's number in the caller's map, once given.
	lookup func(string) (int32, bool)
	// n and ids are the node being inferred and the numbers of its
	// inputs, then outputs (nil: none given).
	n   *model.Node
	ids []int32
}

// startNumbered returns an empty numbered Info for a graph of sizes s.
func startNumbered(opt Options, s Sizes) *Info {
	return &Info{opt: opt, num: &numbering{}, vals: make([]value, 0, s.total())}
}

// grow makes room for values numbered up to the largest of ids.
func (in *Info) grow(ids []int32) {
	top := int32(-1)
	for _, id := range ids {
		top = max(top, id)
	}
	if n := int(top) + 1; n > len(in.vals) {
		// vals never shrinks: what lies past its length is still zero.
		in.vals = slices.Grow(in.vals, n-len(in.vals))[:n]
	}
}

// setCurrent notes the node being inferred and its names' numbers, when
// in is numbered and ids fit it.
func (in *Info) setCurrent(n *model.Node, ids []int32) {
	if in.num == nil {
		return
	}
	if len(ids) != len(n.Inputs)+len(n.Outputs) {
		ids = nil
	}
	in.num.n, in.num.ids = n, ids
}

// findNumbered is find for a numbered Info.
func (in *Info) findNumbered(name string) (int32, bool) {
	num := in.num
	if name == "" {
		return 0, false
	}
	if n := num.n; n != nil && num.ids != nil {
		for i, s := range n.Inputs {
			if s == name {
				return in.known(num.ids[i])
			}
		}
		for i, s := range n.Outputs {
			if s == name {
				return in.known(num.ids[len(n.Inputs)+i])
			}
		}
	}
	if num.lookup != nil {
		if id, ok := num.lookup(name); ok {
			return in.known(id)
		}
	}
	return 0, false
}

// known reports whether id is the number of one of in's values.
func (in *Info) known(id int32) (int32, bool) {
	return id, id >= 0 && int(id) < len(in.vals)
}

// inID returns the number of the current node's input i, when the caller
// gave it.
func (in *Info) inID(i int) (int32, bool) {
	if in.num == nil || in.num.ids == nil {
		return 0, false
	}
	return in.known(in.num.ids[i])
}

// outID returns the number of n's output i: the caller's, or found by
// name (made if new, unless in is numbered); -1 when there is none.
func (in *Info) outID(n *model.Node, i int) int32 {
	if num := in.num; num != nil && num.ids != nil && num.n == n {
		if id, ok := in.known(num.ids[len(n.Inputs)+i]); ok {
			return id
		}
		return -1
	}
	return in.id(n.Outputs[i])
}

// nodes infers ns in order; ids are the numbers of their names, node
// after node (numberedNode), nil for none.
func (in *Info) nodes(ns []*model.Node, ids []int32) {
	if in.num != nil {
		in.grow(ids)
	}
	at := 0
	for _, n := range ns {
		var own []int32
		if k := len(n.Inputs) + len(n.Outputs); ids != nil && at+k <= len(ids) {
			own = ids[at : at+k : at+k]
			at += k
		}
		in.numberedNode(n, own)
	}
}
