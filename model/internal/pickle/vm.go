package pickle

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits bound the VM. Every opcode consumes at least one input byte, so
// work is linear in the input; these caps bound memory on top of that.
type Limits struct {
	// MaxStack is the most values (and marks) the stack may hold.
	MaxStack int
	// MaxMemo is the most memo entries.
	MaxMemo int
	// MaxLong is the most bytes of one arbitrary-precision integer.
	MaxLong int
	// MaxItems is the most values all containers may hold together (a
	// pickle can refill the stack and append it to a list many times).
	MaxItems int
}

// DefaultLimits suit model files: deep enough for any real pickle. Python's
// pickler appends and sets items in batches of 1,000, so a real stack stays
// a few thousand deep; 2^16 also caps how deeply containers can nest (each
// open level holds a stack slot), which is what 10^6-deep hostile nesting
// needs.
func DefaultLimits() Limits {
	return Limits{MaxStack: 1 << 16, MaxMemo: 1 << 22, MaxLong: 1 << 10, MaxItems: 1 << 23}
}

// Result is a decoded pickle.
type Result struct {
	// Value is the object left on the stack at STOP.
	Value Value
	// Globals lists every GLOBAL/STACK_GLOBAL/INST reference as
	// "module.Name", in order of first appearance.
	Globals []string
	// Calls lists the callables REDUCE, INST and OBJ would call (when they
	// are references), as "module.Name", in order of first appearance.
	// NEWOBJ only constructs a class and is not listed.
	Calls []string
	// Proto is the protocol the pickle declared (0 when none).
	Proto int
	// End is the offset just past the STOP opcode.
	End int
}

// Decode reads one pickle from the start of data.
func Decode(data []byte) (*Result, error) {
	return DecodeAt(data, 0, DefaultLimits())
}

// DecodeAt reads one pickle starting at data[start:]. Trailing bytes after
// STOP are left alone (several pickles may follow one another).
func DecodeAt(data []byte, start int, lim Limits) (*Result, error) {
	return DecodeContext(context.Background(), data, start, lim)
}

// DecodeContext is DecodeAt that stops early when ctx is done.
func DecodeContext(ctx context.Context, data []byte, start int, lim Limits) (res *Result, err error) {
	if start < 0 || start > len(data) {
		return nil, errors.New("pickle: start offset outside the data")
	}
	m := &machine{ctx: ctx, data: data, pos: start, lim: lim, memo: map[int64]Value{}, seen: map[string]bool{}, called: map[string]bool{}}
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("pickle: internal error at byte %d: %v", m.op, p)
		}
	}()
	v, err := m.run()
	if err != nil {
		// A damaged stream may still have named code to run before the
		// damage: Python loaders execute a pickle as they read it.
		if len(m.calls) > 0 {
			calls := m.calls
			if len(calls) > 5 {
				calls = append(calls[:5:5], "…")
			}
			err = fmt.Errorf("%w (before that point it asks to call %s, which a Python loader would already have run)", err, strings.Join(calls, ", "))
		}
		return nil, err
	}
	return &Result{Value: v, Globals: m.globals, Calls: m.calls, Proto: m.proto, End: m.pos}, nil
}

type machine struct {
	ctx     context.Context
	ops     int
	calls   []string
	called  map[string]bool
	data    []byte
	pos     int
	op      int // offset of the current opcode, for errors
	lim     Limits
	stack   []Value
	marks   []int
	memo    map[int64]Value
	globals []string
	seen    map[string]bool
	proto   int
	buffers int
	items   int
}

// ErrTruncated is wrapped by errors about data that ends before STOP.
var ErrTruncated = errors.New("the data ends in the middle of an instruction (truncated file?)")

func (m *machine) fail(format string, args ...any) error {
	return fmt.Errorf("pickle: at byte %d: %s", m.op, fmt.Sprintf(format, args...))
}

func (m *machine) truncated() error {
	return fmt.Errorf("pickle: at byte %d: %w", m.op, ErrTruncated)
}

