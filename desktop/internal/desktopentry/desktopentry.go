// Package desktopentry writes values of freedesktop.org Desktop Entry files
// with the quoting the specification asks for.
package desktopentry

import "strings"

// Exec renders an Exec= value for argv: arguments with reserved characters
// go in double quotes with `"`, "`", "$" and "\" backslash-escaped, a
// literal "%" is doubled, and then the value itself is escaped (so every
// backslash doubles again).
func Exec(argv ...string) string {
	parts := make([]string, 0, len(argv))
	for _, a := range argv {
		parts = append(parts, quoteArg(a))
	}
	return Value(strings.Join(parts, " "))
}

func quoteArg(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\n\"'\\><~|&;$*?#()`=%") {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range a {
		switch r {
		case '"', '`', '$', '\\':
			b.WriteByte('\\')
		case '%':
			b.WriteByte('%')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// Value escapes a string value: backslash, newline, tab and carriage return.
func Value(s string) string {
	return strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\t", "\\t", "\r", "\\r").Replace(s)
}
