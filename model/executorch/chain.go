package executorch

import (
	"fmt"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// costPerNode is the work budget one instruction takes.
const costPerNode = 64

func (d *decoder) decodeChains(p *plan) error {
	start, n := d.TableVector(p.t, planChains)
	for c := int64(0); c < n; c++ {
		ct, ok := d.Elem(start, c)
		if !ok {
			return d.wrap(fmt.Sprintf("chain %d", c))
		}
		is, ni := d.TableVector(ct, chainInstructions)
		if !d.Charge(costPerNode * ni) {
			return d.wrap(fmt.Sprintf("chain %d", c))
		}
		for i := int64(0); i < ni; i++ {
			if err := d.ctx.Err(); err != nil {
				return err
			}
			it, ok := d.Elem(is, i)
			if !ok {
				return d.wrap(fmt.Sprintf("chain %d instruction %d", c, i))
			}
			node, err := d.instruction(p, it)
			if err != nil {
				return fmt.Errorf("chain %d instruction %d: %w", c, i, err)
			}
			node.Doc = d.frame(ct, i)
			node.Name = fmt.Sprintf("%d", i)
			if n > 1 {
				node.Name = fmt.Sprintf("chain %d #%d", c, i)
			}
			p.g.Nodes = append(p.g.Nodes, node)
			p.instructions++
		}
	}
	return nil
}

// instruction decodes one Instruction into a node.
func (d *decoder) instruction(p *plan, it flatbuf.Table) (*model.Node, error) {
	kind := d.Uint8(it, instrType, 0)
	at, ok := d.Sub(it, instrArgs)
	if !ok {
		if d.Err != nil {
			return nil, d.Err
		}
		return nil, fmt.Errorf("instruction of kind %d has no arguments", kind)
	}
	n := &model.Node{Inputs: []string{}, Outputs: []string{}}
	var err error
	switch kind {
	case instrKernel:
		err = d.kernelCall(p, at, n)
	case instrDelegate:
		err = d.delegateCall(p, at, n)
	case instrMove:
		n.OpType, n.Category = "move", "control"
		err = d.wire(p, n, int64(d.Int32(at, moveFrom, 0)), int64(d.Int32(at, moveTo, 0)))
	case instrJumpFalse:
		n.OpType, n.Category = "jump_false", "control"
		err = d.wire(p, n, int64(d.Int32(at, jumpCond, 0)), -1)
		n.Attrs = append(n.Attrs, model.Attribute{Name: "destination_instruction", Type: model.AttrInt, Int: int64(d.Int32(at, jumpDest, 0))})
	case instrFree:
		n.OpType, n.Category = "free", "control"
		err = d.wire(p, n, int64(d.Int32(at, freeValue, 0)), -1)
	default:
		return nil, fmt.Errorf("unknown instruction kind %d", kind)
	}
	if err == nil && d.Err != nil {
		err = d.Err
	}
	return n, err
}

// wire connects a one-in, at-most-one-out instruction (move, jump, free).
func (d *decoder) wire(p *plan, n *model.Node, in, out int64) error {
	if err := p.check(in); err != nil {
		return err
	}
	n.Inputs = append(n.Inputs, itoa(in))
	d.typeValue(p, in)
	if out >= 0 {
		if err := p.check(out); err != nil {
			return err
		}
		n.Outputs = append(n.Outputs, itoa(out))
		p.defined[out] = true
		d.typeValue(p, out)
	}
	return nil
}

func (d *decoder) kernelCall(p *plan, at flatbuf.Table, n *model.Node) error {
	op := int64(d.Int32(at, callIndex, 0))
	if op < 0 || op >= int64(len(p.ops)) {
		return fmt.Errorf("operator index %d is out of range (the plan has %d operators)", op, len(p.ops))
	}
	name := p.ops[op]
	if dom, rest, ok := strings.Cut(name, "::"); ok && dom != "" && rest != "" {
		n.Domain, n.OpType = dom, rest
	} else {
		n.OpType = name
	}
	return d.args(p, at, n, true)
}

func (d *decoder) delegateCall(p *plan, at flatbuf.Table, n *model.Node) error {
	di := int64(d.Int32(at, callIndex, 0))
	start, nd := d.TableVector(p.t, planDelegates)
	if di < 0 || di >= nd {
		return fmt.Errorf("delegate index %d is out of range (the plan has %d delegates)", di, nd)
	}
	dt, ok := d.Elem(start, di)
	if !ok {
		return d.wrap(fmt.Sprintf("delegate %d", di))
	}
	id := d.Str(dt, delegateID)
	n.OpType, n.Category = "delegate:"+id, "custom"
	p.backends = append(p.backends, id)
	n.Attrs = append(n.Attrs, model.Attribute{Name: "backend", Type: model.AttrString, String: id})
	n.Attrs = append(n.Attrs, d.delegateBlob(dt)...)
	n.Attrs = append(n.Attrs, d.compileSpecs(dt)...)
	return d.args(p, at, n, false)
}

// frame describes where instruction i of a chain came from, from the
// innermost frame of Chain.stacktrace: "file:line in function: source".
func (d *decoder) frame(ct flatbuf.Table, i int64) string {
	start, n := d.TableVector(ct, chainStacktrace)
	if i >= n {
		return ""
	}
	fl, ok := d.Elem(start, i)
	if !ok {
		return ""
	}
	fs, nf := d.TableVector(fl, 0)
	if nf == 0 {
		return ""
	}
	f, ok := d.Elem(fs, nf-1)
	if !ok {
		return ""
	}
	s := fmt.Sprintf("%s:%d in %s", d.Str(f, frameFile), d.Int32(f, frameLine, 0), d.Str(f, frameName))
	if c := d.Str(f, frameContext); c != "" {
		s += ": " + c
	}
	return s
}
