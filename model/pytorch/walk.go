package pytorch

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pickle"
)

// Bounds of the object-tree walk: a pickle is a graph with shared and
// cyclic references, so every container is visited once and the walk has a
// depth cap and a total budget.
const (
	maxWalkDepth  = 64
	maxWalkVisits = 2_000_000
	maxValues     = 500
)

// namedTensor is a tensor found at a dotted path.
type namedTensor struct {
	name string
	info *tensorInfo
	// kind is "parameter", "buffer", "tensor" or "constant".
	kind string
	// module is the dotted path of the owning module, for whole modules.
	module string
}

// moduleInfo is one nn.Module found in the tree.
type moduleInfo struct {
	path    string
	class   string
	attrs   []model.Attribute
	tensors []string
	leaf    bool
}

// valueInfo is a non-tensor value at a path (epoch, lr, a ScriptObject).
type valueInfo struct {
	path, typ, repr string
}

type walker struct {
	tensors  []namedTensor
	modules  []moduleInfo
	values   []valueInfo
	seen     map[any]bool
	visits   int
	warnings []string
	broken   map[string]bool
}

func newWalker() *walker {
	return &walker{seen: map[any]bool{}, broken: map[string]bool{}}
}

func join(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + "." + seg
}

func (w *walker) warn(format string, args ...any) {
	if len(w.warnings) < 50 {
		w.warnings = append(w.warnings, fmt.Sprintf(format, args...))
	}
}

// enter records a visit and reports whether to continue.
func (w *walker) enter(depth int, ref any) bool {
	w.visits++
	if w.visits == maxWalkVisits {
		w.warn("the pickle holds more than %d values; the rest is not shown", maxWalkVisits)
	}
	if w.visits >= maxWalkVisits {
		return false
	}
	if depth > maxWalkDepth {
		w.warn("values nested deeper than %d levels are not shown", maxWalkDepth)
		return false
	}
	if ref != nil {
		if w.seen[ref] {
			return false
		}
		w.seen[ref] = true
	}
	return true
}

func (w *walker) value(path string, v pickle.Value) {
	if len(w.values) < maxValues {
		w.values = append(w.values, valueInfo{path: path, typ: pickle.TypeName(v), repr: scalarRepr(v)})
	}
}

// walk visits a value of a plain pickle (state dict, checkpoint, module).
func (w *walker) walk(v pickle.Value, path string, depth int) {
	switch x := v.(type) {
	case *pickle.Object:
		class := x.Class()
		if isRebuild(class) {
			// Tensors are leaves: the same one may be named twice.
			if !w.enter(depth, nil) {
				return
			}
			t, err := asTensor(x, 0)
			if err != nil {
				w.warn("%s: %v", orRoot(path), err)
				w.value(path, v)
				return
			}
			w.tensors = append(w.tensors, namedTensor{name: path, info: t, kind: "tensor"})
			return
		}
		if !w.enter(depth, x) {
			return
		}
		if st, ok := moduleState(x); ok {
			w.module(x, st, path, depth)
			return
		}
		if isTransparent(class) && len(x.Args) > 0 {
			w.walk(x.Args[0], path, depth+1)
			return
		}
		w.value(path, v)
		// Tensors held inside other objects (packed quantized
		// parameters, ScriptObjects) are still shown, under the path of
		// the object's state.
		if x.State != nil {
			w.walk(x.State, path, depth+1)
		}
	case *pickle.Dict:
		if !w.enter(depth, x) {
			return
		}
		for i, k := range x.Keys {
			w.walk(x.Values[i], join(path, pickle.KeyString(k)), depth+1)
		}
	case *pickle.List:
		if !w.enter(depth, x) {
			return
		}
		for i, it := range x.Items {
			w.walk(it, join(path, strconv.Itoa(i)), depth+1)
		}
	case pickle.Tuple:
		if !w.enter(depth, nil) {
			return
		}
		if len(x) == 0 || isScalarTuple(x) {
			w.value(path, v)
			return
		}
		for i, it := range x {
			w.walk(it, join(path, strconv.Itoa(i)), depth+1)
		}
	default:
		if !w.enter(depth, nil) {
			return
		}
		w.value(path, v)
	}
}

func orRoot(path string) string {
	if path == "" {
		return "the top-level value"
	}
	return path
}

// isTransparent names TorchScript pickle helpers that wrap a plain value.
func isTransparent(class string) bool {
	switch class {
	case "torch.jit._pickle.restore_type_tag", "torch.jit._pickle.build_tensorlist",
		"torch.jit._pickle.build_intlist", "torch.jit._pickle.build_doublelist",
		"torch.jit._pickle.build_boollist", "torch.jit._pickle.build_tensor_from_id":
		return true
	}
	return false
}

// moduleState returns the __dict__ of a pickled nn.Module.
func moduleState(o *pickle.Object) (*pickle.Dict, bool) {
	st, ok := o.State.(*pickle.Dict)
	if !ok {
		return nil, false
	}
	_, m := st.Get("_modules")
	_, p := st.Get("_parameters")
	_, b := st.Get("_buffers")
	return st, m && (p || b)
}

