// Package prototext parses protobuf text format (.pbtxt, .prototxt) into a
// generic tree of named fields, without a schema: the decoders of
// TensorFlow, Caffe, PaddlePaddle and other protobuf-based formats read
// the tree by field name.
//
// It accepts '#' comments, quoted strings with C escapes (adjacent strings
// concatenate), nested messages written with or without ':' and with {} or
// <> delimiters, repeated fields, the '[a, b]' list syntax, extension and
// Any field names in brackets, enum identifiers and numbers including
// inf and nan. Input is treated as hostile: nesting is capped at MaxDepth
// and every value is backed by bytes of the input, so the tree's size is
// bounded by the input's.
package prototext

import (
	"errors"
	"strings"
)

// ErrSyntax is wrapped by every error about text that does not parse.
var ErrSyntax = errors.New("protobuf text syntax error")

// MaxDepth is the deepest message nesting Parse accepts.
const MaxDepth = 100

// Kind says what a field holds.
type Kind int

// Field kinds.
const (
	// Message is a nested message (Field.Msg).
	Message Kind = iota
	// String is a quoted string; Field.Text holds its unescaped bytes.
	String
	// Ident is an identifier: an enum value, true/false, inf or nan
	// (possibly with a leading '-').
	Ident
	// Number is a numeric literal as written, with its sign.
	Number
)

// Msg is a message: its fields in stored order. Repeated fields appear
// once per value, in order.
type Msg struct {
	Fields []*Field
}

// Field is one field value.
type Field struct {
	Name string
	Kind Kind
	// Text is the scalar's text (unescaped for strings).
	Text string
	// Msg is the nested message when Kind is Message.
	Msg *Msg
	// Line and Col locate the field name in the input (1-based).
	Line, Col int
}

// Parse parses protobuf text format.
func Parse(src []byte) (*Msg, error) {
	p := &parser{lex: newLexer(src)}
	if err := p.read(); err != nil {
		return nil, err
	}
	m, err := p.message(0, "")
	if err != nil {
		return nil, err
	}
	return m, nil
}

type parser struct {
	lex *lexer
	tok token
}

// read moves to the next token.
func (p *parser) read() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errorf(format string, args ...any) error {
	return p.lex.errorf(p.tok.line, p.tok.col, format, args...)
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tokPunct && p.tok.text == s }

// message reads fields until the closing delimiter end ("" at top level).
func (p *parser) message(depth int, end string) (*Msg, error) {
	if depth > MaxDepth {
		return nil, p.errorf("messages nest more than %d levels deep", MaxDepth)
	}
	m := &Msg{}
	for {
		switch {
		case end == "" && p.tok.kind == tokEOF:
			return m, nil
		case end != "" && p.isPunct(end):
			return m, p.read()
		case p.tok.kind == tokEOF:
			return nil, p.errorf("missing %q at end of input", end)
		}
		if err := p.field(depth, m); err != nil {
			return nil, err
		}
		if p.isPunct(",") || p.isPunct(";") {
			if err := p.read(); err != nil {
				return nil, err
			}
		}
	}
}

// field reads one field into m: a name, an optional ':' and a value, a
// message or a '[...]' list (which gives one Field per element).
func (p *parser) field(depth int, m *Msg) error {
	line, col := p.tok.line, p.tok.col
	name, err := p.fieldName()
	if err != nil {
		return err
	}
	colon := p.isPunct(":")
	if colon {
		if err := p.read(); err != nil {
			return err
		}
	}
	proto := Field{Name: name, Line: line, Col: col}
	if p.isPunct("[") {
		fs, err := p.list(depth, proto)
		m.Fields = append(m.Fields, fs...)
		return err
	}
	if !colon && !p.isPunct("{") && !p.isPunct("<") {
		return p.errorf("expected ':' or '{' after field %q", name)
	}
	f, err := p.value(depth, proto)
	if err != nil {
		return err
	}
	m.Fields = append(m.Fields, f)
	return nil
}

// fieldName reads an identifier or a bracketed extension / Any type name.
func (p *parser) fieldName() (string, error) {
	if p.tok.kind == tokIdent {
		name := p.tok.text
		return name, p.read()
	}
	if !p.isPunct("[") {
		return "", p.errorf("expected a field name, found %s", describe(p.tok))
	}
	var b strings.Builder
	b.WriteByte('[')
	prevIdent := false
	for {
		if err := p.read(); err != nil {
			return "", err
		}
		switch {
		case p.isPunct("]"):
			b.WriteByte(']')
			return b.String(), p.read()
		case (p.tok.kind == tokIdent && !prevIdent) || p.isPunct(".") || p.isPunct("/"):
			prevIdent = p.tok.kind == tokIdent
			b.WriteString(p.tok.text)
		default:
			return "", p.errorf("bad extension name: found %s", describe(p.tok))
		}
	}
}

// list reads '[v, v, ...]'; every element becomes a Field named like the
// list.
func (p *parser) list(depth int, proto Field) ([]*Field, error) {
	if err := p.read(); err != nil {
		return nil, err
	}
	var out []*Field
	for !p.isPunct("]") {
		if len(out) > 0 {
			if !p.isPunct(",") {
				return nil, p.errorf("expected ',' or ']' in list, found %s", describe(p.tok))
			}
			if err := p.read(); err != nil {
				return nil, err
			}
		}
		f, err := p.value(depth, proto)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, p.read()
}

// value reads a scalar or a nested message.
func (p *parser) value(depth int, proto Field) (*Field, error) {
	f := proto
	switch {
	case p.isPunct("{") || p.isPunct("<"):
		end := "}"
		if p.tok.text == "<" {
			end = ">"
		}
		if err := p.read(); err != nil {
			return nil, err
		}
		m, err := p.message(depth+1, end)
		if err != nil {
			return nil, err
		}
		f.Kind, f.Msg = Message, m
		return &f, nil
	case p.isPunct("-"):
		if err := p.read(); err != nil {
			return nil, err
		}
		if p.tok.kind != tokNumber && p.tok.kind != tokIdent {
			return nil, p.errorf("expected a number after '-', found %s", describe(p.tok))
		}
		p.tok.text = "-" + p.tok.text
	}
	switch p.tok.kind {
	case tokString:
		f.Kind = String
	case tokIdent:
		f.Kind = Ident
	case tokNumber:
		f.Kind = Number
	default:
		return nil, p.errorf("expected a value for field %q, found %s", f.Name, describe(p.tok))
	}
	f.Text = p.tok.text
	return &f, p.read()
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokString:
		return "a string"
	}
	if len(t.text) > 32 {
		return "'" + t.text[:32] + "...'"
	}
	return "'" + t.text + "'"
}
