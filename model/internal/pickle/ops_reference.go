package pickle

import (
	"encoding/binary"
	"strconv"
)

// memoOp reads and writes the memo.
func (m *machine) memoOp(op byte) (bool, error) {
	switch op {
	case opGet, opPut, opBinGet, opLongBinGet, opBinPut, opLongBinPut:
		k, err := m.memoKey(op)
		if err != nil {
			return true, err
		}
		if op == opGet || op == opBinGet || op == opLongBinGet {
			return true, m.memoGet(k)
		}
		v, err := m.top()
		if err != nil {
			return true, err
		}
		return true, m.memoPut(k, v)
	case opMemoize:
		v, err := m.top()
		if err != nil {
			return true, err
		}
		return true, m.memoPut(int64(len(m.memo)), v)
	}
	return false, nil
}

// memoKey reads the memo key of a GET or PUT: a decimal line, one byte
// (BINGET, BINPUT) or four (LONG_BINGET, LONG_BINPUT).
func (m *machine) memoKey(op byte) (int64, error) {
	switch op {
	case opGet, opPut:
		s, err := m.line()
		if err != nil {
			return 0, err
		}
		k, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, m.fail("memo key %q: %v", s, err)
		}
		return k, nil
	case opBinGet, opBinPut:
		b, err := m.take(1)
		if err != nil {
			return 0, err
		}
		return int64(b[0]), nil
	}
	b, err := m.take(4)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint32(b)), nil
}

// referenceOp records references to globals, extension codes and
// persistent ids: recorded, never resolved or called.
func (m *machine) referenceOp(op byte) (bool, error) {
	switch op {
	case opGlobal:
		mod, name, err := m.twoLines()
		if err != nil {
			return true, err
		}
		return true, m.global(mod, name)
	case opStackGlobal:
		items, err := m.popN(2)
		if err != nil {
			return true, err
		}
		mod, ok1 := items[0].(string)
		name, ok2 := items[1].(string)
		if !ok1 || !ok2 {
			return true, m.fail("STACK_GLOBAL needs two strings")
		}
		return true, m.global(mod, name)
	case opExt1, opExt2, opExt4:
		return true, m.ext(op)
	case opPersID:
		s, err := m.line()
		if err != nil {
			return true, err
		}
		return true, m.push(&PersID{ID: s})
	case opBinPersID:
		v, err := m.pop()
		if err != nil {
			return true, err
		}
		return true, m.push(&PersID{ID: v})
	}
	return false, nil
}

// twoLines reads a module line and a name line.
func (m *machine) twoLines() (string, string, error) {
	mod, err := m.line()
	if err != nil {
		return "", "", err
	}
	name, err := m.line()
	return mod, name, err
}

// ext pushes the extension-registry code of EXT1, EXT2 or EXT4.
func (m *machine) ext(op byte) error {
	size := 1
	switch op {
	case opExt2:
		size = 2
	case opExt4:
		size = 4
	}
	b, err := m.take(size)
	if err != nil {
		return err
	}
	var code int64
	for i := len(b) - 1; i >= 0; i-- {
		code = code<<8 | int64(b[i])
	}
	return m.push(&Ext{Code: code})
}
