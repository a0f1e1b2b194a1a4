package numpy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The .npy header is a Python dict literal. NumPy reads it with
// ast.literal_eval; this file is a small parser for the subset NumPy
// writes (dicts, lists, tuples, strings, integers, True/False/None), so the
// header is never evaluated.

// pyKind is the kind of a parsed Python literal.
type pyKind int

const (
	pyStr pyKind = iota
	pyInt
	pyBool
	pyNone
	pyTuple
	pyList
	pyDict
)

// pyVal is a parsed Python literal. Dicts hold alternating keys and values
// in items.
type pyVal struct {
	kind  pyKind
	str   string
	num   int64
	bool  bool
	items []pyVal
}

// maxLiteralDepth bounds the nesting of containers in a header.
const maxLiteralDepth = 32

// litParser parses Python literals from text.
type litParser struct {
	s   string
	pos int
}

// parseLiteral parses s as exactly one Python literal.
func parseLiteral(s string) (pyVal, error) {
	p := &litParser{s: s}
	v, err := p.value(0)
	if err != nil {
		return pyVal{}, err
	}
	p.space()
	if p.pos != len(p.s) {
		return pyVal{}, p.errorf("unexpected text after the literal")
	}
	return v, nil
}

func (p *litParser) errorf(format string, args ...any) error {
	return fmt.Errorf("header literal, at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *litParser) space() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *litParser) value(depth int) (pyVal, error) {
	if depth > maxLiteralDepth {
		return pyVal{}, p.errorf("nested more than %d levels deep", maxLiteralDepth)
	}
	p.space()
	if p.pos >= len(p.s) {
		return pyVal{}, p.errorf("unexpected end")
	}
	c := p.s[p.pos]
	switch {
	case c == '{':
		return p.container(depth, '}', pyDict)
	case c == '[':
		return p.container(depth, ']', pyList)
	case c == '(':
		return p.container(depth, ')', pyTuple)
	case c == '\'' || c == '"':
		return p.str()
	case (c == 'u' || c == 'U' || c == 'b' || c == 'B') && p.pos+1 < len(p.s) && (p.s[p.pos+1] == '\'' || p.s[p.pos+1] == '"'):
		p.pos++
		return p.str()
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		return p.integer()
	}
	for _, w := range []struct {
		word string
		v    pyVal
	}{{"True", pyVal{kind: pyBool, bool: true}}, {"False", pyVal{kind: pyBool}}, {"None", pyVal{kind: pyNone}}} {
		if strings.HasPrefix(p.s[p.pos:], w.word) {
			end := p.pos + len(w.word)
			if end < len(p.s) && isIdent(p.s[end]) {
				break
			}
			p.pos = end
			return w.v, nil
		}
	}
	return pyVal{}, p.errorf("not a literal NumPy writes (%q)", preview(p.s[p.pos:]))
}

// container parses a dict, list or tuple whose opening bracket is at pos.
// A parenthesised single value without a comma is that value, as in Python.
func (p *litParser) container(depth int, closer byte, kind pyKind) (pyVal, error) {
	p.pos++
	v := pyVal{kind: kind}
	sawComma := false
	for {
		p.space()
		if p.pos >= len(p.s) {
			return pyVal{}, p.errorf("unclosed %q", closer)
		}
		if p.s[p.pos] == closer {
			p.pos++
			break
		}
		item, err := p.value(depth + 1)
		if err != nil {
			return pyVal{}, err
		}
		v.items = append(v.items, item)
		if kind == pyDict {
			p.space()
			if p.pos >= len(p.s) || p.s[p.pos] != ':' {
				return pyVal{}, p.errorf("expected ':' in a dict")
			}
			p.pos++
			val, err := p.value(depth + 1)
			if err != nil {
				return pyVal{}, err
			}
			v.items = append(v.items, val)
		}
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			sawComma = true
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == closer {
			p.pos++
			break
		}
		return pyVal{}, p.errorf("expected ',' or %q", closer)
	}
	if kind == pyTuple && len(v.items) == 1 && !sawComma {
		return v.items[0], nil
	}
	return v, nil
}

// str parses a quoted string with Python escapes.
func (p *litParser) str() (pyVal, error) {
	q := p.s[p.pos]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == q:
			p.pos++
			return pyVal{kind: pyStr, str: b.String()}, nil
		case c == '\n':
			return pyVal{}, p.errorf("line break in a string")
		case c != '\\':
			b.WriteByte(c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.s) {
			break
		}
		e := p.s[p.pos]
		p.pos++
		switch e {
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if p.pos+n > len(p.s) {
				return pyVal{}, p.errorf("short \\%c escape", e)
			}
			r, err := strconv.ParseUint(p.s[p.pos:p.pos+n], 16, 32)
			if err != nil || r > utf8.MaxRune {
				return pyVal{}, p.errorf("bad \\%c escape", e)
			}
			p.pos += n
			b.WriteRune(rune(r))
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return pyVal{}, p.errorf("unterminated string")
}

// integer parses a decimal integer, with the "L" suffix Python 2 wrote.
func (p *litParser) integer() (pyVal, error) {
	start := p.pos
	if p.s[p.pos] == '-' || p.s[p.pos] == '+' {
		p.pos++
	}
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	text := p.s[start:p.pos]
	if p.pos < len(p.s) && (p.s[p.pos] == 'L' || p.s[p.pos] == 'l') {
		p.pos++
	}
	if p.pos < len(p.s) && (isIdent(p.s[p.pos]) || p.s[p.pos] == '.') {
		return pyVal{}, p.errorf("not an integer (%q)", preview(p.s[start:]))
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return pyVal{}, p.errorf("integer %s is out of range", preview(text))
		}
		return pyVal{}, p.errorf("not an integer (%q)", preview(text))
	}
	return pyVal{kind: pyInt, num: n}, nil
}

func isIdent(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// preview shortens text for an error message.
func preview(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}
