package mlir

import (
	"bytes"
	"fmt"
)

// bytecodeError describes an MLIR bytecode file from its header (magic,
// version as a prefix varint, producer as a NUL-terminated string) and
// says it is not supported yet.
func bytecodeError(src []byte) error {
	b := src[len(bytecodeMagic):]
	what := "MLIR bytecode"
	if v, n, ok := prefixVarint(b); ok {
		what = fmt.Sprintf("MLIR bytecode version %d", v)
		if end := bytes.IndexByte(b[n:], 0); end >= 0 && end <= 256 {
			what += fmt.Sprintf(" from %q", b[n:n+end])
		}
	}
	return fmt.Errorf("mlir: %s is not supported yet; convert it to text with `mlir-opt file.mlirbc -o file.mlir`", what)
}

// prefixVarint decodes MLIR's prefix varint: the count of trailing zero
// bits of the first byte is the count of extra bytes (a zero first byte:
// eight extra bytes hold the value).
func prefixVarint(b []byte) (v uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] == 0 {
		if len(b) < 9 {
			return 0, 0, false
		}
		for i := 8; i >= 1; i-- {
			v = v<<8 | uint64(b[i])
		}
		return v, 9, true
	}
	extra := 0
	for b[0]>>extra&1 == 0 {
		extra++
	}
	if len(b) < extra+1 {
		return 0, 0, false
	}
	for i := extra; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v >> (extra + 1), extra + 1, true
}
