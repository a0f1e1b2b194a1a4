package pytorch

import (
	"strings"
)

// A tiny reader for the Python subset TorchScript writes in code/: names,
// attributes, calls with keyword arguments, subscripts, tuples, lists,
// literals and operators. It only builds a tree; nothing is evaluated
// beyond following names to draw the dataflow.

type tokKind int

const (
	tName tokKind = iota
	tNumber
	tString
	tOp
)

type token struct {
	kind tokKind
	text string
}

// tokenize splits one logical line; it never fails (unknown bytes become
// one-byte operators).
func tokenize(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9' || s[j] >= 0x80) {
				j++
			}
			out = append(out, token{tName, s[i:j]})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == 'x' ||
				(s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, token{tNumber, s[i:j]})
			i = j
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				j = len(s) - 1
			}
			out = append(out, token{tString, s[i : j+1]})
			i = j + 1
		default:
			n := 1
			if i+1 < len(s) {
				switch s[i : i+2] {
				case "==", "!=", "<=", ">=", "->", "**", "//", "<<", ">>", "+=", "-=", "*=", "/=":
					n = 2
				}
			}
			out = append(out, token{tOp, s[i : i+n]})
			i += n
		}
	}
	return out
}

// Expression tree.
type (
	expr     interface{}
	nameExpr struct{ name string }
	litExpr  struct{ text string }
	attrExpr struct {
		x    expr
		name string
	}
	callExpr struct {
		fn     expr
		args   []expr
		kwargs []kwarg
	}
	kwarg struct {
		name string
		x    expr
	}
	indexExpr struct{ x, idx expr }
	seqExpr   struct {
		items []expr
		list  bool
	}
	// opExpr is any operator expression; only its operands matter here.
	opExpr struct {
		op    string
		items []expr
	}
)

// Parser bounds on hostile code: nesting depth, and items in one operator
// chain, call, tuple or list.
const (
	maxExprDepth = 200
	maxItems     = 4096
)

type parser struct {
	toks  []token
	pos   int
	depth int
}

func parseExpr(s string) expr {
	p := &parser{toks: tokenize(s)}
	return p.exprList()
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{tOp, ""}
}

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == s && p.pos < len(p.toks)
}

// exprList parses "a, b, c" (a tuple when there is a comma).
func (p *parser) exprList() expr {
	first := p.expr()
	if !p.isOp(",") {
		return first
	}
	items := []expr{first}
	for p.isOp(",") {
		p.pos++
		if p.pos >= len(p.toks) || p.isOp(")") || p.isOp("]") || p.isOp("=") || len(items) >= maxItems {
			break
		}
		items = append(items, p.expr())
	}
	return &seqExpr{items: items}
}

var binaryOps = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "//": true, "%": true, "**": true, "==": true, "!=": true,
	"<": true, ">": true, "<=": true, ">=": true, "&": true, "|": true, "^": true, "<<": true, ">>": true,
	"and": true, "or": true, "is": true, "in": true, "not": true, "if": true, "else": true,
}

func (p *parser) expr() expr {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxExprDepth {
		p.pos = len(p.toks)
		return &litExpr{"…"}
	}
	x := p.unary()
	var items []expr
	op := ""
	for p.pos < len(p.toks) {
		t := p.peek()
		if !binaryOps[t.text] || t.kind == tString || t.kind == tNumber {
			break
		}
		if op == "" {
			op = t.text
		}
		p.pos++
		if items == nil {
			items = []expr{x}
		}
		if len(items) >= maxItems {
			p.pos = len(p.toks)
			break
		}
		items = append(items, p.unary())
	}
	if items != nil {
		return &opExpr{op: op, items: items}
	}
	return x
}

func (p *parser) unary() expr {
	t := p.peek()
	if p.pos < len(p.toks) && (t.kind == tOp && (t.text == "-" || t.text == "+" || t.text == "~") || t.kind == tName && t.text == "not") {
		p.pos++
		if p.depth > maxExprDepth {
			return &litExpr{"…"}
		}
		p.depth++
		x := p.unary()
		p.depth--
		if l, ok := x.(*litExpr); ok && t.text == "-" {
			return &litExpr{"-" + l.text}
		}
		return &opExpr{op: t.text, items: []expr{x}}
	}
	return p.primary()
}

