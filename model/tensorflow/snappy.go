package tensorflow

import (
	"encoding/binary"
	"errors"
)

// errSnappy is returned for a snappy block that does not decode.
var errSnappy = errors.New("corrupt snappy-compressed block")

// unsnappy decodes a snappy block (the raw format, as LevelDB tables store
// compressed blocks). The decoded length is declared up front; it is
// refused past max, so a hostile block cannot allocate without bound.
func unsnappy(src []byte, max int) ([]byte, error) {
	n, k := binary.Uvarint(src)
	if k <= 0 || n > uint64(max) {
		return nil, errSnappy
	}
	dst := make([]byte, 0, n)
	s := src[k:]
	for len(s) > 0 {
		tag := s[0]
		var err error
		if tag&3 == 0 {
			dst, s, err = snappyLiteral(dst, s, int(n))
		} else {
			dst, s, err = snappyCopy(dst, s, int(n))
		}
		if err != nil {
			return nil, err
		}
	}
	if len(dst) != int(n) {
		return nil, errSnappy
	}
	return dst, nil
}

// snappyLiteral copies one literal element.
func snappyLiteral(dst, s []byte, limit int) ([]byte, []byte, error) {
	length := int(s[0] >> 2)
	s = s[1:]
	if length >= 60 {
		extra := length - 59
		if len(s) < extra {
			return nil, nil, errSnappy
		}
		length = 0
		for i := extra - 1; i >= 0; i-- {
			length = length<<8 | int(s[i])
		}
		s = s[extra:]
	}
	length++
	if length <= 0 || length > len(s) || len(dst)+length > limit {
		return nil, nil, errSnappy
	}
	return append(dst, s[:length]...), s[length:], nil
}

// snappyCopy repeats earlier output (copy elements with 1-, 2- or 4-byte
// offsets).
func snappyCopy(dst, s []byte, limit int) ([]byte, []byte, error) {
	tag := s[0]
	var length, offset int
	switch tag & 3 {
	case 1:
		if len(s) < 2 {
			return nil, nil, errSnappy
		}
		length = 4 + int(tag>>2&7)
		offset = int(tag>>5)<<8 | int(s[1])
		s = s[2:]
	case 2:
		if len(s) < 3 {
			return nil, nil, errSnappy
		}
		length = 1 + int(tag>>2)
		offset = int(binary.LittleEndian.Uint16(s[1:]))
		s = s[3:]
	default:
		if len(s) < 5 {
			return nil, nil, errSnappy
		}
		length = 1 + int(tag>>2)
		offset = int(binary.LittleEndian.Uint32(s[1:]))
		s = s[5:]
	}
	if offset <= 0 || offset > len(dst) || len(dst)+length > limit {
		return nil, nil, errSnappy
	}
	for i := 0; i < length; i++ {
		dst = append(dst, dst[len(dst)-offset])
	}
	return dst, s, nil
}
