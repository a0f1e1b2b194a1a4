// Package hier groups weight tensors into a graph by their dotted names:
// "model.layers.3.self_attn.q_proj.weight" and its bias become one node for
// the module "model.layers.3.self_attn.q_proj", with the tensors as the
// graph's initializers referenced by the node's inputs. Weight-only formats
// (safetensors, NumPy) use it to give the viewer something to draw.
package hier

// Less reports whether a sorts before b in natural order: runs of digits
// compare by numeric value, so "layers.2" < "layers.10". Ties between
// numerically equal runs ("01" and "1") fall back to plain byte order.
func Less(a, b string) bool {
	if c := Compare(a, b); c != 0 {
		return c < 0
	}
	return a < b
}

// Compare compares a and b in natural order, returning -1, 0 or +1. Runs of
// digits compare by value (leading zeros ignored, then by run length), other
// bytes compare as bytes.
func Compare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			if c := compareDigits(a[si:i], b[sj:j]); c != 0 {
				return c
			}
			continue
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
		i++
		j++
	}
	switch {
	case len(a)-i < len(b)-j:
		return -1
	case len(a)-i > len(b)-j:
		return 1
	}
	return 0
}

// compareDigits compares two runs of decimal digits by value without
// converting them, so runs of any length are safe.
func compareDigits(x, y string) int {
	x, y = trimZeros(x), trimZeros(y)
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
