package coreml

import (
	"fmt"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// The MIL text format of a compiled model's model.mil:
//
//	program(1.0)
//	[buildInfo = dict<...>(...)]
//	{
//	    func main<ios16>(tensor<fp16, [1, 10]> x, ...) {
//	        tensor<fp16, [1, 10]> y = mul(x = x, y = x)[name = tensor<string, []>("y")];
//	    } -> (y);
//	}
//
// Operations with nested blocks (cond, while_loop) carry them after their
// attributes as "{ ... } -> (outputs)", one per block.

// tokKind is the kind of a MIL text token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tString
	tPunct
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// milLexer splits MIL text into tokens.
type milLexer struct {
	src string
	pos int
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '@' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (l *milLexer) next() (token, error) {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			l.pos++
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "//"):
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		default:
			return l.token()
		}
	}
	return token{kind: tEOF, pos: l.pos}, nil
}

func (l *milLexer) token() (token, error) {
	start, c := l.pos, l.src[l.pos]
	switch {
	case c == '"':
		return l.str()
	case c == '-' && strings.HasPrefix(l.src[l.pos:], "->"):
		l.pos += 2
		return token{tPunct, "->", start}, nil
	case c == '-' || c == '+' || c >= '0' && c <= '9':
		l.pos++
		for l.pos < len(l.src) && (isIdentByte(l.src[l.pos]) || l.src[l.pos] == '-' || l.src[l.pos] == '+') {
			l.pos++
		}
		return token{tNumber, l.src[start:l.pos], start}, nil
	case isIdentByte(c):
		for l.pos < len(l.src) && isIdentByte(l.src[l.pos]) {
			l.pos++
		}
		return token{tIdent, l.src[start:l.pos], start}, nil
	case strings.IndexByte("()[]{}<>,=;:?*", c) >= 0:
		l.pos++
		return token{tPunct, string(c), start}, nil
	}
	return token{}, fmt.Errorf("model.mil: unexpected character %q at byte %d", c, start)
}

func (l *milLexer) str() (token, error) {
	start := l.pos
	var b strings.Builder
	for l.pos++; l.pos < len(l.src); l.pos++ {
		c := l.src[l.pos]
		switch c {
		case '\\':
			if l.pos+1 < len(l.src) {
				l.pos++
				b.WriteByte(l.src[l.pos])
			}
		case '"':
			l.pos++
			return token{tString, b.String(), start}, nil
		default:
			b.WriteByte(c)
		}
	}
	return token{}, fmt.Errorf("model.mil: unterminated string at byte %d", start)
}

// milParser parses MIL text with one token of lookahead.
type milParser struct {
	lex     milLexer
	tok     token
	err     error
	started bool
	// d locates const blobs and accounts for the decoded structure.
	d *decoder
}

// maxMILDepth bounds nested blocks and types.
const maxMILDepth = 64

func (p *milParser) advance() {
	if p.err != nil {
		return
	}
	if p.tok.kind == tEOF && p.tok.text == "" && p.started {
		p.fail("the text ends too early")
		return
	}
	p.started = true
	p.tok, p.err = p.lex.next()
	if p.err != nil {
		p.tok = token{kind: tEOF, pos: len(p.lex.src)}
	}
}

func (p *milParser) is(text string) bool { return p.tok.kind == tPunct && p.tok.text == text }

func (p *milParser) expect(text string) {
	if p.err != nil {
		return
	}
	if p.tok.text != text || p.tok.kind == tString {
		p.fail("expected %q, found %q", text, p.tok.text)
		return
	}
	p.advance()
}

func (p *milParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("model.mil: at byte %d: %s", p.tok.pos, fmt.Sprintf(format, args...))
	}
	p.tok = token{kind: tEOF, pos: p.tok.pos}
}

func (p *milParser) ident() string {
	if p.tok.kind != tIdent {
		p.fail("expected a name, found %q", p.tok.text)
		return ""
	}
	s := p.tok.text
	p.advance()
	return s
}

// skipBalanced skips a bracketed group starting at the current opening
// token, returning the tokens' text joined (bounded).
func (p *milParser) skipBalanced(open, close string) string {
	depth := 0
	var b strings.Builder
	for p.err == nil && p.tok.kind != tEOF {
		switch {
		case p.is(open):
			depth++
		case p.is(close):
			depth--
		}
		if b.Len() < 256 {
			if p.tok.kind == tString {
				b.WriteString(`"` + p.tok.text + `"`)
			} else {
				b.WriteString(p.tok.text)
			}
		}
		p.advance()
		if depth == 0 {
			return b.String()
		}
	}
	p.fail("unbalanced %q", open)
	return ""
}

// milType parses a type: tensor<fp16, [1, 10]>, string, dict<...>, ...
func (p *milParser) milType(depth int) *model.Type {
	if depth > maxMILDepth {
		p.fail("types nest more than %d levels deep", maxMILDepth)
		return &model.Type{Kind: model.KindTensor}
	}
	name := p.ident()
	t := &model.Type{Kind: model.KindTensor}
	if !p.is("<") {
		t.DType = milTextDType(name)
		t.Shape = model.Shape{}
		return t
	}
	if name != "tensor" && name != "state" {
		p.skipBalanced("<", ">")
		t.Kind, t.DType = model.KindOpaque, model.DType(name)
		return t
	}
	p.expect("<")
	if name == "state" {
		inner := p.milType(depth + 1)
		p.expect(">")
		inner.Denotation = "state"
		return inner
	}
	t.DType = milTextDType(p.ident())
	p.expect(",")
	t.Shape = p.shape()
	p.expect(">")
	return t
}

// shape parses [1, 10], [?, 3], [*] (unknown rank) or [].
func (p *milParser) shape() model.Shape {
	p.expect("[")
	s := model.Shape{}
	for p.err == nil && !p.is("]") {
		switch {
		case p.is("*"):
			s = nil
			p.advance()
		case p.tok.kind == tNumber:
			var n int64
			if _, err := fmt.Sscan(p.tok.text, &n); err != nil || n < 0 {
				p.fail("bad dimension %q", p.tok.text)
			}
			s = append(s, model.IntDim(n))
			p.advance()
		case p.is("?") || p.tok.kind == tIdent:
			s = append(s, model.Dim{Param: strings.Trim(p.tok.text, "?")})
			p.advance()
		default:
			p.fail("bad dimension %q", p.tok.text)
		}
		if len(s) > 64 {
			p.fail("more than 64 dimensions")
		}
		if p.is(",") {
			p.advance()
		}
	}
	p.expect("]")
	return s
}

// milTextDType maps MIL text dtypes (fp16, int32, bool) to dtypes.
func milTextDType(s string) model.DType {
	switch s {
	case "fp16":
		return "float16"
	case "fp32":
		return "float32"
	case "fp64":
		return "float64"
	case "bf16":
		return "bfloat16"
	}
	return model.DType(s)
}
