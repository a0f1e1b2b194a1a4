package paddle

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// OpDesc.Attr field numbers (framework.proto).
const (
	attrName      = 1
	attrType      = 2
	attrI         = 3
	attrF         = 4
	attrS         = 5
	attrInts      = 6
	attrFloats    = 7
	attrStrings   = 8
	attrB         = 10
	attrBools     = 11
	attrBlockIdx  = 12
	attrL         = 13
	attrBlocksIdx = 14
	attrLongs     = 15
	attrFloat64s  = 16
	attrVarName   = 17
	attrVarsName  = 18
	attrFloat64   = 19
)

// AttrType enum values (framework.proto).
const (
	atInt = iota
	atFloat
	atString
	atInts
	atFloats
	atStrings
	atBoolean
	atBooleans
	atBlock
	atLong
	atBlocks
	atLongs
	atFloat64s
	atVar
	atVars
	atFloat64
)

// rawAttr collects every value field of an OpDesc.Attr; the declared type
// picks which one the attribute shows.
type rawAttr struct {
	name    string
	typ     int64
	i, l    int64
	f       float64
	s       string
	ints    []int64
	floats  []float64
	strings []string
	b       bool
	blocks  []int64
	count   int // values seen in the chosen list field, kept or not
	nInts   int
	nFloats int
}

// parseAttr decodes one attribute. For BLOCK and BLOCKS attributes it also
// returns the referenced block indices (the caller turns them into graphs).
func parseAttr(m pbwire.Field) (model.Attribute, []int64, error) {
	r := rawAttr{typ: -1}
	err := pbwire.Walk(m.Bytes, m.Off, r.field)
	if err != nil {
		return model.Attribute{}, nil, err
	}
	return r.attribute()
}

func (r *rawAttr) field(f pbwire.Field) error {
	var err error
	var n int
	switch f.Num {
	case attrName:
		r.name = f.String()
	case attrType:
		r.typ = f.Int()
	case attrI, attrBlockIdx:
		r.i = int64(int32(f.Varint))
		if f.Num == attrBlockIdx {
			r.blocks = append(r.blocks[:0], r.i)
		}
	case attrL:
		r.l = f.Int()
	case attrF:
		r.f = float64(f.Float32())
	case attrFloat64:
		r.f = f.Float64()
	case attrS, attrVarName:
		r.s = f.String()
	case attrStrings, attrVarsName:
		if len(r.strings) < maxList {
			r.strings = append(r.strings, f.String())
		}
		r.count++
	case attrInts, attrLongs, attrBools, attrBlocksIdx:
		r.ints, n, err = f.Ints(r.ints, maxList)
		r.nInts += n
	case attrFloats:
		r.floats, n, err = f.Floats(r.floats, maxList)
		r.nFloats += n
	case attrFloat64s:
		r.floats, n, err = float64s(f, r.floats)
		r.nFloats += n
	case attrB:
		r.b = f.Bool()
	}
	return err
}

// float64s reads a repeated double field, packed or not.
func float64s(f pbwire.Field, dst []float64) ([]float64, int, error) {
	switch f.Type {
	case 1: // fixed64
		if len(dst) < maxList {
			dst = append(dst, f.Float64())
		}
		return dst, 1, nil
	case 2:
		if len(f.Bytes)%8 != 0 {
			return dst, 0, fmt.Errorf("%w: packed double field has %d bytes", pbwire.ErrMalformed, len(f.Bytes))
		}
		n := len(f.Bytes) / 8
		for i := 0; i < n && len(dst) < maxList; i++ {
			b := f.Bytes[8*i:]
			dst = append(dst, pbwire.Field{Varint: le64(b)}.Float64())
		}
		return dst, n, nil
	}
	return dst, 0, fmt.Errorf("%w: field %d is not a repeated double", pbwire.ErrMalformed, f.Num)
}

func le64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// attribute turns the raw fields into a typed model.Attribute.
func (r *rawAttr) attribute() (model.Attribute, []int64, error) {
	a := model.Attribute{Name: r.name}
	switch r.typ {
	case atInt:
		a.Type, a.Int = model.AttrInt, int64(int32(r.i))
	case atLong:
		a.Type, a.Int = model.AttrInt, r.l
	case atFloat, atFloat64:
		a.Type, a.Float = model.AttrFloat, r.f
	case atString, atVar:
		a.Type, a.String = model.AttrString, r.s
	case atBoolean:
		a.Type, a.Int = model.AttrBool, b2i(r.b)
	case atInts, atLongs, atBooleans:
		a.Type, a.Ints = model.AttrInts, nonNil(r.ints)
		a.Truncated, a.Count = r.nInts > len(r.ints), int64(r.nInts)
	case atFloats, atFloat64s:
		a.Type, a.Floats = model.AttrFloats, r.floats
		if a.Floats == nil {
			a.Floats = []float64{}
		}
		a.Truncated, a.Count = r.nFloats > len(r.floats), int64(r.nFloats)
	case atStrings, atVars:
		a.Type, a.Strings = model.AttrStrings, r.strings
		if a.Strings == nil {
			a.Strings = []string{}
		}
		a.Truncated, a.Count = r.count > len(r.strings), int64(r.count)
	case atBlock:
		a.Type = model.AttrGraph
		return a, append([]int64{}, r.blocks...), nil
	case atBlocks:
		a.Type = model.AttrGraphs
		return a, nonNil(r.ints), nil
	default:
		a.Type, a.String = model.AttrOther, fmt.Sprintf("attribute type %d", r.typ)
	}
	if !a.Truncated {
		a.Count = 0
	}
	return a, nil, nil
}

func nonNil(v []int64) []int64 {
	if v == nil {
		return []int64{}
	}
	return v
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
