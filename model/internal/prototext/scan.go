package prototext

// Scan reads the start of a possibly truncated text-format message (a
// file's sniffed head) and returns the names of its top-level fields, in
// order, and how many bytes it read before the end or the first error
// (err). Detectors use it to recognise a format by its field names.
func Scan(head []byte, maxNames int) (names []string, read int, err error) {
	l := newLexer(head)
	depth, list := 0, 0
	var prev token
	for len(names) < maxNames {
		t, err := l.next()
		if err != nil {
			return names, l.pos, err
		}
		if t.kind == tokEOF {
			return names, l.pos, nil
		}
		switch {
		case t.kind == tokPunct:
			depth, list = nesting(t.text, depth, list)
			if depth < 0 || list < 0 {
				return names, l.pos, l.errorf(t.line, t.col, "unbalanced %q", t.text)
			}
		case t.kind == tokIdent && depth == 0 && list == 0 && !isValueStart(prev):
			names = append(names, t.text)
		}
		prev = t
	}
	return names, l.pos, nil
}

// nesting tracks message and list depth across a punctuation token.
func nesting(p string, depth, list int) (int, int) {
	switch p {
	case "{", "<":
		depth++
	case "}", ">":
		depth--
	case "[":
		list++
	case "]":
		list--
	}
	return depth, list
}

// isValueStart reports whether the token before an identifier makes it a
// value (after ':' or '-') rather than a field name.
func isValueStart(prev token) bool {
	return prev.kind == tokPunct && (prev.text == ":" || prev.text == "-")
}
