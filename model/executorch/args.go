package executorch

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// args wires the EValue arguments of a kernel or delegate call. Tensors
// (and plan inputs of any kind) become value names, tensor lists their
// items; other values (ints, lists of ints, None) become attributes
// "argN". ExecuTorch calls take their out arguments last: the trailing run
// of tensors not written before are the node's outputs (at least the last
// tensor argument).
func (d *decoder) args(p *plan, at flatbuf.Table, n *model.Node, kernel bool) error {
	args, _, _ := d.Int32s(at, callArgs, maxList)
	if d.Err != nil {
		return d.Err
	}
	edges := make([][]int64, len(args))
	for k, a := range args {
		if err := p.check(a); err != nil {
			return err
		}
		var err error
		if edges[k], err = d.edges(p, a); err != nil {
			return err
		}
	}
	// A kernel's last argument is its out argument even when it is a
	// scalar (executorch_prim::add.Scalar, aten::is_nonzero.out into a Bool).
	if last := len(args) - 1; kernel && last >= 0 && edges[last] == nil && !p.defined[args[last]] && isScalar(p.values[args[last]].kind) {
		edges[last] = []int64{args[last]}
	}
	outFrom := outputStart(p, edges)
	for k, a := range args {
		if edges[k] == nil {
			n.Attrs = append(n.Attrs, d.scalarAttr(p, "arg"+strconv.Itoa(k), a))
			continue
		}
		for _, e := range edges[k] {
			name := ""
			if e >= 0 {
				name = itoa(e)
				d.typeValue(p, e)
			}
			if k >= outFrom {
				// Out variants list their out argument twice: as the
				// argument and as the returned value.
				if name != "" && slices.Contains(n.Outputs, name) {
					continue
				}
				n.Outputs = append(n.Outputs, name)
				p.defined[e] = true
			} else {
				n.Inputs = append(n.Inputs, name)
			}
		}
	}
	return nil
}

// edges returns the values an argument stands for in the graph: a tensor
// or plan input itself, a tensor list its items (-1 for a None item of an
// optional list); nil for an argument shown as an attribute.
func (d *decoder) edges(p *plan, a int64) ([]int64, error) {
	switch p.values[a].kind {
	case kindTensor:
		return []int64{a}, nil
	case kindTensorList, kindOptionalTensorList:
		items, _, _ := d.Int32s(p.values[a].t, 0, maxList)
		if d.Err != nil {
			return nil, d.Err
		}
		for _, it := range items {
			if it < -1 || it >= int64(len(p.values)) {
				return nil, fmt.Errorf("tensor list %d refers to value %d but the plan has %d values", a, it, len(p.values))
			}
		}
		if items == nil {
			items = []int64{}
		}
		return items, nil
	}
	if p.defined[a] {
		return []int64{a}, nil
	}
	return nil, nil
}

// outputStart returns the index of the first output argument.
func outputStart(p *plan, edges [][]int64) int {
	fresh := func(es []int64) bool {
		if len(es) == 0 {
			return false
		}
		for _, e := range es {
			if e >= 0 && (p.defined[e] || !p.isTensorish(e) && !isScalar(p.values[e].kind)) {
				return false
			}
		}
		return true
	}
	k := len(edges)
	for k > 0 && edges[k-1] != nil && fresh(edges[k-1]) {
		k--
	}
	if k == len(edges) && k > 0 && len(edges[k-1]) > 0 && p.isTensorish(edges[k-1][0]) {
		k-- // an in-place write to a value written before
	}
	return k
}

func isScalar(kind uint8) bool { return kind == kindInt || kind == kindBool || kind == kindDouble }

func (p *plan) isTensorish(i int64) bool {
	return i >= 0 && p.values[i].kind == kindTensor
}

// scalarAttr shows a non-tensor EValue as a typed attribute.
func (d *decoder) scalarAttr(p *plan, name string, i int64) model.Attribute {
	ev := p.values[i]
	a := model.Attribute{Name: name, Doc: "value " + itoa(i)}
	switch ev.kind {
	case kindInt:
		a.Type, a.Int = model.AttrInt, d.Int64(ev.t, 0)
	case kindBool:
		a.Type, a.Int = model.AttrBool, int64(d.Uint8(ev.t, 0, 0))
	case kindDouble:
		a.Type, a.Float = model.AttrFloat, float64frombits(d.Uint64(ev.t, 0))
	case kindString:
		a.Type, a.String = model.AttrString, d.Str(ev.t, 0)
	case kindIntList:
		a.Type = model.AttrInts
		a.Ints, a.Count = d.intList(p, ev.t)
		a.Truncated = a.Count > int64(len(a.Ints))
	case kindDoubleList:
		a.Type = model.AttrFloats
		a.Floats, a.Count = d.doubles(ev.t)
		a.Truncated = a.Count > int64(len(a.Floats))
	case kindBoolList:
		start, n := d.Vector(ev.t, 0, 1)
		a.Type, a.Count = model.AttrInts, n
		for j := int64(0); j < min(n, maxAttrs); j++ {
			a.Ints = append(a.Ints, int64(d.U8At(start+j)))
		}
		a.Truncated = n > maxAttrs
	case kindNull:
		a.Type, a.String = model.AttrString, "None"
	default:
		a.Type, a.String = model.AttrString, kindName(ev.kind)
	}
	if !a.Truncated {
		a.Count = 0
	}
	return a
}

// intList resolves an IntList, whose items are indices of Int values.
func (d *decoder) intList(p *plan, t flatbuf.Table) ([]int64, int64) {
	items, n, _ := d.Int64s(t, 0, maxAttrs)
	out := make([]int64, 0, len(items))
	for _, it := range items {
		if it < 0 || it >= int64(len(p.values)) || p.values[it].kind != kindInt {
			d.warnOnce(fmt.Sprintf("an int list refers to value %d, which is not an Int", it))
			out = append(out, 0)
			continue
		}
		out = append(out, d.Int64(p.values[it].t, 0))
	}
	return out, n
}

func (d *decoder) doubles(t flatbuf.Table) ([]float64, int64) {
	start, n := d.Vector(t, 0, 8)
	var out []float64
	for j := int64(0); j < min(n, maxAttrs); j++ {
		out = append(out, float64frombits(d.U64At(start+8*j)))
	}
	return out, n
}

func (d *decoder) warnOnce(w string) {
	for _, x := range d.warnings {
		if x == w {
			return
		}
	}
	if len(d.warnings) < 100 {
		d.warnings = append(d.warnings, w)
	}
}