func (m *machine) take(n int) ([]byte, error) {
	if n < 0 || n > len(m.data)-m.pos {
		return nil, m.truncated()
	}
	b := m.data[m.pos : m.pos+n]
	m.pos += n
	return b, nil
}

// takeLen reads a length of size bytes (1, 4 or 8, little-endian) and
// checks it against the remaining input before anything is allocated.
func (m *machine) takeLen(size int) (int, error) {
	b, err := m.take(size)
	if err != nil {
		return 0, err
	}
	var n uint64
	switch size {
	case 1:
		n = uint64(b[0])
	case 4:
		n = uint64(binary.LittleEndian.Uint32(b))
	case 8:
		n = binary.LittleEndian.Uint64(b)
	}
	if n > uint64(len(m.data)-m.pos) {
		return 0, fmt.Errorf("pickle: at byte %d: a length of %d bytes runs past the end of the data: %w", m.op, n, ErrTruncated)
	}
	return int(n), nil
}

func (m *machine) line() (string, error) {
	rest := m.data[m.pos:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return "", m.truncated()
	}
	m.pos += i + 1
	return strings.TrimSuffix(string(rest[:i]), "\r"), nil
}

func (m *machine) push(v Value) error {
	if len(m.stack)+len(m.marks) >= m.lim.MaxStack {
		return m.fail("stack deeper than %d entries", m.lim.MaxStack)
	}
	m.stack = append(m.stack, v)
	return nil
}

func (m *machine) pop() (Value, error) {
	base := 0
	if len(m.marks) > 0 {
		base = m.marks[len(m.marks)-1]
	}
	if len(m.stack) <= base {
		return nil, m.fail("stack underflow")
	}
	v := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	return v, nil
}

func (m *machine) top() (Value, error) {
	base := 0
	if len(m.marks) > 0 {
		base = m.marks[len(m.marks)-1]
	}
	if len(m.stack) <= base {
		return nil, m.fail("stack underflow")
	}
	return m.stack[len(m.stack)-1], nil
}

// popMark removes and returns the values above the most recent MARK.
func (m *machine) popMark() ([]Value, error) {
	if len(m.marks) == 0 {
		return nil, m.fail("no MARK on the stack")
	}
	k := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	if err := m.count(len(m.stack) - k); err != nil {
		return nil, err
	}
	items := make([]Value, len(m.stack)-k)
	copy(items, m.stack[k:])
	clear(m.stack[k:])
	m.stack = m.stack[:k]
	return items, nil
}

// count charges n container items against Limits.MaxItems.
func (m *machine) count(n int) error {
	m.items += n
	if m.lim.MaxItems > 0 && m.items > m.lim.MaxItems {
		return m.fail("more than %d values in containers", m.lim.MaxItems)
	}
	return nil
}

func (m *machine) memoPut(k int64, v Value) error {
	if _, ok := m.memo[k]; !ok && len(m.memo) >= m.lim.MaxMemo {
		return m.fail("memo larger than %d entries", m.lim.MaxMemo)
	}
	m.memo[k] = v
	return nil
}

func (m *machine) memoGet(k int64) error {
	v, ok := m.memo[k]
	if !ok {
		return m.fail("memo entry %d was never stored", k)
	}
	return m.push(v)
}

func (m *machine) global(module, name string) error {
	g := &Global{Module: module, Name: name}
	if s := g.String(); !m.seen[s] {
		m.seen[s] = true
		m.globals = append(m.globals, s)
	}
	return m.push(g)
}

// call records a callable REDUCE, INST or OBJ asks for.
func (m *machine) call(fn Value) {
	if g, ok := fn.(*Global); ok {
		if s := g.String(); !m.called[s] {
			m.called[s] = true
			m.calls = append(m.calls, s)
		}
	}
}

func (m *machine) run() (Value, error) {
	for {
		if m.ops++; m.ops&0xffff == 0 && m.ctx.Err() != nil {
			return nil, m.ctx.Err()
		}
		m.op = m.pos
		b, err := m.take(1)
		if err != nil {
			return nil, err
		}
		if err := m.step(b[0]); err != nil {
			if errors.Is(err, errStop) {
				v, err := m.pop()
				if err != nil {
					return nil, err
				}
				return v, nil
			}
			return nil, err
		}
	}
}

