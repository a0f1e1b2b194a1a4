package mlir

import "strings"

// funcKeywords are the func-dialect ops written without a prefix inside
// function bodies; an unprefixed word at a line start is an op only when
// it is one of these (else it continues the previous op, as `reducer`).
var funcKeywords = map[string]bool{"return": true, "call": true, "call_indirect": true, "constant": true, "func": true, "module": true}

// parseBody consumes the op's tokens after its name: operands, attribute
// dictionaries, regions and the type signature, up to the start of the
// next statement, a closing '}' or the end of the file.
func (p *parser) parseBody(o *op, depth int) error {
	nest := 0 // ( and [ nesting
	var last token
	for {
		t := p.tok
		if t.kind == tEOF || (nest == 0 && p.is(t, "}")) {
			return nil
		}
		if t.nl && nest == 0 && !continues(p, last) && p.startsStatement(t) {
			return nil
		}
		switch {
		case p.is(t, "{"):
			if err := p.braces(o, depth); err != nil {
				return err
			}
			last = t
			continue
		case p.is(t, "(") || p.is(t, "["):
			nest++
		case p.is(t, ")") || p.is(t, "]"):
			if nest--; nest < 0 {
				return p.errorf("unbalanced %q", p.text(t))
			}
		}
		p.record(o, t, nest)
		last = t
		if err := p.advance(); err != nil {
			return err
		}
	}
}

// record notes what one op-level token says about the op.
func (p *parser) record(o *op, t token, nest int) {
	switch {
	case nest == 0 && p.is(t, ":"):
		o.sigAt = len(o.toks)
		return
	case t.kind == tPercent:
		next := p.peek()
		r := ref{name: p.text(t)}
		if p.is(next, "=") || p.is(next, ":") {
			r.next = p.src[next.start]
		}
		if r.next == ':' {
			if _, typ := p.peek2(); typ.kind == tBare || typ.kind == tBang {
				r.typ = span{typ.start, typ.end}
			}
		}
		o.refs = append(o.refs, r)
	case t.kind == tAt:
		o.symbols = append(o.symbols, strings.Trim(p.text(t)[1:], "\""))
	case t.kind == tAngle && strings.HasPrefix(p.text(t), "<{"):
		o.attrs = append(o.attrs, span{t.start, t.end})
		return
	}
	if len(o.toks) < maxSig {
		o.toks = append(o.toks, t)
	}
}

// continues reports whether a line ending with t must go on.
func continues(p *parser, t token) bool {
	if t.kind == tArrow {
		return true
	}
	return p.is(t, ",") || p.is(t, ":") || p.is(t, "=") || p.is(t, "(") || p.is(t, "[")
}

// startsStatement reports whether t, first on its line, begins an op or a
// block label.
func (p *parser) startsStatement(t token) bool {
	switch t.kind {
	case tCaret:
		return true
	case tPercent:
		n := p.peek()
		return p.is(n, "=") || p.is(n, ",") || p.is(n, ":")
	case tString:
		return p.is(p.peek(), "(")
	case tBare:
		n := p.peek()
		if p.is(n, "=") {
			return false
		}
		name := p.text(t)
		return strings.Contains(name, ".") || funcKeywords[name]
	case tHash, tBang:
		return p.is(p.peek(), "=")
	}
	return false
}

// braces handles a '{' inside an op: a region, or an attribute
// dictionary skipped as one span.
func (p *parser) braces(o *op, depth int) error {
	if p.regionAhead() {
		r, err := p.parseRegion(depth + 1)
		if err != nil {
			return err
		}
		o.regions = append(o.regions, r)
		return nil
	}
	start, level := p.tok.start, 0
	for {
		switch {
		case p.tok.kind == tEOF:
			return p.errorf("the file ends inside an attribute dictionary")
		case p.is(p.tok, "{"):
			level++
		case p.is(p.tok, "}"):
			level--
		}
		end := p.tok.end
		if err := p.advance(); err != nil {
			return err
		}
		if level == 0 {
			o.attrs = append(o.attrs, span{start, end})
			return nil
		}
	}
}

// regionAhead decides whether the '{' at hand opens a region (ops or
// block labels follow) rather than an attribute dictionary.
func (p *parser) regionAhead() bool {
	a, b := p.peek2()
	switch a.kind {
	case tCaret, tPercent:
		return true
	case tString:
		return p.is(b, "(")
	case tBare:
		if p.is(b, "=") || p.is(b, ",") {
			return false
		}
		name := p.text(a)
		return strings.Contains(name, ".") || funcKeywords[name]
	}
	return false
}