func (p *parser) primary() expr {
	x := p.atom()
	// Trailers nest the tree too (a.b.c..., f()()...): they count against
	// the depth cap so evaluation cannot recurse without bound.
	trailers := 0
	for p.pos < len(p.toks) {
		if trailers++; p.depth+trailers > maxExprDepth {
			p.pos = len(p.toks)
			return x
		}
		switch {
		case p.isOp("."):
			p.pos++
			if t := p.peek(); t.kind == tName {
				p.pos++
				x = &attrExpr{x: x, name: t.text}
			}
		case p.isOp("("):
			p.pos++
			c := &callExpr{fn: x}
			for p.pos < len(p.toks) && !p.isOp(")") {
				if len(c.args)+len(c.kwargs) >= maxItems {
					p.pos = len(p.toks)
					break
				}
				if t := p.peek(); t.kind == tName && p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "=" {
					p.pos += 2
					c.kwargs = append(c.kwargs, kwarg{name: t.text, x: p.expr()})
				} else {
					c.args = append(c.args, p.expr())
				}
				if p.isOp(",") {
					p.pos++
				} else if !p.isOp(")") {
					p.pos++ // skip junk
				}
			}
			p.pos++
			x = c
		case p.isOp("["):
			p.pos++
			idx := p.exprList()
			for p.pos < len(p.toks) && !p.isOp("]") {
				p.pos++
			}
			p.pos++
			x = &indexExpr{x: x, idx: idx}
		default:
			return x
		}
	}
	return x
}

func (p *parser) atom() expr {
	if p.pos >= len(p.toks) {
		return &litExpr{""}
	}
	t := p.toks[p.pos]
	p.pos++
	switch t.kind {
	case tName:
		switch t.text {
		case "None", "True", "False":
			return &litExpr{t.text}
		}
		return &nameExpr{t.text}
	case tNumber:
		return &litExpr{t.text}
	case tString:
		text := t.text
		for p.pos < len(p.toks) && p.toks[p.pos].kind == tString {
			text += " " + p.toks[p.pos].text
			p.pos++
		}
		return &litExpr{text}
	}
	switch t.text {
	case "(", "[", "{":
		closer := map[string]string{"(": ")", "[": "]", "{": "}"}[t.text]
		var items []expr
		comma := false
		for p.pos < len(p.toks) && !p.isOp(closer) {
			if len(items) >= maxItems {
				p.pos = len(p.toks)
				break
			}
			items = append(items, p.expr())
			if p.isOp(",") || p.isOp(":") {
				comma = true
				p.pos++
			} else if !p.isOp(closer) {
				p.pos++
			}
		}
		p.pos++
		if t.text == "(" && len(items) == 1 && !comma {
			return items[0]
		}
		return &seqExpr{items: items, list: t.text != "("}
	}
	return &litExpr{t.text}
}

// render prints an expression back as short source text.
func render(x expr, budget int) string {
	var b strings.Builder
	renderTo(&b, x, 0)
	s := b.String()
	if len(s) > budget {
		s = s[:budget] + "…"
	}
	return s
}

func renderTo(b *strings.Builder, x expr, depth int) {
	if depth > 20 || b.Len() > 400 {
		b.WriteString("…")
		return
	}
	switch x := x.(type) {
	case *nameExpr:
		b.WriteString(x.name)
	case *litExpr:
		b.WriteString(x.text)
	case *attrExpr:
		renderTo(b, x.x, depth+1)
		b.WriteString("." + x.name)
	case *callExpr:
		renderTo(b, x.fn, depth+1)
		b.WriteString("(")
		for i, a := range x.args {
			if i > 0 {
				b.WriteString(", ")
			}
			renderTo(b, a, depth+1)
		}
		b.WriteString(")")
	case *indexExpr:
		renderTo(b, x.x, depth+1)
		b.WriteString("[")
		renderTo(b, x.idx, depth+1)
		b.WriteString("]")
	case *seqExpr:
		open, close := "(", ")"
		if x.list {
			open, close = "[", "]"
		}
		b.WriteString(open)
		for i, a := range x.items {
			if i > 0 {
				b.WriteString(", ")
			}
			renderTo(b, a, depth+1)
		}
		b.WriteString(close)
	case *opExpr:
		for i, a := range x.items {
			if i > 0 || len(x.items) == 1 {
				b.WriteString(" " + x.op + " ")
			}
			renderTo(b, a, depth+1)
		}
	}
}
