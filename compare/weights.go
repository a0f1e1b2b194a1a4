package compare

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// weightPair is a weight of A with its counterpart in B.
type weightPair struct{ a, b *model.Tensor }

// pairWeights pairs initializers by name, then the leftovers held by
// matched nodes by their place among the node's weights.
func pairWeights(a, b *index) (pairs []weightPair, removed, added []*model.Tensor) {
	usedA, usedB := map[*model.Tensor]bool{}, map[*model.Tensor]bool{}
	for _, t := range a.g.Initializers {
		if t == nil {
			continue
		}
		if u, ok := b.weights[t.Name]; ok && !usedB[u] {
			pairs = append(pairs, weightPair{t, u})
			usedA[t], usedB[u] = true, true
		}
	}
	for i := range a.nodes {
		j := a.nodes[i].match
		if j < 0 {
			continue
		}
		wa, wb := a.nodes[i].weights, b.nodes[j].weights
		for k := range min(len(wa), len(wb)) {
			if !usedA[wa[k]] && !usedB[wb[k]] {
				pairs = append(pairs, weightPair{wa[k], wb[k]})
				usedA[wa[k]], usedB[wb[k]] = true, true
			}
		}
	}
	for _, t := range a.g.Initializers {
		if t != nil && !usedA[t] {
			removed = append(removed, t)
		}
	}
	for _, t := range b.g.Initializers {
		if t != nil && !usedB[t] {
			added = append(added, t)
		}
	}
	return pairs, removed, added
}

// compareWeight classifies one weight pair; nil means the same.
func compareWeight(ctx context.Context, p weightPair) (*WeightChange, error) {
	a, b := p.a, p.b
	w := &WeightChange{A: a.Name, B: b.Name, DTypeA: string(a.DType), DTypeB: string(b.DType),
		ShapeA: nonNil(a.Shape), ShapeB: nonNil(b.Shape)}
	switch dt, sh := a.DType != b.DType, !slices.Equal(a.Shape, b.Shape); {
	case dt && sh:
		w.Kind = "dtype+shape"
	case dt:
		w.Kind = "dtype"
	case sh:
		w.Kind = "shape"
	case sameLocation(a.Location, b.Location):
		return nil, nil
	case sameLayout(a, b):
		// Equal stored bytes are equal values: a memory compare, which
		// stops at the first difference, spares decoding unchanged weights.
		if same, err := sameBytes(ctx, a.Location, b.Location); err == nil && same {
			return nil, nil
		}
	}
	s, err := compareValues(ctx, a, b)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err == nil {
		s.fill(w)
		if w.Kind == "" && s.differ == 0 {
			return nil, nil
		}
		if w.Kind == "" {
			w.Kind = "values"
		}
		return w, nil
	}
	return unreadable(ctx, w, a, b, err)
}

// unreadable classifies a pair whose values could not be decoded: equal
// types compare by stored bytes, and the note says why there are no
// statistics.
func unreadable(ctx context.Context, w *WeightChange, a, b *model.Tensor, why error) (*WeightChange, error) {
	w.Note = "values not compared: " + reason(a, b, why)
	if w.Kind != "" {
		return w, nil
	}
	if a.Location == nil || b.Location == nil || a.Location.Missing || b.Location.Missing {
		return nil, nil // no data on either side to tell apart
	}
	same, err := sameBytes(ctx, a.Location, b.Location)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		w.Kind, w.Note = "values", fmt.Sprintf("could not read the data: %v", err)
		return w, nil
	}
	if same {
		return nil, nil
	}
	w.Kind, w.Note = "values", "stored bytes differ; "+w.Note
	return w, nil
}

// reason explains in words why values could not be compared.
func reason(a, b *model.Tensor, err error) string {
	for _, t := range []*model.Tensor{a, b} {
		if _, ok := ggmlBlocks(t); !ok && t.Quant != nil && t.Quant.Scheme != "" && t.Location != nil && t.Location.Encoding == model.EncOpaque {
			return fmt.Sprintf("no dequantiser for %s yet", t.Quant.Scheme)
		}
	}
	if errors.Is(err, model.ErrNoPreview) {
		return "the values of " + string(a.DType) + " / " + string(b.DType) + " cannot be decoded"
	}
	return err.Error()
}

// sameLocation says whether both tensors are the very same bytes.
func sameLocation(a, b *model.Location) bool {
	return a != nil && b != nil && !a.Missing && *a == *b
}

// sameLayout says whether two tensors of one dtype and shape store their
// values the same way, so equal bytes mean equal values.
func sameLayout(a, b *model.Tensor) bool {
	la, lb := a.Location, b.Location
	return la != nil && lb != nil && !la.Missing && !lb.Missing && la.Encoding == lb.Encoding &&
		la.Length == lb.Length && quantEqual(a.Quant, b.Quant)
}

// quantEqual compares quantisation parameters.
func quantEqual(a, b *model.Quantization) bool {
	if a == nil || b == nil {
		return a == b
	}
	return slices.Equal(a.Scale, b.Scale) && slices.Equal(a.ZeroPoint, b.ZeroPoint) && a.Axis == b.Axis && a.Scheme == b.Scheme
}

func nonNil(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}
