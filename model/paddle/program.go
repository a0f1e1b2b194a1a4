package paddle

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// Field numbers from Paddle's paddle/fluid/framework/framework.proto.
const (
	progBlocks  = 1
	progVersion = 4

	blockIdx    = 1
	blockParent = 2
	blockVars   = 3
	blockOps    = 4

	varName        = 1
	varType        = 2
	varPersistable = 3

	vtType        = 1
	vtSelectedRow = 2
	vtLoDTensor   = 3
	vtTensorArray = 4

	lodTensorDesc = 1
	lodLevel      = 2

	tdDataType = 1
	tdDims     = 2

	opInputs  = 1
	opOutputs = 2
	opType    = 3
	opAttrs   = 4

	ovParameter = 1
	ovArguments = 2
)

// VarType.Type values that are not element types.
const (
	typeLoDTensor = 7
)

// maxList is how many values of one repeated field are kept.
const maxList = 1 << 16

// program is a decoded ProgramDesc, attributes already typed.
type program struct {
	blocks  []*block
	version int64
}

type block struct {
	idx, parent int64
	vars        []*varDesc
	ops         []*opDesc
}

type varDesc struct {
	name        string
	kind        int64 // VarType.type
	dtype       int64 // TensorDesc.data_type, -1 when absent
	dims        []int64
	hasTensor   bool
	lodLevel    int64
	persistable bool
}

type opDesc struct {
	typ             string
	inputs, outputs []opVar
	attrs           []model.Attribute
	// blocks are the sub-block references, by attribute index in attrs.
	blocks []blockRef
}

type opVar struct {
	param string
	args  []string
}

// blockRef is a BLOCK or BLOCKS attribute: attrs[attr] refers to blocks.
type blockRef struct {
	attr   int
	blocks []int64
}

// parseProgram decodes a serialized ProgramDesc.
func parseProgram(data []byte) (*program, error) {
	p := &program{}
	err := pbwire.Walk(data, 0, func(f pbwire.Field) error {
		switch {
		case f.Num == progBlocks && f.Type == 2:
			b, err := parseBlock(f)
			if err != nil {
				return fmt.Errorf("block %d: %w", len(p.blocks), err)
			}
			p.blocks = append(p.blocks, b)
		case f.Num == progVersion && f.Type == 2:
			return pbwire.Walk(f.Bytes, f.Off, func(g pbwire.Field) error {
				if g.Num == 1 && g.Type == 0 {
					p.version = g.Int()
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func parseBlock(m pbwire.Field) (*block, error) {
	b := &block{}
	err := pbwire.Walk(m.Bytes, m.Off, func(f pbwire.Field) error {
		switch {
		case f.Num == blockIdx && f.Type == 0:
			b.idx = int64(int32(f.Varint))
		case f.Num == blockParent && f.Type == 0:
			b.parent = int64(int32(f.Varint))
		case f.Num == blockVars && f.Type == 2:
			v, err := parseVar(f)
			if err != nil {
				return fmt.Errorf("var %d: %w", len(b.vars), err)
			}
			b.vars = append(b.vars, v)
		case f.Num == blockOps && f.Type == 2:
			op, err := parseOp(f)
			if err != nil {
				return fmt.Errorf("op %d: %w", len(b.ops), err)
			}
			b.ops = append(b.ops, op)
		}
		return nil
	})
	return b, err
}

func parseVar(m pbwire.Field) (*varDesc, error) {
	v := &varDesc{dtype: -1, kind: -1}
	err := pbwire.Walk(m.Bytes, m.Off, func(f pbwire.Field) error {
		switch {
		case f.Num == varName && f.Type == 2:
			v.name = f.String()
		case f.Num == varType && f.Type == 2:
			return parseVarType(f, v)
		case f.Num == varPersistable && f.Type == 0:
			v.persistable = f.Bool()
		}
		return nil
	})
	return v, err
}

// parseVarType reads VarType: its kind and the tensor description of
// LoD tensors, tensor arrays and selected rows.
func parseVarType(m pbwire.Field, v *varDesc) error {
	return pbwire.Walk(m.Bytes, m.Off, func(f pbwire.Field) error {
		switch {
		case f.Num == vtType && f.Type == 0:
			v.kind = f.Int()
		case f.Num == vtSelectedRow && f.Type == 2:
			return parseTensorDesc(f, v)
		case (f.Num == vtLoDTensor || f.Num == vtTensorArray) && f.Type == 2:
			return pbwire.Walk(f.Bytes, f.Off, func(g pbwire.Field) error {
				switch {
				case g.Num == lodTensorDesc && g.Type == 2:
					return parseTensorDesc(g, v)
				case g.Num == lodLevel && g.Type == 0:
					v.lodLevel = g.Int()
				}
				return nil
			})
		}
		return nil
	})
}

func parseTensorDesc(m pbwire.Field, v *varDesc) error {
	v.hasTensor = true
	v.dims = []int64{}
	return pbwire.Walk(m.Bytes, m.Off, func(f pbwire.Field) error {
		switch {
		case f.Num == tdDataType && f.Type == 0:
			v.dtype = f.Int()
		case f.Num == tdDims:
			var err error
			v.dims, _, err = f.Ints(v.dims, maxList)
			return err
		}
		return nil
	})
}

func parseOp(m pbwire.Field) (*opDesc, error) {
	op := &opDesc{}
	err := pbwire.Walk(m.Bytes, m.Off, func(f pbwire.Field) error {
		if f.Type != 2 {
			return nil
		}
		switch f.Num {
		case opType:
			op.typ = f.String()
		case opInputs, opOutputs:
			v, err := parseOpVar(f)
			if err != nil {
				return err
			}
			if f.Num == opInputs {
				op.inputs = append(op.inputs, v)
			} else {
				op.outputs = append(op.outputs, v)
			}
		case opAttrs:
			a, blocks, err := parseAttr(f)
			if err != nil {
				return fmt.Errorf("attribute %d: %w", len(op.attrs), err)
			}
			if blocks != nil {
				op.blocks = append(op.blocks, blockRef{attr: len(op.attrs), blocks: blocks})
			}
			op.attrs = append(op.attrs, a)
		}
		return nil
	})
	return op, err
}

func parseOpVar(m pbwire.Field) (opVar, error) {
	var v opVar
	err := pbwire.Walk(m.Bytes, m.Off, func(f pbwire.Field) error {
		switch {
		case f.Num == ovParameter && f.Type == 2:
			v.param = f.String()
		case f.Num == ovArguments && f.Type == 2:
			v.args = append(v.args, f.String())
		}
		return nil
	})
	return v, err
}
