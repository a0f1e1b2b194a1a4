package shapeinfer

import (
	"context"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxCallNodes bounds the function-body nodes inferred for the calls of
// one model; maxCallDepth the nesting of calls (a function may call
// functions, or itself in a hostile file).
const (
	maxCallNodes = 200_000
	maxCallDepth = 8
)

// Functions indexes a model's local functions as Options.Functions
// wants them: by "domain::name" ("::name" in the default domain).
func Functions(m *model.Model) map[string]*model.Graph {
	if m == nil || len(m.Functions) == 0 {
		return nil
	}
	out := make(map[string]*model.Graph, len(m.Functions))
	for _, f := range m.Functions {
		if f == nil {
			continue
		}
		if strings.Contains(f.Name, "::") {
			out[f.Name] = f
		} else {
			out["::"+f.Name] = f
		}
	}
	return out
}

func newCallBudget() *int {
	n := maxCallNodes
	return &n
}

// callRule types a call of a model-local function by inferring its body
// with the caller's input types and attributes: the outputs get the
// types the body's outputs get. A body referring to an attribute the
// caller does not set is not inferred (its default is not known here).
func callRule(f *model.Graph) rule {
	return func(c *nodeCtx) []*model.Type {
		opt := c.in.opt
		if opt.calls == nil || *opt.calls < len(f.Nodes) || opt.callDepth >= maxCallDepth {
			return nil
		}
		body, ok := instantiate(f, c)
		if !ok {
			return nil
		}
		*opt.calls -= len(f.Nodes)
		opt.callDepth++
		info := infer(context.Background(), body, opt, nil)
		out := make([]*model.Type, len(f.Outputs))
		for i, v := range f.Outputs {
			if v != nil {
				out[i] = info.Type(v.Name)
			}
		}
		return out
	}
}

// instantiate copies f's body for one call: its inputs typed with the
// caller's, its attribute references replaced by the caller's values.
func instantiate(f *model.Graph, c *nodeCtx) (*model.Graph, bool) {
	g := &model.Graph{Nodes: make([]*model.Node, 0, len(f.Nodes))}
	for i, v := range f.Inputs {
		if v == nil {
			continue
		}
		g.Inputs = append(g.Inputs, &model.Value{Name: v.Name, Type: c.anyType(i)})
	}
	for _, n := range f.Nodes {
		cp, ok := bindAttrs(n, c)
		if !ok {
			return nil, false
		}
		g.Nodes = append(g.Nodes, cp)
	}
	return g, true
}

// bindAttrs returns n with its attribute references bound to the
// caller's attributes; false when the caller lacks one.
func bindAttrs(n *model.Node, c *nodeCtx) (*model.Node, bool) {
	bound := false
	for _, a := range n.Attrs {
		bound = bound || a.Type == model.AttrRef
	}
	if !bound {
		return n, true
	}
	cp := *n
	cp.Attrs = make([]model.Attribute, len(n.Attrs))
	for i, a := range n.Attrs {
		if a.Type != model.AttrRef {
			cp.Attrs[i] = a
			continue
		}
		v := c.attr(a.RefName)
		if v == nil {
			return nil, false
		}
		cp.Attrs[i] = *v
		cp.Attrs[i].Name = a.Name
	}
	return &cp, true
}
