package prototext

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tokEOF    tokKind = iota
	tokIdent          // field names, enum values, true/false, inf, nan
	tokNumber         // a numeric literal as written (sign excluded)
	tokString         // one or more adjacent quoted strings, unescaped
	tokPunct          // one of { } < > [ ] : , ; - /
)

// token is one lexical token with its position (1-based line and column).
type token struct {
	kind tokKind
	text string
	line int
	col  int
}

// lexer splits protobuf text format into tokens. It never allocates more
// than the input's size in token text.
type lexer struct {
	src  []byte
	pos  int
	line int
	col  int
	// names interns short identifiers and numbers: a file repeats the
	// same field names and small values many times.
	names map[string]string
}

// maxInterned bounds the interning table.
const maxInterned = 4096

func newLexer(src []byte) *lexer {
	return &lexer{src: src, line: 1, col: 1, names: map[string]string{}}
}

// intern returns the string of b, shared with earlier equal tokens.
func (l *lexer) intern(b []byte) string {
	if len(b) > 32 {
		return string(b)
	}
	if s, ok := l.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(l.names) < maxInterned {
		l.names[s] = s
	}
	return s
}

func (l *lexer) errorf(line, col int, format string, args ...any) error {
	return fmt.Errorf("%w: line %d:%d: %s", ErrSyntax, line, col, fmt.Sprintf(format, args...))
}

// advance moves past n bytes, keeping line and column.
func (l *lexer) advance(n int) {
	for i := 0; i < n && l.pos < len(l.src); i++ {
		if l.src[l.pos] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.pos++
	}
}

// skipSpace skips white space and '#' comments.
func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.advance(1)
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.advance(1)
			}
		default:
			return
		}
	}
}

// next returns the next token.
func (l *lexer) next() (token, error) {
	l.skipSpace()
	t := token{line: l.line, col: l.col}
	if l.pos >= len(l.src) {
		return t, nil
	}
	c := l.src[l.pos]
	switch {
	case c == '"' || c == '\'':
		return l.strings(t)
	case isIdentStart(c):
		t.kind, t.text = tokIdent, l.take(isIdentPart)
		return t, nil
	case isDigit(c) || (c == '.' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1])):
		t.kind, t.text = tokNumber, l.number()
		return t, nil
	case isPunct(c):
		t.kind, t.text = tokPunct, string(c)
		l.advance(1)
		return t, nil
	}
	r, _ := utf8.DecodeRune(l.src[l.pos:])
	return t, l.errorf(t.line, t.col, "unexpected character %q", r)
}

func (l *lexer) take(ok func(byte) bool) string {
	start := l.pos
	for l.pos < len(l.src) && ok(l.src[l.pos]) {
		l.advance(1)
	}
	return l.intern(l.src[start:l.pos])
}

// strings reads one quoted string and any adjacent ones (which the text
// format concatenates).
func (l *lexer) strings(t token) (token, error) {
	var buf []byte
	for {
		b, err := l.quoted(buf)
		if err != nil {
			return t, err
		}
		buf = b
		l.skipSpace()
		if l.pos >= len(l.src) || (l.src[l.pos] != '"' && l.src[l.pos] != '\'') {
			break
		}
	}
	t.kind, t.text = tokString, string(buf)
	return t, nil
}

// quoted reads one quoted string at l.pos, appending its unescaped bytes.
func (l *lexer) quoted(buf []byte) ([]byte, error) {
	line, col := l.line, l.col
	q := l.src[l.pos]
	l.advance(1)
	for {
		if l.pos >= len(l.src) || l.src[l.pos] == '\n' {
			return nil, l.errorf(line, col, "unterminated string")
		}
		c := l.src[l.pos]
		if c == q {
			l.advance(1)
			return buf, nil
		}
		if c != '\\' {
			buf = append(buf, c)
			l.advance(1)
			continue
		}
		var err error
		if buf, err = l.escape(buf); err != nil {
			return nil, err
		}
	}
}

// escape decodes one backslash escape at l.pos.
func (l *lexer) escape(buf []byte) ([]byte, error) {
	line, col := l.line, l.col
	if l.pos+1 >= len(l.src) {
		return nil, l.errorf(line, col, "unterminated escape")
	}
	c := l.src[l.pos+1]
	if v, ok := simpleEscapes[c]; ok {
		l.advance(2)
		return append(buf, v), nil
	}
	switch {
	case c >= '0' && c <= '7':
		n, v := digits(l.src[l.pos+1:], 3, 8)
		l.advance(1 + n)
		if v > 255 {
			return nil, l.errorf(line, col, "octal escape out of range")
		}
		return append(buf, byte(v)), nil
	case c == 'x' || c == 'X':
		n, v := digits(l.src[l.pos+2:], 2, 16)
		if n == 0 {
			return nil, l.errorf(line, col, "bad hex escape")
		}
		l.advance(2 + n)
		return append(buf, byte(v)), nil
	case c == 'u' || c == 'U':
		want := 4
		if c == 'U' {
			want = 8
		}
		n, v := digits(l.src[l.pos+2:], want, 16)
		if n != want || v > utf8.MaxRune {
			return nil, l.errorf(line, col, "bad unicode escape")
		}
		l.advance(2 + n)
		return utf8.AppendRune(buf, rune(v)), nil
	}
	return nil, l.errorf(line, col, "unknown escape \\%c", c)
}

var simpleEscapes = map[byte]byte{
	'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '\'': '\'', '"': '"',
	'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v', '?': '?',
}

// digits reads up to max digits of base from b and returns how many it
// read and their value.
func digits(b []byte, max int, base uint64) (int, uint64) {
	var v uint64
	n := 0
	for n < max && n < len(b) {
		d, err := strconv.ParseUint(string(b[n]), int(base), 8)
		if err != nil {
			break
		}
		v = v*base + d
		n++
	}
	return n, v
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// number reads a decimal, hex, octal or float literal (with an exponent
// sign and an f suffix); strconv validates it later.
func (l *lexer) number() string {
	start := l.pos
	hex := l.pos+1 < len(l.src) && l.src[l.pos] == '0' && l.src[l.pos+1]|0x20 == 'x'
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		sign := (c == '+' || c == '-') && !hex && l.pos > start && l.src[l.pos-1]|0x20 == 'e'
		if !isIdentPart(c) && c != '.' && !sign {
			break
		}
		l.advance(1)
	}
	return l.intern(l.src[start:l.pos])
}

func isPunct(c byte) bool {
	switch c {
	case '{', '}', '<', '>', '[', ']', ':', ',', ';', '-', '/', '.':
		return true
	}
	return false
}
