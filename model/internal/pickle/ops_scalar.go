package pickle

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// controlOp runs the opcodes that drive the machine: protocol, frames,
// marks and stack shuffles.
func (m *machine) controlOp(op byte) (bool, error) {
	switch op {
	case opStop:
		return true, errStop
	case opProto:
		b, err := m.take(1)
		if err != nil {
			return true, err
		}
		if b[0] > 5 {
			return true, m.fail("unsupported pickle protocol %d", b[0])
		}
		m.proto = int(b[0])
		return true, nil
	case opFrame:
		_, err := m.takeLen(8)
		return true, err
	case opMark:
		if len(m.stack)+len(m.marks) >= m.lim.MaxStack {
			return true, m.fail("stack deeper than %d entries", m.lim.MaxStack)
		}
		m.marks = append(m.marks, len(m.stack))
		return true, nil
	case opPop:
		if len(m.marks) > 0 && m.marks[len(m.marks)-1] == len(m.stack) {
			m.marks = m.marks[:len(m.marks)-1]
			return true, nil
		}
		_, err := m.pop()
		return true, err
	case opPopMark:
		_, err := m.popMark()
		return true, err
	case opDup:
		v, err := m.top()
		if err != nil {
			return true, err
		}
		return true, m.push(v)
	}
	return false, nil
}

// numberOp pushes constants and numbers.
func (m *machine) numberOp(op byte) (bool, error) {
	switch op {
	case opNone:
		return true, m.push(nil)
	case opNewTrue:
		return true, m.push(true)
	case opNewFalse:
		return true, m.push(false)
	case opInt, opLong:
		return true, m.textInt(op)
	case opBinInt, opBinInt1, opBinInt2:
		return true, m.binInt(op)
	case opLong1, opLong4:
		return true, m.binLong(op)
	case opFloat:
		s, err := m.line()
		if err != nil {
			return true, err
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return true, m.fail("FLOAT %q: %v", s, err)
		}
		return true, m.push(f)
	case opBinFloat:
		b, err := m.take(8)
		if err != nil {
			return true, err
		}
		return true, m.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	}
	return false, nil
}

// textInt pushes the decimal integer of INT or LONG; INT's "00" and "01"
// are protocol 0's False and True.
func (m *machine) textInt(op byte) error {
	s, err := m.line()
	if err != nil {
		return err
	}
	name, digits := "INT", s
	if op == opLong {
		name, digits = "LONG", strings.TrimSuffix(s, "L")
	} else if s == "00" || s == "01" {
		return m.push(s == "01")
	}
	v, err := parseInt(digits, m.lim.MaxLong)
	if err != nil {
		return m.fail("%s %q: %v", name, s, err)
	}
	return m.push(v)
}

// binInt pushes BININT (signed 4 bytes), BININT1 or BININT2 (unsigned).
func (m *machine) binInt(op byte) error {
	size := 4
	switch op {
	case opBinInt1:
		size = 1
	case opBinInt2:
		size = 2
	}
	b, err := m.take(size)
	if err != nil {
		return err
	}
	switch op {
	case opBinInt1:
		return m.push(int64(b[0]))
	case opBinInt2:
		return m.push(int64(binary.LittleEndian.Uint16(b)))
	}
	return m.push(int64(int32(binary.LittleEndian.Uint32(b))))
}

// binLong pushes LONG1 or LONG4: a length, then that many bytes of a
// two's-complement little-endian integer, capped by MaxLong.
func (m *machine) binLong(op byte) error {
	size := 1
	if op == opLong4 {
		size = 4
	}
	n, err := m.takeLen(size)
	if err != nil {
		return err
	}
	if n > m.lim.MaxLong {
		return m.fail("integer of %d bytes is larger than the limit", n)
	}
	b, _ := m.take(n)
	return m.push(decodeLong(b))
}

// stringOp pushes strings, bytes and out-of-band buffers.
func (m *machine) stringOp(op byte) (bool, error) {
	switch op {
	case opString:
		s, err := m.line()
		if err != nil {
			return true, err
		}
		v, err := unquote(s)
		if err != nil {
			return true, m.fail("STRING: %v", err)
		}
		return true, m.push(v)
	case opUnicode:
		s, err := m.line()
		if err != nil {
			return true, err
		}
		return true, m.push(rawUnicodeEscape(s))
	case opBinString, opShortBinString, opBinUnicode, opShortBinUni, opBinUnicode8,
		opBinBytes, opShortBinBytes, opBinBytes8, opByteArray8:
		return true, m.counted(op)
	case opNextBuffer:
		m.buffers++
		return true, m.push(&Buffer{Index: m.buffers - 1})
	case opReadOnlyBuffer:
		v, err := m.top()
		if err != nil {
			return true, err
		}
		if b, ok := v.(*Buffer); ok {
			b.ReadOnly = true
		}
		return true, nil
	}
	return false, nil
}

// countedLen is the size of the length prefix of a counted string
// opcode.
func countedLen(op byte) int {
	switch op {
	case opShortBinString, opShortBinUni, opShortBinBytes:
		return 1
	case opBinUnicode8, opBinBytes8, opByteArray8:
		return 8
	}
	return 4
}

// counted pushes a length-prefixed string: BINSTRING's Python 2 str as a
// string when it is valid UTF-8 (else bytes), unicode with invalid
// sequences replaced, bytes copied out of the input.
func (m *machine) counted(op byte) error {
	n, err := m.takeLen(countedLen(op))
	if err != nil {
		return err
	}
	b, _ := m.take(n)
	switch op {
	case opBinString, opShortBinString:
		if utf8.Valid(b) {
			return m.push(string(b))
		}
	case opBinUnicode, opShortBinUni, opBinUnicode8:
		return m.push(strings.ToValidUTF8(string(b), "\uFFFD"))
	}
	return m.push(append([]byte(nil), b...))
}
