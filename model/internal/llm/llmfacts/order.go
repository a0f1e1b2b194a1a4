package llmfacts

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// stack walks the steps in order: head, every block, tail.
func (c *checker) stack(s Stack) []string {
	w := &walk{checker: c, prev: -1, blockIn: -1}
	w.steps(s.Head, "head")
	for i, b := range s.Blocks {
		w.blockIn = w.prev
		w.steps(b, fmt.Sprintf("block %d", i))
	}
	w.steps(s.Tail, "tail")
	w.attention(s)
	return w.errs
}

type walk struct {
	*checker
	prev    int // node of the previous weighted step
	blockIn int // node whose output enters the current block
	errs    []string
}

func (w *walk) fail(format string, a ...any) { w.errs = append(w.errs, fmt.Sprintf(format, a...)) }

func (w *walk) steps(steps []Step, where string) {
	for _, s := range steps {
		if s.Adds != "" {
			w.residual(s, where)
		}
		if len(s.Weights) == 0 {
			continue
		}
		n := w.stepNode(s)
		if n < 0 {
			w.fail("%s: no single %s node consumes %v", where, s.Op, s.Weights)
			continue
		}
		if got := w.data.Nodes[n].Op; got != s.Op {
			w.fail("%s: %v consumed by a %s node, want %s", where, s.Weights, got, s.Op)
		}
		for _, f := range w.from(s) {
			if f >= 0 && !w.reaches(f, n) {
				w.fail("%s: %s (%v) is not reached from %s", where, w.data.Nodes[n].Name, s.Weights, w.data.Nodes[f].Name)
			}
		}
		for _, t := range s.IndependentOf {
			if o := w.stepNode(Step{Weights: []string{t}}); o >= 0 && w.reaches(o, n) {
				w.fail("%s: %s depends on %s, which the facts say it must not", where, w.data.Nodes[n].Name, t)
			}
		}
		w.prev = n
	}
}

// from lists the nodes a step must be reached from: its from tensors, the
// block input for "from": [], or the previous weighted step.
func (w *walk) from(s Step) []int {
	var names []string
	if len(s.From) > 0 && string(s.From) != "null" {
		if err := json.Unmarshal(s.From, &names); err != nil {
			w.fail("bad from %s", s.From)
			return nil
		}
		if len(names) == 0 {
			return []int{w.blockIn}
		}
		var out []int
		for _, t := range names {
			n := w.stepNode(Step{Weights: []string{t}})
			if n < 0 {
				w.fail("from tensor %s has no single consumer", t)
			}
			out = append(out, n)
		}
		return out
	}
	return []int{w.prev}
}

// residual checks an add node merges a value computed from the node
// consuming s.Adds with one that is not.
func (w *walk) residual(s Step, where string) {
	x := w.stepNode(Step{Weights: []string{s.Adds}})
	if x < 0 {
		w.fail("%s: residual source %s has no single consumer", where, s.Adds)
		return
	}
	from := func(v string) bool {
		p, ok := w.producer[v]
		return ok && (p == x || w.reaches(x, p))
	}
	for _, n := range w.data.Nodes {
		if n.Op != "add" || len(n.Inputs) < 2 {
			continue
		}
		if slices.ContainsFunc(n.Inputs, from) && slices.ContainsFunc(n.Inputs, func(v string) bool { return !from(v) }) {
			return
		}
	}
	w.fail("%s: no add merges the output of %s with a value not computed from it", where, w.data.Nodes[x].Name)
}

// attention compares the attention steps' attributes with the attention
// nodes, in order.
func (w *walk) attention(s Stack) {
	var nodes []*model.Node
	for _, n := range w.g.Nodes {
		if n.OpType == "attention" {
			nodes = append(nodes, n)
		}
	}
	i := 0
	for _, b := range s.Blocks {
		for _, st := range b {
			if st.Op != "attention" {
				continue
			}
			if i >= len(nodes) {
				w.fail("%d attention nodes, the facts have more", len(nodes))
				return
			}
			w.attrs(nodes[i], st.Attention)
			i++
		}
	}
}

func (w *walk) attrs(n *model.Node, want map[string]any) {
	for _, k := range []string{"n_head", "n_head_kv", "head_dim", "sliding_window"} {
		v, ok := want[k]
		if !ok {
			continue
		}
		var got any
		for _, a := range n.Attrs {
			if a.Name == k && a.Type == model.AttrInt {
				got = float64(a.Int)
			}
		}
		if got != v {
			w.fail("%s: %s = %v, want %v", n.Name, k, got, v)
		}
	}
}
