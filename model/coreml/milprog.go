package coreml

import (
	"sort"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// textFunction is one parsed "func" of a MIL text program.
type textFunction struct {
	name, opset string
	graph       *model.Graph
}

// parseProgram parses a whole model.mil.
func (p *milParser) parseProgram() []textFunction {
	p.advance()
	if p.tok.text != "program" {
		p.fail("the text does not start with program(...)")
		return nil
	}
	p.advance()
	if p.is("(") {
		p.skipBalanced("(", ")")
	}
	if p.is("[") {
		p.skipBalanced("[", "]")
	}
	p.expect("{")
	var fns []textFunction
	for p.err == nil && p.tok.text == "func" {
		fns = append(fns, p.function())
	}
	p.expect("}")
	return fns
}

// function parses func name<opset>(params) { ... } -> (outputs);
func (p *milParser) function() textFunction {
	p.expect("func")
	fn := textFunction{name: p.ident()}
	if p.is("<") {
		p.advance()
		fn.opset = p.ident()
		p.expect(">")
	}
	g := &model.Graph{Name: fn.name, Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	p.params(g)
	if p.is("[") {
		p.skipBalanced("[", "]")
	}
	p.body(g, 0)
	fn.graph = g
	if p.is(";") {
		p.advance()
	}
	return fn
}

// body parses { statements } -> (outputs) into g.
func (p *milParser) body(g *model.Graph, depth int) {
	if depth > maxMILDepth {
		p.fail("blocks nest more than %d levels deep", maxMILDepth)
		return
	}
	p.expect("{")
	for p.err == nil && !p.is("}") && p.tok.kind != tEOF {
		p.statement(g, depth)
	}
	p.expect("}")
	if !p.is("->") {
		return
	}
	p.advance()
	p.expect("(")
	for p.err == nil && !p.is(")") {
		if err := p.d.charge(costValue); err != nil {
			p.fail("%v", err)
		}
		if p.tok.kind == tIdent {
			g.Outputs = append(g.Outputs, &model.Value{Name: p.tok.text})
		}
		p.advance()
	}
	p.expect(")")
}

// statement parses one operation: outputs = op(args)[attrs] {blocks};
func (p *milParser) statement(g *model.Graph, depth int) {
	if err := p.d.charge(costNode); err != nil {
		p.fail("%v", err)
		return
	}
	n := &model.Node{Inputs: []string{}, Outputs: []string{}}
	outs := p.outputs()
	for _, v := range outs {
		n.Outputs = append(n.Outputs, v.Name)
	}
	p.expect("=")
	n.OpType = p.ident()
	p.expect("(")
	for p.err == nil && !p.is(")") {
		key := p.ident()
		p.expect("=")
		p.argument(n, key, 0)
		if p.is(",") {
			p.advance()
		}
	}
	p.expect(")")
	var val literal
	if p.is("[") {
		val = p.attributes(n)
	}
	for p.err == nil && (p.is("{") || p.tok.kind == tIdent) {
		n.Attrs = appendGraph(n.Attrs, p.nestedBlock(depth))
	}
	if p.is(";") {
		p.advance()
	}
	if n.Name == "" && len(n.Outputs) > 0 {
		n.Name = n.Outputs[0]
	}
	n.Category = milCategory(n.OpType)
	g.Nodes = append(g.Nodes, n)
	g.ValueInfo = append(g.ValueInfo, outs...)
	if n.OpType == "const" && len(outs) > 0 && p.err == nil {
		g.Initializers = append(g.Initializers, p.constTensor(outs[0], val))
	}
}

// nestedBlock parses a block of a control-flow operation: an optional
// name and parameter list, then { statements } -> (outputs).
func (p *milParser) nestedBlock(depth int) *model.Graph {
	b := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	if p.tok.kind == tIdent {
		b.Name = p.ident()
		p.params(b)
	}
	p.body(b, depth+1)
	return b
}

// params parses a parenthesised list of typed names into g's inputs.
func (p *milParser) params(g *model.Graph) {
	p.expect("(")
	for p.err == nil && !p.is(")") {
		if err := p.d.charge(costValue); err != nil {
			p.fail("%v", err)
		}
		t := p.milType(0)
		g.Inputs = append(g.Inputs, &model.Value{Name: p.ident(), Type: t})
		if p.is(",") {
			p.advance()
		}
	}
	p.expect(")")
}

// outputs parses "type name, type name" or "(type name, ...)".
func (p *milParser) outputs() []*model.Value {
	paren := p.is("(")
	if paren {
		p.advance()
	}
	var outs []*model.Value
	for p.err == nil {
		if err := p.d.charge(costValue); err != nil {
			p.fail("%v", err)
			break
		}
		t := p.milType(0)
		outs = append(outs, &model.Value{Name: p.ident(), Type: t})
		if !p.is(",") {
			break
		}
		p.advance()
	}
	if paren {
		p.expect(")")
	}
	return outs
}

// argument parses an argument value: a variable (an input of n), a tuple
// of values, or a literal.
func (p *milParser) argument(n *model.Node, key string, depth int) {
	if err := p.d.charge(costValue); err != nil {
		p.fail("%v", err)
		return
	}
	if depth > maxMILDepth {
		p.fail("values nest more than %d levels deep", maxMILDepth)
		return
	}
	switch {
	case p.is("("):
		p.advance()
		for p.err == nil && !p.is(")") {
			p.argument(n, key, depth+1)
			if p.is(",") {
				p.advance()
			}
		}
		p.expect(")")
	case p.tok.kind == tIdent:
		name := p.ident()
		switch {
		case p.is("<"):
			p.skipBalanced("<", ">")
			lit := p.literalBody()
			n.Attrs = append(n.Attrs, model.Attribute{Name: key, Type: model.AttrString, String: lit.text})
		case p.is("("):
			lit := p.literalBody()
			n.Attrs = append(n.Attrs, model.Attribute{Name: key, Type: model.AttrString, String: name + lit.text})
		default:
			n.Inputs = append(n.Inputs, name)
		}
	default:
		p.advance()
	}
}

// literal is what a literal value holds of interest: its text, its first
// string, and a BLOBFILE reference.
type literal struct {
	text    string
	str     string
	blob    bool
	blobOff uint64
}

// literalBody reads a literal's parenthesised value.
func (p *milParser) literalBody() literal {
	var lit literal
	if !p.is("(") {
		return lit
	}
	start := p.lex.pos
	depth, afterOffset := 0, false
	for p.err == nil && p.tok.kind != tEOF {
		switch {
		case p.is("("):
			depth++
		case p.is(")"):
			depth--
		case p.tok.kind == tString && lit.str == "":
			lit.str = p.tok.text
		case p.tok.text == "BLOBFILE":
			lit.blob = true
		case p.tok.text == "offset":
			afterOffset = true
		case afterOffset && p.tok.kind == tNumber:
			lit.blobOff, _ = strconv.ParseUint(p.tok.text, 0, 64)
			afterOffset = false
		}
		p.advance()
		if depth == 0 {
			break
		}
	}
	if end := min(p.tok.pos, len(p.lex.src)); start-1 < end && end-start < 256 {
		lit.text = "(" + p.lex.src[start:end]
	}
	return lit
}

// attributes parses [name = literal, ...]: "name" names the node, "val"
// is a const's value.
func (p *milParser) attributes(n *model.Node) literal {
	var val literal
	p.expect("[")
	for p.err == nil && !p.is("]") {
		key := p.ident()
		p.expect("=")
		lit := p.attrValue()
		switch key {
		case "name":
			n.Name = lit.str
		case "val":
			val = lit
		}
		if p.is(",") {
			p.advance()
		}
	}
	p.expect("]")
	return val
}

func (p *milParser) attrValue() literal {
	if p.tok.kind == tIdent {
		p.advance()
	}
	if p.is("<") {
		p.skipBalanced("<", ">")
	}
	if p.is("(") {
		return p.literalBody()
	}
	p.advance()
	return literal{}
}

// constTensor makes the tensor of a const statement.
func (p *milParser) constTensor(out *model.Value, val literal) *model.Tensor {
	v := &milValue{typ: out.Type, hasBlob: val.blob, blobFile: val.str, blobOff: val.blobOff}
	t := p.d.constTensor(out, v)
	if !val.blob {
		t.Location = nil
	}
	return t
}

// sortedFunctionNames returns the names of fns in order.
func sortedFunctionNames(fns []textFunction) []string {
	out := make([]string, 0, len(fns))
	for _, f := range fns {
		out = append(out, f.name)
	}
	sort.Strings(out)
	return out
}
