package tensorflow

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// graphDef decodes a GraphDef: nodes, function library, versions.
func (w *wire) graphDef(b []byte, base int64, d pbwire.Depth) (*graphDef, error) {
	g := &graphDef{}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 1:
			if err := wantBytes(f, "node"); err != nil {
				return err
			}
			n, err := w.nodeDef(f.Bytes, f.Off, d)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.nodes), err)
			}
			g.nodes = append(g.nodes, n)
		case 2:
			if err := wantBytes(f, "library"); err != nil {
				return err
			}
			return w.library(f.Bytes, f.Off, d, g)
		case 4:
			if err := wantBytes(f, "versions"); err != nil {
				return err
			}
			g.hasVers = true
			return walk(f.Bytes, f.Off, d, func(f pbwire.Field, _ pbwire.Depth) error {
				if f.Num == 1 {
					g.producer = f.Int()
				}
				return nil
			})
		}
		return nil
	})
	return g, err
}

// library decodes a FunctionDefLibrary's functions.
func (w *wire) library(b []byte, base int64, d pbwire.Depth, g *graphDef) error {
	return walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		if f.Num != 1 {
			return nil
		}
		if err := wantBytes(f, "function"); err != nil {
			return err
		}
		fn, err := w.funcDef(f.Bytes, f.Off, d)
		if err != nil {
			return fmt.Errorf("function %d: %w", len(g.funcs), err)
		}
		g.funcs = append(g.funcs, fn)
		return nil
	})
}

// funcDef decodes a FunctionDef: signature, body and return map.
func (w *wire) funcDef(b []byte, base int64, d pbwire.Depth) (*funcDef, error) {
	fn := &funcDef{ret: map[string]string{}}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		if f.Num != 1 && f.Num != 3 && f.Num != 4 {
			return nil
		}
		if err := wantBytes(f, "function field"); err != nil {
			return err
		}
		switch f.Num {
		case 1:
			return w.opDef(f.Bytes, f.Off, d, fn)
		case 3:
			n, err := w.nodeDef(f.Bytes, f.Off, d)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(fn.nodes), err)
			}
			fn.nodes = append(fn.nodes, n)
		case 4:
			k, v, err := w.stringEntry(f.Bytes, f.Off, d)
			fn.ret[k] = v
			return err
		}
		return nil
	})
	return fn, err
}

// opDef decodes an OpDef's name and argument lists.
func (w *wire) opDef(b []byte, base int64, d pbwire.Depth, fn *funcDef) error {
	return walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 1:
			fn.name = f.String()
		case 2, 3:
			if err := wantBytes(f, "arg"); err != nil {
				return err
			}
			if err := w.spend(costAttr); err != nil {
				return err
			}
			var a argDef
			err := walk(f.Bytes, f.Off, d, func(f pbwire.Field, _ pbwire.Depth) error {
				switch f.Num {
				case 1:
					a.name = f.String()
				case 3:
					a.dtype = f.Int()
				}
				return nil
			})
			if f.Num == 2 {
				fn.inputs = append(fn.inputs, a)
			} else {
				fn.outputs = append(fn.outputs, a)
			}
			return err
		}
		return nil
	})
}

// stringEntry decodes a map<string, string> entry.
func (w *wire) stringEntry(b []byte, base int64, d pbwire.Depth) (k, v string, err error) {
	if err := w.spend(int64(len(b)) + 32); err != nil {
		return "", "", err
	}
	err = walk(b, base, d, func(f pbwire.Field, _ pbwire.Depth) error {
		switch f.Num {
		case 1:
			k = f.String()
		case 2:
			v = f.String()
		}
		return nil
	})
	return k, v, err
}

// nodeDef decodes a NodeDef.
func (w *wire) nodeDef(b []byte, base int64, d pbwire.Depth) (*nodeDef, error) {
	if err := w.spend(costNode); err != nil {
		return nil, err
	}
	n := &nodeDef{}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		if f.Num > 5 {
			return nil
		}
		if err := wantBytes(f, "node field"); err != nil {
			return err
		}
		switch f.Num {
		case 1:
			n.name = f.String()
		case 2:
			n.op = f.String()
		case 3:
			if err := w.spend(int64(len(f.Bytes)) + 16); err != nil {
				return err
			}
			n.inputs = append(n.inputs, f.String())
		case 4:
			n.device = f.String()
		case 5:
			a, err := w.attrEntry(f.Bytes, f.Off, d)
			if err != nil {
				return fmt.Errorf("attr: %w", err)
			}
			n.attrs = append(n.attrs, a)
		}
		return nil
	})
	return n, err
}

// attrEntry decodes one map<string, AttrValue> entry.
func (w *wire) attrEntry(b []byte, base int64, d pbwire.Depth) (*attr, error) {
	if err := w.spend(costAttr); err != nil {
		return nil, err
	}
	a := &attr{}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 1:
			a.name = f.String()
		case 2:
			if err := wantBytes(f, "attr value"); err != nil {
				return err
			}
			v, err := w.attrValue(f.Bytes, f.Off, d)
			a.val = v
			return err
		}
		return nil
	})
	return a, err
}

