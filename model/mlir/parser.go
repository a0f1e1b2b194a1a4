package mlir

import (
	"bytes"
	"errors"
	"fmt"
)

// Limits on hostile input.
const (
	maxDepth = 64      // region nesting
	maxOps   = 200_000 // operations in a file (each costs about 1 KB)
	maxSig   = 4096    // tokens kept of an op's words and type signature
)

// op is one parsed operation.
type op struct {
	name    string // as written: "stablehlo.add", "return", "func.func"
	generic bool
	results []string // "%0", or "%1#0", "%1#1" for "%1:2"
	refs    []ref    // %values named in the op, in order
	symbols []string // @symbols named in the op
	attrs   []span   // attribute dictionaries {...} and properties <{...}>
	// toks are the op-level tokens (bounded by maxSig); those from sigAt
	// on follow the last top-level ':' (the type signature).
	toks    []token
	sigAt   int
	regions []*region
}

// ref is a %value named by an op; next is the punctuation after it ('='
// or ':' mark a value the op defines, such as a loop variable); typ is
// the type written after the ':', when there is one.
type ref struct {
	name string
	next byte
	typ  span
}

// span is a byte range of the source.
type span struct{ start, end int32 }

// region is a list of blocks.
type region struct{ blocks []*block }

// block is a labelled list of operations with its arguments.
type block struct {
	args []arg
	ops  []*op
}

// arg is a block argument.
type arg struct {
	name string
	typ  string
}

// parser builds the op tree from the lexer.
type parser struct {
	lx   lexer
	tok  token
	src  []byte
	nops int
	// names interns op names: a file repeats a few hundred of them.
	names map[string]string
}

func newParser(src []byte) (*parser, error) {
	p := &parser{lx: lexer{src: src}, src: src, names: map[string]string{}}
	return p, p.advance()
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	p.tok = t
	return err
}

// peek returns the token after the current one.
func (p *parser) peek() token {
	lx := p.lx
	t, err := lx.next()
	if err != nil {
		return token{kind: tEOF}
	}
	return t
}

// peek2 returns the two tokens after the current one.
func (p *parser) peek2() (token, token) {
	lx := p.lx
	a, err := lx.next()
	if err != nil {
		return token{kind: tEOF}, token{kind: tEOF}
	}
	b, err := lx.next()
	if err != nil {
		return a, token{kind: tEOF}
	}
	return a, b
}

func (p *parser) text(t token) string { return string(p.src[t.start:t.end]) }

func (p *parser) is(t token, s string) bool {
	return t.kind == tPunct && int(t.end-t.start) == len(s) && string(p.src[t.start:t.end]) == s
}

func (p *parser) errorf(format string, a ...any) error {
	return fmt.Errorf("line %d: %s", lineOf(p.src, p.tok.start), fmt.Sprintf(format, a...))
}

// parseTop parses the top level of a file: operations and alias
// definitions (#a = ..., !t = ...) until the end.
func (p *parser) parseTop() ([]*op, error) {
	var ops []*op
	for p.tok.kind != tEOF {
		if (p.tok.kind == tHash || p.tok.kind == tBang) && p.is(p.peek(), "=") {
			if err := p.skipAlias(); err != nil {
				return nil, err
			}
			continue
		}
		o, err := p.parseOp(0)
		if err != nil {
			return nil, err
		}
		ops = append(ops, o)
	}
	return ops, nil
}

// skipAlias skips `#name = value` up to the next line at bracket depth 0.
func (p *parser) skipAlias() error {
	depth := 0
	for first := true; p.tok.kind != tEOF; first = false {
		if !first && p.tok.nl && depth == 0 {
			return nil
		}
		depth += bracketDelta(p, p.tok)
		if err := p.advance(); err != nil {
			return err
		}
	}
	return nil
}

// bracketDelta is +1 for an opening bracket, -1 for a closing one.
func bracketDelta(p *parser, t token) int {
	if t.kind != tPunct {
		return 0
	}
	switch p.src[t.start] {
	case '(', '[', '{':
		return 1
	case ')', ']', '}':
		return -1
	}
	return 0
}

