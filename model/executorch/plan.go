package executorch

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// plan is one decoded execution plan (method).
type plan struct {
	name         string
	t            flatbuf.Table
	values       []evalue
	g            *model.Graph
	instructions int
	backends     []string
	// defined marks values already written (inputs, constants, outputs of
	// earlier instructions), to tell an instruction's outputs from inputs.
	defined map[int64]bool
	// typed marks values already listed in Graph.ValueInfo.
	typed map[int64]bool
	ops   []string // "name.overload" per operator
}

// evalue is one entry of ExecutionPlan.values: its KernelTypes kind and
// the table of its value (absent for Null).
type evalue struct {
	kind uint8
	t    flatbuf.Table
}

func (d *decoder) decodePlan(pt flatbuf.Table) (*plan, error) {
	p := &plan{name: d.Str(pt, planName), t: pt, defined: map[int64]bool{}, typed: map[int64]bool{}}
	p.g = &model.Graph{Name: p.name, Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	if ct, ok := d.Sub(pt, planContainer); ok {
		p.g.Doc = fmt.Sprintf("input pytree: %s\noutput pytree: %s", d.Str(ct, containerIn), d.Str(ct, containerOut))
	}
	if err := d.decodeValues(p); err != nil {
		return p, err
	}
	d.decodeOperators(p)
	var err error
	if p.g.Inputs, err = d.planValues(p, planInputs); err != nil {
		return p, fmt.Errorf("inputs: %w", err)
	}
	if p.g.Outputs, err = d.planValues(p, planOutputs); err != nil {
		return p, fmt.Errorf("outputs: %w", err)
	}
	if err := d.constants(p); err != nil {
		return p, err
	}
	if err := d.decodeChains(p); err != nil {
		return p, err
	}
	if d.Err != nil {
		return p, d.wrap("plan")
	}
	return p, nil
}

func (d *decoder) decodeValues(p *plan) error {
	start, n := d.TableVector(p.t, planValues)
	if !d.Charge(4 * n) {
		return d.wrap("values")
	}
	p.values = make([]evalue, n)
	for i := int64(0); i < n; i++ {
		et, ok := d.Elem(start, i)
		if !ok {
			return d.wrap(fmt.Sprintf("value %d", i))
		}
		ev := evalue{kind: d.Uint8(et, evalueType, 0)}
		if d.Has(et, evalueVal) {
			if ev.t, ok = d.Sub(et, evalueVal); !ok {
				return d.wrap(fmt.Sprintf("value %d", i))
			}
		}
		p.values[i] = ev
	}
	return nil
}

func (d *decoder) decodeOperators(p *plan) {
	start, n := d.TableVector(p.t, planOperators)
	if !d.Charge(n) {
		return
	}
	p.ops = make([]string, 0, n)
	for i := int64(0); i < n; i++ {
		t, ok := d.Elem(start, i)
		if !ok {
			return
		}
		name, overload := d.Str(t, operatorName), d.Str(t, operatorOverload)
		if overload != "" {
			name += "." + overload
		}
		p.ops = append(p.ops, name)
	}
}

// planValues returns the plan's inputs or outputs, named by EValue index.
func (d *decoder) planValues(p *plan, slot int) ([]*model.Value, error) {
	idx, _, _ := d.Int32s(p.t, slot, maxList)
	if d.Err != nil {
		return nil, d.wrap("value list")
	}
	out := make([]*model.Value, 0, len(idx))
	for _, i := range idx {
		if err := p.check(i); err != nil {
			return nil, err
		}
		if slot == planInputs {
			p.defined[i] = true
		}
		out = append(out, &model.Value{Name: itoa(i), Type: d.valueType(p, i)})
	}
	return out, nil
}

func (p *plan) check(i int64) error {
	if i < 0 || i >= int64(len(p.values)) {
		return fmt.Errorf("refers to value %d but the plan has %d values", i, len(p.values))
	}
	return nil
}

// valueType is a Tensor value's dtype and shape, or the kind of another
// value ("Int", "Bool", ...) as an opaque type.
func (d *decoder) valueType(p *plan, i int64) *model.Type {
	ev := p.values[i]
	if ev.kind != kindTensor {
		return &model.Type{Kind: model.KindOpaque, DType: model.DType(kindName(ev.kind))}
	}
	dt, sizes := d.tensorInfo(ev.t)
	return &model.Type{Kind: model.KindTensor, DType: dt, Shape: model.ShapeOf(sizes)}
}

// tensorInfo reads a Tensor table's dtype and sizes (empty for a scalar).
func (d *decoder) tensorInfo(t flatbuf.Table) (model.DType, []int64) {
	sizes, n, _ := d.Int32s(t, tensorSizes, maxRank)
	if int64(len(sizes)) < n {
		d.Fail("a tensor has rank %d (limit %d)", n, maxRank)
	}
	if sizes == nil {
		sizes = []int64{}
	}
	return scalarType(int8(d.Uint8(t, tensorScalarType, 0))), sizes
}

// typeValue records a tensor value's type in Graph.ValueInfo once.
func (d *decoder) typeValue(p *plan, i int64) {
	if p.typed[i] || p.values[i].kind != kindTensor {
		return
	}
	p.typed[i] = true
	p.g.ValueInfo = append(p.g.ValueInfo, &model.Value{Name: itoa(i), Type: d.valueType(p, i)})
}
