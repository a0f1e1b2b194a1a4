package mlir

import (
	"strings"
)

// function is a func-like op: its name, visibility, signature and body.
type function struct {
	name    string
	private bool
	args    []arg
	results []string // result type texts
	body    *region  // nil for a declaration
}

// isFuncOp reports whether an op name is a function definition.
func isFuncOp(name string) bool {
	return name == "func.func" || name == "func" || strings.HasSuffix(name, ".func")
}

// collectFunctions finds the functions among ops, looking inside modules
// and other non-function ops with regions.
func collectFunctions(p *parser, ops []*op, out []*function, depth int) []*function {
	if depth > maxDepth {
		return out
	}
	for _, o := range ops {
		if isFuncOp(o.name) {
			out = append(out, p.function(o))
			continue
		}
		for _, r := range o.regions {
			for _, b := range r.blocks {
				out = collectFunctions(p, b.ops, out, depth+1)
			}
		}
	}
	return out
}

// function reads a function op in pretty or generic form.
func (p *parser) function(o *op) *function {
	f := &function{}
	if len(o.regions) > 0 {
		f.body = o.regions[0]
	}
	if o.generic {
		p.genericFunction(o, f)
	} else {
		p.prettyFunction(o, f)
	}
	return f
}

// genericFunction reads sym_name, sym_visibility and function_type; the
// arguments are the entry block's.
func (p *parser) genericFunction(o *op, f *function) {
	var ftype []token
	for _, e := range p.attrEntries(o) {
		switch e.key {
		case "sym_name":
			f.name = strings.Trim(e.text, "\"")
		case "sym_visibility":
			f.private = strings.Trim(e.text, "\"") == "private"
		case "function_type":
			ftype = e.toks
		}
	}
	ins, outs := p.functionType(ftype)
	f.results = outs
	if f.body != nil && len(f.body.blocks) > 0 {
		f.args = f.body.blocks[0].args
		return
	}
	for _, t := range ins {
		f.args = append(f.args, arg{typ: t})
	}
}

// functionType splits `(ins) -> outs` tokens into type texts.
func (p *parser) functionType(toks []token) (ins, outs []string) {
	arrow := -1
	for i, t := range toks {
		if t.kind == tArrow {
			arrow = i
			break
		}
	}
	if arrow < 0 {
		return p.typeList(toks), nil
	}
	return p.typeList(toks[:arrow]), p.typeList(toks[arrow+1:])
}

// typeList reads `(t1, t2)` or a single `t` into type texts; attribute
// dictionaries were already left out by the parser.
func (p *parser) typeList(toks []token) []string {
	if len(toks) == 0 {
		return nil
	}
	if !p.is(toks[0], "(") {
		return []string{p.text(toks[0])}
	}
	var out []string
	depth, start := 0, -1
	for i, t := range toks {
		d := bracketDelta(p, t)
		depth += d
		switch {
		case depth == 1 && d > 0:
			start = i + 1
		case depth == 1 && p.is(t, ","), depth == 0 && d < 0:
			if start >= 0 && start < i {
				out = append(out, p.join(toks[start:i]))
			}
			start = i + 1
		}
		if depth == 0 && d < 0 {
			return out
		}
	}
	return out
}

// maxJoin bounds the text join copies out of the source (types and
// names; attribute values are cut further for display).
const maxJoin = 1 << 16

// join returns the source text from the first to the last token, at most
// maxJoin bytes of it.
func (p *parser) join(toks []token) string {
	s, _ := p.joinMax(toks, maxJoin)
	return s
}

// joinMax returns at most max bytes of the source text from the first to
// the last token, and the full length.
func (p *parser) joinMax(toks []token, max int) (string, int) {
	if len(toks) == 0 {
		return "", 0
	}
	a, b := int(toks[0].start), int(toks[len(toks)-1].end)
	return string(p.src[a:min(b, a+max)]), b - a
}

// prettyFunction reads `[visibility] @name(args) [-> results]`.
func (p *parser) prettyFunction(o *op, f *function) {
	toks := append(append([]token(nil), o.words()...), o.sig()...)
	i := 0
	for ; i < len(toks) && toks[i].kind != tAt; i++ {
		if w := p.text(toks[i]); w == "private" {
			f.private = true
		}
	}
	if i == len(toks) {
		return
	}
	f.name = strings.Trim(p.text(toks[i])[1:], "\"")
	i++
	if i < len(toks) && p.is(toks[i], "(") {
		var n int
		f.args, n = p.prettyArgs(toks[i:])
		i += n
	}
	if i < len(toks) && toks[i].kind == tArrow {
		f.results = p.typeList(toks[i+1:])
	}
}

// prettyArgs reads `(%a: t {attrs}, ...)` or `(t, ...)` (attribute
// dictionaries at depth 1 were left out by the parser; nested ones are
// skipped here) and returns the args and the number of tokens used.
func (p *parser) prettyArgs(toks []token) ([]arg, int) {
	var args []arg
	var entry []token
	flush := func() {
		if len(entry) == 0 {
			return
		}
		a := arg{}
		rest := entry
		if entry[0].kind == tPercent {
			a.name, rest = p.text(entry[0]), entry[1:]
			if len(rest) > 0 && p.is(rest[0], ":") {
				rest = rest[1:]
			}
		}
		for i, t := range rest {
			if t.kind == tBare && p.text(t) == "loc" {
				rest = rest[:i] // a source location, not part of the type
				break
			}
		}
		a.typ = p.join(rest)
		args = append(args, a)
		entry = nil
	}
	depth, brace := 0, 0
	for i, t := range toks {
		if p.is(t, "{") {
			brace++
		}
		if brace > 0 {
			if p.is(t, "}") {
				brace--
			}
			continue
		}
		d := bracketDelta(p, t)
		depth += d
		switch {
		case depth == 0:
			flush()
			return args, i + 1
		case depth == 1 && d > 0:
		case depth == 1 && p.is(t, ","):
			flush()
		default:
			entry = append(entry, t)
		}
	}
	flush()
	return args, len(toks)
}
