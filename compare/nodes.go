package compare

import (
	"fmt"
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// differ turns a matched node pair into change lines.
type differ struct {
	a, b     *index
	cross    bool
	opsetA   map[string]int64
	opsetB   map[string]int64
	weightOf map[string]*WeightChange // by A's weight name
}

// opsets maps each operator domain to its imported version.
func opsets(m *model.Model) map[string]int64 {
	o := map[string]int64{}
	for _, s := range m.Opsets {
		d := s.Domain
		if d == "ai.onnx" {
			d = ""
		}
		o[d] = s.Version
	}
	return o
}

// changes lists how node j of B differs from node i of A.
func (d *differ) changes(i, j int) []string {
	an, bn := d.a.nodes[i].n, d.b.nodes[j].n
	var out []string
	if d.cross {
		if d.a.nodes[i].op != d.b.nodes[j].op {
			out = append(out, fmt.Sprintf("op %s → %s", an.OpType, bn.OpType))
		}
	} else {
		out = append(out, d.opChanges(an, bn)...)
		out = append(out, attrChanges(an.Attrs, bn.Attrs)...)
		out = append(out, d.inputChanges(an, bn)...)
	}
	return append(out, d.weightChanges(i, j)...)
}

// opChanges compares op type, domain and the domain's operator version.
func (d *differ) opChanges(an, bn *model.Node) []string {
	var out []string
	if an.OpType != bn.OpType {
		out = append(out, fmt.Sprintf("op %s → %s", an.OpType, bn.OpType))
	}
	if an.Domain != bn.Domain {
		out = append(out, fmt.Sprintf("domain %q → %q", an.Domain, bn.Domain))
	}
	va, oka := d.opsetA[an.Domain]
	vb, okb := d.opsetB[bn.Domain]
	if (oka || okb) && va != vb {
		out = append(out, fmt.Sprintf("op version %d → %d", va, vb))
	}
	return out
}

// attrChanges compares attributes by name.
func attrChanges(as, bs []model.Attribute) []string {
	var out []string
	bByName := map[string]model.Attribute{}
	for _, b := range bs {
		bByName[b.Name] = b
	}
	seen := map[string]bool{}
	for _, a := range as {
		seen[a.Name] = true
		b, ok := bByName[a.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("attribute %s removed (%s)", a.Name, attrString(a)))
		case attrString(a) != attrString(b):
			out = append(out, fmt.Sprintf("attribute %s %s → %s", a.Name, attrString(a), attrString(b)))
		}
	}
	for _, b := range bs {
		if !seen[b.Name] {
			out = append(out, fmt.Sprintf("attribute %s added (%s)", b.Name, attrString(b)))
		}
	}
	return out
}

// inputChanges compares the types of the data inputs, slot by slot.
func (d *differ) inputChanges(an, bn *model.Node) []string {
	ia, ib := d.dataInputs(d.a, an), d.dataInputs(d.b, bn)
	var out []string
	if len(ia) != len(ib) {
		out = append(out, fmt.Sprintf("inputs %d → %d", len(ia), len(ib)))
	}
	for k := range min(len(ia), len(ib)) {
		if ia[k] != ib[k] && ia[k] != "" && ib[k] != "" {
			out = append(out, fmt.Sprintf("input %d %s → %s", k, ia[k], ib[k]))
		}
	}
	return out
}

// dataInputs returns the types of the node's non-weight inputs.
func (d *differ) dataInputs(x *index, n *model.Node) []string {
	var ts []string
	for _, in := range n.Inputs {
		if _, w := x.weights[in]; !w {
			ts = append(ts, typeString(x.types[in]))
		}
	}
	return ts
}

// weightChanges reports the node's weights that changed or have no
// counterpart.
func (d *differ) weightChanges(i, j int) []string {
	var out []string
	bw := d.b.nodes[j].weights
	for _, t := range d.a.nodes[i].weights {
		w, ok := d.weightOf[t.Name]
		if !ok {
			continue
		}
		if w == nil {
			out = append(out, fmt.Sprintf("weight %s removed", t.Name))
			continue
		}
		out = append(out, "weight "+w.summary())
	}
	if len(bw) > len(d.a.nodes[i].weights) {
		out = append(out, fmt.Sprintf("weights %d → %d", len(d.a.nodes[i].weights), len(bw)))
	}
	return slices.Clip(out)
}

// summary is a one-line description of a weight change.
func (w *WeightChange) summary() string {
	s := w.A
	if w.A != w.B {
		s += " (↔ " + w.B + ")"
	}
	if w.DTypeA != w.DTypeB {
		s += fmt.Sprintf(" dtype %s → %s", w.DTypeA, w.DTypeB)
	}
	if !slices.Equal(w.ShapeA, w.ShapeB) {
		s += fmt.Sprintf(" shape %s → %s", shapeList(w.ShapeA), shapeList(w.ShapeB))
	}
	if w.MaxAbsDiff != nil && *w.MaxAbsDiff != 0 {
		s += fmt.Sprintf(" values changed (max abs diff %.4g, cosine %s)", *w.MaxAbsDiff, optString(w.Cosine))
	} else if w.Note != "" {
		s += " (" + w.Note + ")"
	}
	return s
}

func optString(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.6f", *v)
}