// parseRegion parses `{ [^bb(args):] ops ... }`; the current token is '{'.
func (p *parser) parseRegion(depth int) (*region, error) {
	if depth >= maxDepth {
		return nil, p.errorf("regions nest deeper than %d", maxDepth)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	r := &region{}
	var cur *block
	for {
		switch {
		case p.tok.kind == tEOF:
			return nil, p.errorf("the file ends inside a region")
		case p.is(p.tok, "}"):
			return r, p.advance()
		case p.tok.kind == tCaret:
			b, err := p.parseBlockHeader()
			if err != nil {
				return nil, err
			}
			cur = b
			r.blocks = append(r.blocks, b)
			continue
		}
		if cur == nil {
			cur = &block{}
			r.blocks = append(r.blocks, cur)
		}
		o, err := p.parseOp(depth)
		if err != nil {
			return nil, err
		}
		cur.ops = append(cur.ops, o)
	}
}

// parseBlockHeader parses `^bb0(%a: t, ...):`.
func (p *parser) parseBlockHeader() (*block, error) {
	b := &block{}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.is(p.tok, "(") {
		args, err := p.parseArgList()
		if err != nil {
			return nil, err
		}
		b.args = args
	}
	if !p.is(p.tok, ":") {
		return nil, p.errorf("a block label must end with ':'")
	}
	return b, p.advance()
}

// parseArgList parses `(%a: t {attrs}, ...)`; the current token is '('.
func (p *parser) parseArgList() ([]arg, error) {
	var toks []token
	depth := 0
	for {
		t := p.tok
		if t.kind == tEOF {
			return nil, p.errorf("the file ends inside an argument list")
		}
		depth += bracketDelta(p, t)
		if len(toks) < maxSig {
			toks = append(toks, t)
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if depth == 0 {
			args, _ := p.prettyArgs(toks)
			return args, nil
		}
	}
}

var errNotOp = errors.New("expected an operation")

// parseOp parses one operation: results, name, then its tokens up to the
// start of the next statement; regions are parsed recursively.
func (p *parser) parseOp(depth int) (*op, error) {
	if p.nops++; p.nops > maxOps {
		return nil, p.errorf("more than %d operations", maxOps)
	}
	o := &op{}
	if err := p.parseResults(o); err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tString:
		o.name, o.generic = p.intern(bytes.Trim(p.src[p.tok.start:p.tok.end], "\"")), true
	case tBare:
		o.name = p.intern(p.src[p.tok.start:p.tok.end])
	default:
		return nil, p.errorf("%v, found %.30q", errNotOp, p.text(p.tok))
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return o, p.parseBody(o, depth)
}

// parseResults reads `%a, %b:2 =` when present.
func (p *parser) parseResults(o *op) error {
	if p.tok.kind != tPercent {
		return nil
	}
	for p.tok.kind == tPercent {
		name := p.text(p.tok)
		if err := p.advance(); err != nil {
			return err
		}
		n := 1
		if p.is(p.tok, ":") {
			if err := p.advance(); err != nil {
				return err
			}
			n = atoiBounded(p.text(p.tok))
			if p.tok.kind != tNumber || n < 1 || n > 1<<16 {
				return p.errorf("bad result count %.20q", p.text(p.tok))
			}
			if err := p.advance(); err != nil {
				return err
			}
		}
		o.addResults(name, n)
		if !p.is(p.tok, ",") {
			break
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
	if !p.is(p.tok, "=") {
		return p.errorf("expected '=' after the results")
	}
	return p.advance()
}

// intern returns the one copy of an op name.
func (p *parser) intern(b []byte) string {
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.names) < 1<<16 {
		p.names[s] = s
	}
	return s
}

// words are the op-level tokens before the type signature.
func (o *op) words() []token { return o.toks[:o.sigAt] }

// sig are the tokens of the type signature.
func (o *op) sig() []token { return o.toks[o.sigAt:] }

func (o *op) addResults(name string, n int) {
	if n == 1 {
		o.results = append(o.results, name)
		return
	}
	for i := 0; i < n; i++ {
		o.results = append(o.results, fmt.Sprintf("%s#%d", name, i))
	}
}

func atoiBounded(s string) int {
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' || n > 1<<20 {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