var errStop = errors.New("stop")

// Opcodes, named as in Python's pickletools.
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opLong           = 'L'
	opBinInt2        = 'M'
	opNone           = 'N'
	opPersID         = 'P'
	opBinPersID      = 'Q'
	opReduce         = 'R'
	opString         = 'S'
	opBinString      = 'T'
	opShortBinString = 'U'
	opUnicode        = 'V'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opInst           = 'i'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opObj            = 'o'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'

	opProto          = 0x80
	opNewObj         = 0x81
	opExt1           = 0x82
	opExt2           = 0x83
	opExt4           = 0x84
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opBinBytes8      = 0x8e
	opEmptySet       = 0x8f
	opAddItems       = 0x90
	opFrozenSet      = 0x91
	opNewObjEx       = 0x92
	opStackGlobal    = 0x93
	opMemoize        = 0x94
	opFrame          = 0x95
	opByteArray8     = 0x96
	opNextBuffer     = 0x97
	opReadOnlyBuffer = 0x98
)

// opFamily runs the opcodes of one family; it reports false for an
// opcode that is not one of its own.
type opFamily func(m *machine, op byte) (bool, error)

// step runs one opcode.
func (m *machine) step(op byte) error {
	families := [...]opFamily{
		(*machine).controlOp, (*machine).numberOp, (*machine).stringOp,
		(*machine).containerOp, (*machine).memoOp, (*machine).referenceOp,
		(*machine).objectOp,
	}
	for _, run := range families {
		if done, err := run(m, op); done {
			return err
		}
	}
	return m.fail("unknown opcode 0x%02x (not a pickle, or a damaged one)", op)
}

func isMapping(g *Global) bool {
	switch g.String() {
	case "collections.OrderedDict", "builtins.dict", "__builtin__.dict":
		return true
	}
	return false
}

func asTuple(v Value) Tuple {
	if t, ok := v.(Tuple); ok {
		return t
	}
	return Tuple{v}
}

func (m *machine) appendTo(items []Value) error {
	t, err := m.top()
	if err != nil {
		return err
	}
	switch t := t.(type) {
	case *List:
		t.Items = append(t.Items, items...)
	case *Object:
		t.Items = append(t.Items, items...)
	case *Set:
		t.Items = append(t.Items, items...)
	default:
		return m.fail("APPEND onto a %s", TypeName(t))
	}
	return nil
}

func (m *machine) setItems(items []Value) error {
	t, err := m.top()
	if err != nil {
		return err
	}
	var d *Dict
	switch t := t.(type) {
	case *Dict:
		d = t
	case *Object:
		if t.Entries == nil {
			t.Entries = &Dict{}
		}
		d = t.Entries
	default:
		return m.fail("SETITEM onto a %s", TypeName(t))
	}
	for i := 0; i < len(items); i += 2 {
		d.set(items[i], items[i+1])
	}
	return nil
}

// decodeLong decodes a little-endian two's-complement integer.
func decodeLong(b []byte) Value {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var u uint64
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		return int64(u<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	n := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

func parseInt(s string, maxLen int) (Value, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxLen {
		return nil, errors.New("number too long")
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, errors.New("not a number")
	}
	return n, nil
}

// unquote decodes a protocol-0 STRING argument: a Python repr in single or
// double quotes.
func unquote(s string) (string, error) {
	if len(s) < 2 || s[0] != s[len(s)-1] || (s[0] != '\'' && s[0] != '"') {
		return "", errors.New("string is not quoted")
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			if i+2 < len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
					b.WriteByte(byte(v))
					i += 2
					continue
				}
			}
			b.WriteString(`\x`)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 16)
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte(e)
		}
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD"), nil
}

// rawUnicodeEscape decodes Python's raw-unicode-escape: \uXXXX and
// \UXXXXXXXX escapes; every other byte is a Latin-1 character.
func rawUnicodeEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
					b.WriteRune(rune(v))
					i += 1 + n
					continue
				}
			}
		}
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}
