package safetensors

import "fmt"

// maxJSONDepth bounds the nesting of objects and arrays in the JSON that
// safetensors files and index files carry. Real headers nest three deep.
const maxJSONDepth = 64

// checkJSONDepth scans JSON text for nesting deeper than max, without
// decoding it, so a hostile header nested a million deep is refused before
// any decoder builds a parse stack for it. Brackets inside strings are
// skipped; the text is otherwise not validated.
func checkJSONDepth(b []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for i, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return fmt.Errorf("JSON nested more than %d levels deep at byte %d", max, i)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
