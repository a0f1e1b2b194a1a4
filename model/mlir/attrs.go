package mlir

import "strings"

// attrEntry is one `key = value` of an attribute dictionary.
type attrEntry struct {
	key  string
	text string // the value as written, cut at maxAttrText bytes
	size int    // the full length of the value text
	toks []token
	span span
}

// maxAttrEntries bounds the entries read from one op's dictionaries.
const maxAttrEntries = 1024

// attrEntries splits the op's attribute dictionaries into entries.
func (p *parser) attrEntries(o *op) []attrEntry {
	var out []attrEntry
	for _, sp := range o.attrs {
		out = p.dictEntries(sp, out)
	}
	return out
}

// dictEntries lexes one {...} (or <{...}>) span and splits it at
// top-level commas.
func (p *parser) dictEntries(sp span, out []attrEntry) []attrEntry {
	lx := lexer{src: p.src[:sp.end], pos: int(sp.start)}
	if strings.HasPrefix(string(p.src[sp.start:min(sp.start+2, sp.end)]), "<{") {
		// A properties group is one angle token: look inside it.
		lx = lexer{src: p.src[:sp.end-1], pos: int(sp.start) + 1}
	}
	var cur []token
	depth := 0
	flush := func() {
		if len(cur) > 0 && len(out) < maxAttrEntries {
			out = append(out, p.entry(cur))
		}
		cur = nil
	}
	for {
		t, err := lx.next()
		if err != nil || t.kind == tEOF {
			flush()
			return out
		}
		d := bracketDelta(p, t)
		depth += d
		switch {
		case depth == 1 && d > 0: // the opening brace
		case depth == 1 && p.is(t, ","), depth == 0:
			flush()
		default:
			if len(cur) < maxSig {
				cur = append(cur, t)
			}
		}
	}
}

// entry makes an attrEntry from `key [= value...]` tokens.
func (p *parser) entry(toks []token) attrEntry {
	e := attrEntry{key: strings.Trim(p.text(toks[0]), "\"")}
	if len(toks) > 2 && p.is(toks[1], "=") {
		e.toks = toks[2:]
		e.text, e.size = p.joinMax(e.toks, maxAttrText)
		e.span = span{toks[2].start, toks[len(toks)-1].end}
	}
	return e
}
