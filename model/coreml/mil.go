package coreml

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// milDTypes maps MIL.proto DataType values to dtypes.
var milDTypes = map[uint64]model.DType{
	1: "bool", 2: "string", 10: "float16", 11: "float32", 12: "float64", 13: "bfloat16",
	21: "int8", 22: "int16", 23: "int32", 24: "int64", 25: "int4",
	31: "uint8", 32: "uint16", 33: "uint32", 34: "uint64", 35: "uint4", 36: "uint2", 37: "uint1",
	38: "uint6", 39: "uint3", 40: "float8_e4m3fn", 41: "float8_e5m2",
}

// mapEntry is one entry of a protobuf map<string, message>.
type mapEntry struct {
	key   string
	value field
}

// entries reads the entries of a map field (key = 1, value = 2).
func (d *decoder) entry(f field) (mapEntry, error) {
	var e mapEntry
	err := d.src.sub(d.ctx, f, func(kv field) error {
		switch kv.Num {
		case 1:
			e.key = d.src.str(kv)
		case 2:
			if kv.Type == protowire.BytesType {
				e.value = kv
			}
		}
		return nil
	})
	return e, err
}

// milFunction is a decoded MIL Function.
type milFunction struct {
	name   string
	opset  string
	inputs []*model.Value
	blocks []mapEntry
}

// program decodes an ML Program: function "main" (its block for the
// function's opset) is the main graph; every other function and block is
// listed in the model's functions. The main graph's initializers are the
// const operations of every function's main block.
func (d *decoder) program(msg field, facts map[string]any) (*model.Graph, error) {
	var fns []milFunction
	err := d.src.sub(d.ctx, msg, func(f field) error {
		if f.Num != 2 {
			return nil
		}
		e, err := d.entry(f)
		if err != nil {
			return err
		}
		fn, err := d.function(e)
		if err != nil {
			return within(err, "function %q", e.key)
		}
		fns = append(fns, fn)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var main *model.Graph
	var consts []*model.Tensor
	var fnames []string
	for _, fn := range fns {
		fnames = append(fnames, fn.name)
		g, err := d.functionGraphs(fn)
		if err != nil {
			return nil, within(err, "function %q", fn.name)
		}
		consts = append(consts, g.Initializers...)
		if fn.name == "main" || (main == nil && fn.name == fnames[0] && !hasMain(fns)) {
			main = g
			facts["opset"] = fn.opset
		} else {
			d.functions = append(d.functions, g)
		}
	}
	if main == nil {
		return nil, fmt.Errorf("the program has no functions")
	}
	sort.Strings(fnames)
	facts["functions"] = fnames
	main.Initializers = consts
	return main, nil
}

func hasMain(fns []milFunction) bool {
	for _, fn := range fns {
		if fn.name == "main" {
			return true
		}
	}
	return false
}

// functionGraphs returns the graph of a function's main block (the one
// for its opset, else the first); other block specializations go to the
// model's functions as "<function>/<opset>".
func (d *decoder) functionGraphs(fn milFunction) (*model.Graph, error) {
	mainIdx := 0
	for i, b := range fn.blocks {
		if b.key == fn.opset {
			mainIdx = i
		}
	}
	var main *model.Graph
	for i, b := range fn.blocks {
		g, err := d.block(b.value, 0)
		if err != nil {
			return nil, within(err, "block %q", b.key)
		}
		if i == mainIdx {
			main = g
			continue
		}
		g.Name, g.Inputs = fn.name+"/"+b.key, fn.inputs
		d.functions = append(d.functions, g)
	}
	if main == nil {
		main = &model.Graph{Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	}
	main.Name, main.Inputs = fn.name, fn.inputs
	return main, nil
}

func (d *decoder) function(e mapEntry) (milFunction, error) {
	fn := milFunction{name: e.key, inputs: []*model.Value{}}
	if e.value.Len == 0 {
		return fn, nil
	}
	err := d.src.sub(d.ctx, e.value, func(f field) error {
		switch f.Num {
		case 1:
			v, err := d.namedValueType(f)
			fn.inputs = append(fn.inputs, v)
			return err
		case 2:
			fn.opset = d.src.str(f)
		case 3:
			b, err := d.entry(f)
			fn.blocks = append(fn.blocks, b)
			return err
		}
		return nil
	})
	return fn, err
}

// block decodes a Block into a graph; its const operations' tensors are
// the graph's initializers.
func (d *decoder) block(msg field, depth pbwire.Depth) (*model.Graph, error) {
	depth, err := depth.Enter()
	if err != nil {
		return nil, err
	}
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	if msg.Len == 0 {
		return g, nil
	}
	err = d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			v, err := d.namedValueType(f)
			g.Inputs = append(g.Inputs, v)
			return err
		case 2:
			g.Outputs = append(g.Outputs, &model.Value{Name: d.src.str(f)})
		case 3:
			return d.operation(f, g, depth)
		}
		return nil
	})
	return g, err
}

// namedValueType reads a NamedValueType.
func (d *decoder) namedValueType(msg field) (*model.Value, error) {
	if err := d.charge(costValue); err != nil {
		return nil, err
	}
	v := &model.Value{}
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			v.Name = d.src.str(f)
		case 2:
			t, err := d.valueType(f, 0)
			v.Type = t
			return err
		}
		return nil
	})
	return v, err
}

// valueType reads a ValueType: tensors with dtype and shape; lists,
// tuples and dictionaries as opaque types; states as their wrapped type.
func (d *decoder) valueType(msg field, depth pbwire.Depth) (*model.Type, error) {
	depth, err := depth.Enter()
	if err != nil {
		return nil, err
	}
	t := &model.Type{Kind: model.KindTensor}
	err = d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			return d.tensorType(f, t)
		case 2:
			t.Kind, t.DType = model.KindOpaque, "list"
		case 3:
			t.Kind, t.DType = model.KindOpaque, "tuple"
		case 4:
			t.Kind, t.DType = model.KindOpaque, "dictionary"
		case 5:
			return d.src.sub(d.ctx, f, func(w field) error {
				if w.Num != 1 {
					return nil
				}
				inner, err := d.valueType(w, depth)
				if err == nil {
					*t = *inner
					t.Denotation = "state"
				}
				return err
			})
		}
		return nil
	})
	return t, err
}

func (d *decoder) tensorType(msg field, t *model.Type) error {
	shape := model.Shape{}
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			t.DType = milDTypes[f.Varint]
		case 3:
			if len(shape) >= 64 {
				return fmt.Errorf("a tensor type has more than 64 dimensions")
			}
			dm := model.Dim{}
			err := d.src.sub(d.ctx, f, func(c field) error {
				if c.Num == 1 {
					dm = model.IntDim(0) // proto3 leaves a zero size out
					return d.src.sub(d.ctx, c, func(s field) error {
						if s.Num == 1 {
							dm = model.IntDim(int64(s.Varint & (1<<62 - 1)))
						}
						return nil
					})
				}
				return nil
			})
			shape = append(shape, dm)
			return err
		}
		return nil
	})
	t.Shape = shape
	return err
}