// attrValue decodes an AttrValue (the last member set wins, as in a oneof).
func (w *wire) attrValue(b []byte, base int64, d pbwire.Depth) (attrValue, error) {
	var v attrValue
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		var err error
		switch f.Num {
		case 2:
			v.kind, v.s = attrS, f.String()
		case 3:
			v.kind, v.i = attrI, f.Int()
		case 4:
			v.kind, v.f = attrF, float64(f.Float32())
		case 5:
			v.kind, v.b = attrB, f.Bool()
		case 6:
			v.kind, v.typ = attrType, f.Int()
		case 7:
			if err = wantBytes(f, "shape"); err == nil {
				v.kind = attrShape
				v.shape, err = w.shape(f.Bytes, f.Off, d)
			}
		case 8:
			if err = wantBytes(f, "tensor"); err == nil {
				v.kind = attrTensor
				v.tensor, err = w.tensor(f.Bytes, f.Off, d)
			}
		case 1:
			if err = wantBytes(f, "list"); err == nil {
				v.kind = attrList
				err = w.list(f.Bytes, f.Off, d, &v)
			}
		case 10:
			if err = wantBytes(f, "func"); err == nil {
				v.kind = attrFunc
				v.s, err = w.funcName(f.Bytes, f.Off, d)
			}
		case 9:
			v.kind, v.s = attrPlaceholder, f.String()
		}
		return err
	})
	return v, err
}

// funcName reads the name of a NameAttrList.
func (w *wire) funcName(b []byte, base int64, d pbwire.Depth) (string, error) {
	var name string
	err := walk(b, base, d, func(f pbwire.Field, _ pbwire.Depth) error {
		if f.Num == 1 {
			name = f.String()
		}
		return nil
	})
	return name, err
}

// list decodes an AttrValue.ListValue, keeping at most maxListItems
// values of each kind.
func (w *wire) list(b []byte, base int64, d pbwire.Depth, v *attrValue) error {
	return walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		if f.Num < 2 || f.Num > 9 {
			return nil
		}
		if f.Num == 2 || f.Num >= 7 {
			if err := wantBytes(f, "list item"); err != nil {
				return err
			}
			v.count++
			if v.count > maxListItems {
				return nil
			}
		}
		return w.listItem(f, d, v)
	})
}

// listItem adds one ListValue field to v.
func (w *wire) listItem(f pbwire.Field, d pbwire.Depth, v *attrValue) error {
	var err error
	var n int
	switch f.Num {
	case 2:
		v.ss = append(v.ss, f.String())
	case 3, 5, 6:
		var is []int64
		is, n, err = f.Ints(nil, maxListItems)
		v.count += n
		switch f.Num {
		case 3:
			v.is = appendMax(v.is, is)
		case 5:
			for _, x := range is {
				if len(v.bs) < maxListItems {
					v.bs = append(v.bs, x != 0)
				}
			}
		default:
			v.types = appendMax(v.types, is)
		}
	case 4:
		var fs []float64
		fs, n, err = f.Floats(nil, maxListItems)
		v.count += n
		v.fs = appendMax(v.fs, fs)
	case 7:
		var s shapeInfo
		s, err = w.shape(f.Bytes, f.Off, d)
		v.shapes = append(v.shapes, s)
	case 8:
		var t *tensorInfo
		t, err = w.tensor(f.Bytes, f.Off, d)
		v.tensors = append(v.tensors, t)
	case 9:
		var name string
		name, err = w.funcName(f.Bytes, f.Off, d)
		v.funcs = append(v.funcs, name)
	}
	return err
}

func appendMax[T any](dst, src []T) []T {
	for _, x := range src {
		if len(dst) >= maxListItems {
			break
		}
		dst = append(dst, x)
	}
	return dst
}

// tensor decodes a TensorProto's dtype and shape and locates its data:
// tensor_content as raw bytes, packed repeated values by their encoding.
func (w *wire) tensor(b []byte, base int64, d pbwire.Depth) (*tensorInfo, error) {
	if err := w.spend(costAttr); err != nil {
		return nil, err
	}
	t := &tensorInfo{}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		var err error
		switch f.Num {
		case 1:
			t.dtype = f.Int()
		case 2:
			if err = wantBytes(f, "tensor shape"); err == nil {
				t.shape, err = w.shape(f.Bytes, f.Off, d)
			}
		default:
			if enc, ok := valueEncodings[f.Num]; ok && f.Type == protowire.BytesType {
				t.loc = &model.Location{File: w.path, Offset: f.Off, Length: int64(len(f.Bytes)), Encoding: enc}
			}
		}
		return err
	})
	return t, err
}

// valueEncodings maps TensorProto value fields to how their bytes read.
var valueEncodings = map[protowire.Number]model.Encoding{
	4:  model.EncRaw,           // tensor_content
	5:  model.EncPackedFloat32, // float_val
	6:  model.EncPackedFloat64, // double_val
	7:  model.EncVarint,        // int_val
	8:  model.EncOpaque,        // string_val
	10: model.EncVarint,        // int64_val
	11: model.EncVarint,        // bool_val
	13: model.EncOpaque,        // half_val (bit patterns in varints)
	16: model.EncVarint,        // uint32_val
	17: model.EncVarint,        // uint64_val
}
