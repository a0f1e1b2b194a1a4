package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// safeText makes s, which may come from a model file, safe to write to a
// terminal: control characters (C0, DEL, C1), bidirectional-text controls
// and invalid UTF-8 bytes are written as Go escapes (\x1b, \u202e), so
// no escape sequence in a file reaches the terminal. Other text is kept.
func safeText(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && escapeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case escapeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsEscape reports whether safeText has anything to change in s.
func needsEscape(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if escapeRune(r) {
			return true
		}
	}
	return false
}

// escapeRune reports whether r must not reach a terminal as it is.
func escapeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// errorLine is the one line printed for err after "modelpeek: ": its
// first line, made safe for the terminal.
func errorLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return safeText(msg)
}
