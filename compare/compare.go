package compare

import (
	"context"
	"fmt"

	"github.com/modelpeek/modelpeek/model"
)

// Models compares the main graphs of a and b: it matches their nodes,
// compares every matched weight pair by streaming both tensors, and
// classifies what differs. Models of different formats are matched on
// canonical ops and sizes only. Only ctx's cancellation or a nil model
// is an error; unreadable weights are reported in their change's Note.
func Models(ctx context.Context, a, b *model.Model) (*Result, error) {
	if a == nil || b == nil {
		return nil, fmt.Errorf("compare: a model is missing")
	}
	ia, ib := newIndex(a.Graph), newIndex(b.Graph)
	m := &matcher{a: ia, b: ib, cross: a.Format != b.Format}
	m.run()
	d := &differ{a: ia, b: ib, cross: m.cross, opsetA: opsets(a), opsetB: opsets(b), weightOf: map[string]*WeightChange{}}
	res := &Result{
		Nodes:   NodeDiff{Added: []string{}, Removed: []string{}, Changed: []NodeChange{}},
		Weights: WeightDiff{Added: []string{}, Removed: []string{}, Changed: []WeightChange{}},
	}
	if err := compareWeights(ctx, ia, ib, d, res); err != nil {
		return nil, err
	}
	classifyNodes(ia, ib, d, res)
	res.Equal = len(res.Nodes.Added)+len(res.Nodes.Removed)+len(res.Nodes.Changed)+
		len(res.Weights.Added)+len(res.Weights.Removed)+len(res.Weights.Changed) == 0
	return res, nil
}

// compareWeights pairs and compares the weights, filling res and the
// differ's per-weight lookup.
func compareWeights(ctx context.Context, ia, ib *index, d *differ, res *Result) error {
	pairs, removed, added := pairWeights(ia, ib)
	for _, p := range pairs {
		w, err := compareWeight(ctx, p)
		if err != nil {
			return fmt.Errorf("compare weight %q: %w", p.a.Name, err)
		}
		if w != nil {
			res.Weights.Changed = append(res.Weights.Changed, *w)
			d.weightOf[p.a.Name] = w
		}
	}
	for _, t := range removed {
		res.Weights.Removed = append(res.Weights.Removed, t.Name)
		d.weightOf[t.Name] = nil
	}
	for _, t := range added {
		res.Weights.Added = append(res.Weights.Added, t.Name)
	}
	return nil
}

// classifyNodes fills the node half of res from the matching.
func classifyNodes(ia, ib *index, d *differ, res *Result) {
	for i := range ia.nodes {
		j := ia.nodes[i].match
		if j < 0 {
			res.Nodes.Removed = append(res.Nodes.Removed, ia.nodes[i].label)
			continue
		}
		res.Nodes.Matched++
		res.Pairs = append(res.Pairs, Pair{A: i, B: j, Score: ia.nodes[i].score})
		if ch := d.changes(i, j); len(ch) > 0 {
			res.Nodes.Changed = append(res.Nodes.Changed, NodeChange{A: ia.nodes[i].label, B: ib.nodes[j].label, Changes: ch, IA: i, IB: j})
		}
	}
	for j := range ib.nodes {
		if ib.nodes[j].match < 0 {
			res.Nodes.Added = append(res.Nodes.Added, ib.nodes[j].label)
		}
	}
}