// module records a whole pickled nn.Module: its parameters, its persistent
// buffers (the state_dict), its scalar settings, then its children.
func (w *walker) module(o *pickle.Object, st *pickle.Dict, path string, depth int) {
	mi := moduleInfo{path: path, class: o.Class()}
	idx := len(w.modules)
	w.modules = append(w.modules, mi)
	nonPersistent := map[string]bool{}
	if s, ok := st.Get("_non_persistent_buffers_set"); ok {
		for _, it := range setItems(s) {
			if name, ok := it.(string); ok {
				nonPersistent[name] = true
			}
		}
	}
	var names []string
	for _, field := range []string{"_parameters", "_buffers"} {
		d, _ := st.Get(field)
		dict, ok := d.(*pickle.Dict)
		if !ok {
			continue
		}
		kind := "parameter"
		if field == "_buffers" {
			kind = "buffer"
		}
		for i, k := range dict.Keys {
			name := pickle.KeyString(k)
			if dict.Values[i] == nil || (kind == "buffer" && nonPersistent[name]) {
				continue
			}
			full := join(path, name)
			t, err := asTensor(dict.Values[i], 0)
			if err != nil {
				w.warn("%s: %v", full, err)
				continue
			}
			w.tensors = append(w.tensors, namedTensor{name: full, info: t, kind: kind, module: path})
			names = append(names, full)
		}
	}
	var attrs []model.Attribute
	for i, k := range st.Keys {
		name, _ := k.(string)
		if name == "" || name[0] == '_' || name == "training" {
			continue
		}
		if a, ok := attribute(name, st.Values[i]); ok {
			attrs = append(attrs, a)
		}
	}
	children, _ := st.Get("_modules")
	cd, _ := children.(*pickle.Dict)
	w.modules[idx].tensors = names
	w.modules[idx].attrs = attrs
	w.modules[idx].leaf = cd == nil || cd.Len() == 0
	if cd == nil {
		return
	}
	for i, k := range cd.Keys {
		child := join(path, pickle.KeyString(k))
		c, ok := cd.Values[i].(*pickle.Object)
		if !ok {
			continue // None: an optional submodule that is absent
		}
		if !w.enter(depth+1, c) {
			continue
		}
		if cst, ok := moduleState(c); ok {
			w.module(c, cst, child, depth+1)
		} else {
			w.modules = append(w.modules, moduleInfo{path: child, class: c.Class(), leaf: true})
		}
	}
}

func setItems(v pickle.Value) []pickle.Value {
	switch s := v.(type) {
	case *pickle.Set:
		return s.Items
	case *pickle.Object:
		// set([...]) pickles as REDUCE(builtins.set, ([...],)).
		if len(s.Args) == 1 {
			if l, ok := s.Args[0].(*pickle.List); ok {
				return l.Items
			}
		}
		return s.Items
	}
	return nil
}

// attribute converts a scalar module setting to a node attribute.
func attribute(name string, v pickle.Value) (model.Attribute, bool) {
	switch x := v.(type) {
	case bool:
		return model.Attribute{Name: name, Type: model.AttrBool, Int: b2i(x)}, true
	case int64:
		return model.Attribute{Name: name, Type: model.AttrInt, Int: x}, true
	case float64:
		return model.Attribute{Name: name, Type: model.AttrFloat, Float: x}, true
	case string:
		return model.Attribute{Name: name, Type: model.AttrString, String: x}, true
	case *big.Int:
		return model.Attribute{Name: name, Type: model.AttrString, String: x.String()}, true
	case nil:
		return model.Attribute{}, false
	case pickle.Tuple:
		if ints, err := intTuple(x); err == nil && len(ints) > 0 {
			return model.Attribute{Name: name, Type: model.AttrInts, Ints: ints}, true
		}
	case *pickle.Global:
		return model.Attribute{Name: name, Type: model.AttrString, String: x.String()}, true
	}
	return model.Attribute{}, false
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func isScalarTuple(t pickle.Tuple) bool {
	for _, v := range t {
		switch v.(type) {
		case int64, float64, bool, string, nil, *big.Int:
		default:
			return false
		}
	}
	return true
}

// scalarRepr renders a scalar value as Python would print it, "" for others.
func scalarRepr(v pickle.Value) string {
	switch x := v.(type) {
	case string:
		if len(x) > 200 {
			x = x[:200] + "…"
		}
		return pyString(x)
	case int64, float64, bool, nil, *big.Int, *pickle.Global:
		return describe(x)
	case pickle.Tuple:
		if isScalarTuple(x) && len(x) <= 16 {
			s := "("
			for i, it := range x {
				if i > 0 {
					s += ", "
				}
				s += describe(it)
			}
			if len(x) == 1 {
				s += ","
			}
			return s + ")"
		}
	}
	return ""
}
