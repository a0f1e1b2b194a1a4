package mlir

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// regionNames are the ODS names of the regions of common region ops, in
// order; other regions are named "region<i>".
var regionNames = map[string][]string{
	"stablehlo.while": {"cond", "body"}, "mhlo.while": {"cond", "body"},
	"stablehlo.if": {"true_branch", "false_branch"}, "mhlo.if": {"true_branch", "false_branch"},
	"stablehlo.reduce": {"body"}, "stablehlo.reduce_window": {"body"}, "stablehlo.sort": {"comparator"},
	"stablehlo.scatter": {"update_computation"}, "stablehlo.map": {"computation"},
	"stablehlo.all_reduce": {"computation"}, "stablehlo.select_and_scatter": {"select", "scatter"},
	"scf.if": {"thenRegion", "elseRegion"}, "scf.while": {"before", "after"},
	"tosa.cond_if": {"then_graph", "else_graph"}, "tosa.while_loop": {"cond_graph", "body_graph"},
}

// regionAttrName names the attribute holding region i of op full.
func regionAttrName(full string, i int) string {
	if names := regionNames[full]; i < len(names) {
		return names[i]
	}
	return "region" + strconv.Itoa(i)
}

// addRegions gives node n one graph attribute per region of o. defs are
// the values o names for its regions (`%i = %lb to ...`, iter_args,
// `reducer(%a: t)`): they are the inputs of the regions whose entry block
// has no arguments. It reports whether some region took them.
func (b *builder) addRegions(o *op, n *model.Node, inner *scope, defs []*model.Value) bool {
	took := false
	for i, r := range o.regions {
		var implicit []*model.Value
		if len(r.blocks) == 0 || len(r.blocks[0].args) == 0 {
			implicit, took = defs, true
		}
		g := b.regionGraph(r, inner, implicit)
		g.Name = fmt.Sprintf("region %d of %s", i, n.Name)
		n.Attrs = append(n.Attrs, model.Attribute{Name: regionAttrName(n.OpType, i), Type: model.AttrGraph, Graphs: []*model.Graph{g}})
	}
	return took && len(o.regions) > 0
}

// regionGraph makes the subgraph of a region: the implicit values and
// every block's arguments as inputs, its ops as nodes, and the operands
// of its final terminator as outputs "0", "1", ... Values of the
// enclosing scopes keep their names, so the viewer shows them as read
// from outside.
func (b *builder) regionGraph(r *region, parent *scope, implicit []*model.Value) *model.Graph {
	s := &scope{parent: parent, names: map[string]string{}}
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	for _, v := range implicit {
		g.Inputs = append(g.Inputs, &model.Value{Name: v.Name, Type: v.Type})
	}
	var last *model.Node
	for _, blk := range r.blocks {
		for _, a := range blk.args {
			g.Inputs = append(g.Inputs, &model.Value{Name: b.define(s, a.name), Type: parseType(a.typ)})
		}
		for _, o := range blk.ops {
			last = b.addOp(g, o, s)
		}
	}
	if len(r.blocks) > 0 {
		if ops := r.blocks[len(r.blocks)-1].ops; len(ops) > 0 && isTerminator(ops[len(ops)-1]) {
			b.wireTerminator(g, last, ops[len(ops)-1])
		}
	}
	return g
}

// isTerminator reports whether o ends a region by handing values out
// (return, yield, scf.condition).
func isTerminator(o *op) bool {
	if len(o.results) > 0 {
		return false
	}
	name := o.name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return name == "return" || name == "yield" || name == "condition"
}

// wireTerminator makes the terminator node n (of op o) produce the
// region's outputs, one per operand, typed by o's signature.
func (b *builder) wireTerminator(g *model.Graph, n *model.Node, o *op) {
	types := b.operandTypes(o)
	n.Outputs = n.Outputs[:0]
	for i := range n.Inputs {
		v := &model.Value{Name: strconv.Itoa(i)}
		if len(types) == len(n.Inputs) {
			v.Type = parseType(types[i])
		}
		n.Outputs = append(n.Outputs, v.Name)
		g.Outputs = append(g.Outputs, v)
	}
}

// operandTypes reads the op's operand types from its signature: before
// the top-level "->" of a generic form, else the listed types.
func (b *builder) operandTypes(o *op) []string {
	for i, t := range o.sig() {
		if t.kind == tArrow {
			return b.p.typeList(o.sig()[:i])
		}
	}
	return b.resultTypes(o)
}
