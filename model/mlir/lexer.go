package mlir

import (
	"errors"
	"fmt"
)

// kind is a token kind.
type kind uint8

const (
	tEOF     kind = iota
	tPercent      // %name, %name#3
	tCaret        // ^bb0
	tAt           // @sym, @"sym"
	tHash         // #alias, #dialect<...>
	tBang         // !type, !dialect.type<...>
	tBare         // bare-id, optionally with a <...> body: f32, tensor<4xf32>
	tNumber       // 12, -1.5e3, 0x7FC00000
	tString       // "..."
	tArrow        // ->
	tAngle        // a standalone <...> group (properties)
	tPunct        // ( ) [ ] { } , : = and any other byte
)

// token is a lexeme: its kind and where it lies in the source. nl is set
// when a line break (or comment) separates it from the previous token.
type token struct {
	kind       kind
	nl         bool
	start, end int32
}

// lexer scans MLIR text. It is a small value: copying it peeks ahead.
type lexer struct {
	src []byte
	pos int
}

// next returns the next token.
func (lx *lexer) next() (token, error) {
	nl := lx.skipSpace()
	if lx.pos >= len(lx.src) {
		return token{kind: tEOF, start: int32(lx.pos), end: int32(lx.pos), nl: true}, nil
	}
	start := lx.pos
	k, err := lx.scan()
	if err != nil {
		return token{}, fmt.Errorf("line %d: %w", lineOf(lx.src, int32(start)), err)
	}
	return token{kind: k, start: int32(start), end: int32(lx.pos), nl: nl}, nil
}

// skipSpace skips blanks, // comments and {-# ... #-} file metadata, and
// reports whether a line break was crossed.
func (lx *lexer) skipSpace() bool {
	nl := false
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == '\n':
			nl = true
			lx.pos++
		case c == ' ' || c == '\t' || c == '\r':
			lx.pos++
		case c == '/' && lx.at(1) == '/':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
		case c == '{' && lx.at(1) == '-' && lx.at(2) == '#':
			lx.skipMetadata()
			nl = true
		default:
			return nl
		}
	}
	return nl
}

// skipMetadata skips a {-# ... #-} block (dialect resources).
func (lx *lexer) skipMetadata() {
	for i := lx.pos + 3; i+2 < len(lx.src); i++ {
		if lx.src[i] == '#' && lx.src[i+1] == '-' && lx.src[i+2] == '}' {
			lx.pos = i + 3
			return
		}
	}
	lx.pos = len(lx.src)
}

// at returns the byte at pos+d, or 0 past the end.
func (lx *lexer) at(d int) byte {
	if lx.pos+d < len(lx.src) {
		return lx.src[lx.pos+d]
	}
	return 0
}

func isIDChar(c byte) bool {
	return c == '_' || c == '$' || c == '.' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isLetter(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scan reads one token at lx.pos.
func (lx *lexer) scan() (kind, error) {
	c := lx.src[lx.pos]
	switch {
	case c == '"':
		return tString, lx.scanString()
	case c == '%' || c == '^':
		lx.pos++
		lx.scanID(false)
		if c == '%' && lx.at(0) == '#' && isDigit(lx.at(1)) {
			lx.pos++
			for isDigit(lx.at(0)) {
				lx.pos++
			}
		}
		return map[byte]kind{'%': tPercent, '^': tCaret}[c], nil
	case c == '@':
		lx.pos++
		if lx.at(0) == '"' {
			return tAt, lx.scanString()
		}
		lx.scanID(false)
		return tAt, nil
	case c == '#' || c == '!':
		lx.pos++
		lx.scanID(false)
		return map[byte]kind{'#': tHash, '!': tBang}[c], lx.maybeAngle()
	case isLetter(c):
		lx.scanID(true)
		return tBare, lx.maybeAngle()
	case isDigit(c) || (c == '-' && isDigit(lx.at(1))):
		lx.scanNumber()
		return tNumber, nil
	case c == '-' && lx.at(1) == '>':
		lx.pos += 2
		return tArrow, nil
	case c == '<':
		return tAngle, lx.scanAngle()
	}
	lx.pos++
	return tPunct, nil
}

// scanID reads identifier characters ('-' only when not bare).
func (lx *lexer) scanID(bare bool) {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		if !isIDChar(c) || (bare && c == '-') {
			return
		}
		lx.pos++
	}
}

// scanNumber reads an integer, float or hex literal.
func (lx *lexer) scanNumber() {
	lx.pos++
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case isDigit(c) || c == '.' || c == 'x' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'):
		case (c == '+' || c == '-') && (lx.src[lx.pos-1] == 'e' || lx.src[lx.pos-1] == 'E'):
		default:
			return
		}
		lx.pos++
	}
}

var errString = errors.New("unterminated string")

// scanString reads a "..." literal with backslash escapes.
func (lx *lexer) scanString() error {
	for i := lx.pos + 1; i < len(lx.src); i++ {
		switch lx.src[i] {
		case '\\':
			i++
		case '"':
			lx.pos = i + 1
			return nil
		}
	}
	lx.pos = len(lx.src)
	return errString
}

// maybeAngle extends an identifier with an attached <...> body.
func (lx *lexer) maybeAngle() error {
	if lx.at(0) == '<' {
		return lx.scanAngle()
	}
	return nil
}

// scanAngle reads a balanced <...> group; strings are skipped, and the
// '>' of "->" and ">=" does not close it.
func (lx *lexer) scanAngle() error {
	depth := 0
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == '"':
			if err := lx.scanString(); err != nil {
				return err
			}
			continue
		case c == '-' && lx.at(1) == '>', c == '>' && lx.at(1) == '=':
			lx.pos++
		case c == '<':
			depth++
		case c == '>':
			depth--
			if depth == 0 {
				lx.pos++
				return nil
			}
		}
		lx.pos++
	}
	return errors.New("unterminated <...>")
}

// lineOf returns the 1-based line of offset off.
func lineOf(src []byte, off int32) int {
	n := 1
	for _, c := range src[:min(int(off), len(src))] {
		if c == '\n' {
			n++
		}
	}
	return n
}
