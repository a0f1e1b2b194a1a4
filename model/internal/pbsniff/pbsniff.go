// Package pbsniff recognises protobuf-based model files from their first
// bytes by shape: every field of the sniffed head must be one the format's
// schema allows, with the right wire type, printable where it is a name,
// and nested messages must fit their own schemas. Protobuf has no magic
// number, so this is how TensorFlow, Caffe and similar decoders tell their
// files from each other's and from random bytes.
package pbsniff

import (
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Schema lists the fields a message may hold.
type Schema map[protowire.Number]Rule

// Rule is what one field must look like.
type Rule struct {
	Type protowire.Type
	// Msg, when set, is the schema of a nested message (Type BytesType).
	Msg *Schema
	// Text requires printable UTF-8 (names, op types).
	Text bool
	// Once marks a singular field: a second occurrence fails the check.
	Once bool
	// Any accepts the field with any wire type, uninspected.
	Any bool
}

// maxDepth bounds recursion into nested messages.
const maxDepth = 8

// Check reports how many fields of b fit s (counting nested ones) and
// whether all of them do. truncated says b is cut at the end of the sniffed
// head, so a field running past the end is accepted as far as it goes.
func Check(b []byte, s *Schema, truncated bool) (int, bool) {
	return check(b, s, truncated, 0)
}

func check(b []byte, s *Schema, truncated bool, depth int) (int, bool) {
	if depth > maxDepth {
		return 0, true
	}
	seen := map[protowire.Number]bool{}
	count := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return count, truncated && len(b) < 11
		}
		r, ok := (*s)[num]
		if !ok || (r.Type != typ && !r.Any) || (r.Once && seen[num]) {
			return count, false
		}
		seen[num] = true
		b = b[n:]
		m, ok := fieldValue(num, typ, b, truncated)
		if !ok {
			return count, false
		}
		count++
		if typ == protowire.BytesType && !r.Any {
			content, cut := contentOf(b, truncated)
			if !fits(content, r, cut, depth, &count) {
				return count, false
			}
			if cut {
				return count, true
			}
		}
		if m < 0 {
			return count, true // cut inside a scalar at the end of the head
		}
		b = b[m:]
	}
	return count, true
}

// fieldValue returns the length of the field's value, -1 when the head is
// cut inside it, or false when it does not parse.
func fieldValue(num protowire.Number, typ protowire.Type, b []byte, truncated bool) (int, bool) {
	m := protowire.ConsumeFieldValue(num, typ, b)
	if m >= 0 {
		return m, true
	}
	if !truncated {
		return 0, false
	}
	if typ == protowire.BytesType {
		if _, k := protowire.ConsumeVarint(b); k > 0 {
			return -1, true // length runs past the head
		}
	}
	return -1, len(b) < 11
}

// contentOf returns a length-delimited value's content, or what the head
// holds of it (cut = true).
func contentOf(b []byte, truncated bool) ([]byte, bool) {
	ln, k := protowire.ConsumeVarint(b)
	if k < 0 {
		return nil, true
	}
	b = b[k:]
	if ln > uint64(len(b)) {
		return b, truncated
	}
	return b[:ln], false
}

// fits checks a length-delimited value against its rule.
func fits(content []byte, r Rule, cut bool, depth int, count *int) bool {
	switch {
	case r.Text:
		return printable(content, cut)
	case r.Msg != nil:
		n, ok := check(content, r.Msg, cut, depth+1)
		*count += n
		return ok
	}
	return true
}

// printable reports whether b is text without control characters (a cut
// head may end inside a UTF-8 sequence).
func printable(b []byte, cut bool) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return cut && len(b) < utf8.UTFMax
		}
		if !unicode.IsPrint(r) && r != '\t' {
			return false
		}
		b = b[n:]
	}
	return true
}
