package pytorch

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pickle"
)

// storageRef is a tensor storage named by a persistent ID.
type storageRef struct {
	key      string
	class    string // "torch.FloatStorage"
	dtype    model.DType
	elemSize int64
	numel    int64 // elements, as the persistent ID declares
	device   string
	// viewOffset is the element offset of a legacy storage view.
	viewOffset int64
}

// tensorInfo is a tensor as a pickle would rebuild it, without its bytes.
type tensorInfo struct {
	storage      *storageRef // nil for meta tensors
	dtype        model.DType
	shape        []int64
	stride       []int64
	offset       int64
	param        bool
	requiresGrad bool
	quant        *model.Quantization
}

// storageDTypes maps storage class names to element types and sizes.
var storageDTypes = map[string]struct {
	dtype model.DType
	size  int64
}{
	"FloatStorage":         {"float32", 4},
	"DoubleStorage":        {"float64", 8},
	"HalfStorage":          {"float16", 2},
	"BFloat16Storage":      {"bfloat16", 2},
	"LongStorage":          {"int64", 8},
	"IntStorage":           {"int32", 4},
	"ShortStorage":         {"int16", 2},
	"CharStorage":          {"int8", 1},
	"ByteStorage":          {"uint8", 1},
	"BoolStorage":          {"bool", 1},
	"ComplexFloatStorage":  {"complex64", 8},
	"ComplexDoubleStorage": {"complex128", 16},
	"QInt8Storage":         {"qint8", 1},
	"QUInt8Storage":        {"quint8", 1},
	"QInt32Storage":        {"qint32", 4},
	"QUInt4x2Storage":      {"quint4x2", 1},
	"QUInt2x4Storage":      {"quint2x4", 1},
	"UntypedStorage":       {"uint8", 1},
	"Float8_e4m3fnStorage": {"float8_e4m3fn", 1},
	"Float8_e5m2Storage":   {"float8_e5m2", 1},
	"UInt16Storage":        {"uint16", 2},
	"UInt32Storage":        {"uint32", 4},
	"UInt64Storage":        {"uint64", 8},
}

// torchDTypes maps torch dtype globals ("torch.float16") to dtypes.
var torchDTypes = map[string]model.DType{
	"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
	"float16": "float16", "half": "float16", "bfloat16": "bfloat16",
	"int64": "int64", "long": "int64", "int32": "int32", "int": "int32", "int16": "int16", "short": "int16",
	"int8": "int8", "uint8": "uint8", "bool": "bool", "complex64": "complex64", "complex128": "complex128",
	"qint8": "qint8", "quint8": "quint8", "qint32": "qint32",
}

// parseStorage decodes a storage persistent ID:
// ('storage', storage_type, key, location, numel[, view_metadata]).
func parseStorage(p *pickle.PersID) (*storageRef, error) {
	t, ok := p.ID.(pickle.Tuple)
	if !ok || len(t) < 5 || t[0] != "storage" {
		return nil, fmt.Errorf("unknown persistent reference %s", describe(p.ID))
	}
	s := &storageRef{}
	switch c := t[1].(type) {
	case *pickle.Global:
		s.class = c.String()
		name := c.Name
		if d, ok := storageDTypes[name]; ok {
			s.dtype, s.elemSize = d.dtype, d.size
		} else if dt, ok := torchDTypes[name]; ok && c.Module == "torch" {
			s.dtype = dt
			if n, ok := model.DTypeSize(dt); ok {
				s.elemSize = int64(n)
			}
		}
	default:
		return nil, fmt.Errorf("storage type %s is not a class reference", describe(t[1]))
	}
	if s.dtype == "" {
		s.dtype, s.elemSize = model.DType(strings.ToLower(strings.TrimSuffix(s.class, "Storage"))), 1
	}
	s.key = pickle.KeyString(t[2])
	if !plainKey(s.key) {
		return nil, fmt.Errorf("storage key %q is not a plain name", s.key)
	}
	s.device, _ = t[3].(string)
	n, ok := toInt(t[4])
	if !ok || n < 0 {
		return nil, fmt.Errorf("storage %s has an invalid size", s.key)
	}
	s.numel = n
	if len(t) > 5 {
		if v, ok := t[5].(pickle.Tuple); ok && len(v) >= 2 {
			if off, ok := toInt(v[1]); ok && off >= 0 {
				s.viewOffset = off
			}
		}
	}
	return s, nil
}

// isRebuild reports whether an object's callable rebuilds a tensor.
func isRebuild(class string) bool {
	switch class {
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v3",
		"torch._utils._rebuild_qtensor", "torch._utils._rebuild_parameter",
		"torch._utils._rebuild_parameter_with_state", "torch._tensor._rebuild_from_type_v2",
		"torch._tensor._rebuild_from_type", "torch._utils._rebuild_meta_tensor_no_storage":
		return true
	}
	return false
}

// asTensor interprets a rebuild call as a tensor. depth bounds nesting of
// rebuild calls (a parameter around a tensor around ...).
func asTensor(v pickle.Value, depth int) (*tensorInfo, error) {
	o, ok := v.(*pickle.Object)
	if !ok || depth > 8 {
		return nil, fmt.Errorf("not a tensor")
	}
	args := o.Args
	switch c := o.Class(); c {
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		if len(args) < 1 {
			return nil, fmt.Errorf("%s without arguments", c)
		}
		t, err := asTensor(args[0], depth+1)
		if err != nil {
			return nil, err
		}
		t.param = true
		if len(args) > 1 {
			t.requiresGrad, _ = args[1].(bool)
		}
		return t, nil
	case "torch._tensor._rebuild_from_type_v2", "torch._tensor._rebuild_from_type":
		if len(args) < 3 {
			return nil, fmt.Errorf("%s with too few arguments", c)
		}
		inner, _ := args[2].(pickle.Tuple)
		return asTensor(&pickle.Object{Callable: args[0], Op: "REDUCE", Args: inner}, depth+1)
	case "torch._utils._rebuild_meta_tensor_no_storage":
		if len(args) < 3 {
			return nil, fmt.Errorf("%s with too few arguments", c)
		}
		t := &tensorInfo{}
		if g, ok := args[0].(*pickle.Global); ok {
			t.dtype = torchDTypes[g.Name]
		}
		var err error
		if t.shape, err = intTuple(args[1]); err != nil {
			return nil, fmt.Errorf("tensor size: %w", err)
		}
		t.stride, _ = intTuple(args[2])
		return t, nil
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_qtensor":
		if len(args) < 4 {
			return nil, fmt.Errorf("%s with too few arguments", c)
		}
		pid, ok := args[0].(*pickle.PersID)
		if !ok {
			return nil, fmt.Errorf("tensor storage is %s, not a storage reference", describe(args[0]))
		}
		s, err := parseStorage(pid)
		if err != nil {
			return nil, err
		}
		t := &tensorInfo{storage: s, dtype: s.dtype}
		off, ok := toInt(args[1])
		if !ok || off < 0 {
			return nil, fmt.Errorf("tensor has an invalid storage offset")
		}
		t.offset = off + s.viewOffset
		if t.shape, err = intTuple(args[2]); err != nil {
			return nil, fmt.Errorf("tensor size: %w", err)
		}
		if t.stride, err = intTuple(args[3]); err != nil {
			return nil, fmt.Errorf("tensor stride: %w", err)
		}
		if len(t.stride) != len(t.shape) {
			return nil, fmt.Errorf("tensor has %d sizes but %d strides", len(t.shape), len(t.stride))
		}
		rest := args[4:]
		if c == "torch._utils._rebuild_qtensor" && len(rest) > 0 {
			t.quant = quantParams(rest[0])
			rest = rest[1:]
		}
		if len(rest) > 0 {
			t.requiresGrad, _ = rest[0].(bool)
		}
		if c == "torch._utils._rebuild_tensor_v3" && len(rest) > 2 {
			if g, ok := rest[2].(*pickle.Global); ok {
				if dt, ok := torchDTypes[g.Name]; ok {
					t.dtype = dt
				}
			}
		}
		return t, nil
	}
	return nil, fmt.Errorf("not a tensor")
}

// quantParams decodes _rebuild_qtensor's quantizer parameters:
// (torch.per_tensor_affine, scale, zero_point) or
// (torch.per_channel_affine, scales, zero_points, axis).
func quantParams(v pickle.Value) *model.Quantization {
	t, ok := v.(pickle.Tuple)
	if !ok || len(t) == 0 {
		return &model.Quantization{Scheme: "quantized"}
	}
	q := &model.Quantization{}
	if g, ok := t[0].(*pickle.Global); ok {
		q.Scheme = g.Name
	}
	switch q.Scheme {
	case "per_tensor_affine":
		if len(t) >= 3 {
			if f, ok := toFloat(t[1]); ok {
				q.Scale = []float64{f}
			}
			if z, ok := toInt(t[2]); ok {
				q.ZeroPoint = []int64{z}
			}
		}
	case "per_channel_affine", "per_channel_affine_float_qparams":
		if len(t) >= 4 {
			q.Axis, _ = toInt(t[3])
		}
	}
	return q
}

func toInt(v pickle.Value) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case *big.Int:
		if v.IsInt64() {
			return v.Int64(), true
		}
	}
	return 0, false
}

func toFloat(v pickle.Value) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// intTuple reads a tuple (or torch.Size, or list) of non-negative ints.
func intTuple(v pickle.Value) ([]int64, error) {
	var items []pickle.Value
	switch v := v.(type) {
	case pickle.Tuple:
		items = v
	case *pickle.List:
		items = v.Items
	case *pickle.Object:
		// torch.Size((2, 3)) pickles as a REDUCE of torch.Size.
		if v.Class() == "torch.Size" && len(v.Args) == 1 {
			return intTuple(v.Args[0])
		}
		return nil, fmt.Errorf("%s is not a list of sizes", describe(v))
	default:
		return nil, fmt.Errorf("%s is not a list of sizes", describe(v))
	}
	if len(items) > 64 {
		return nil, fmt.Errorf("%d dimensions is more than I accept", len(items))
	}
	out := make([]int64, len(items))
	for i, it := range items {
		n, ok := toInt(it)
		if !ok || n < 0 {
			return nil, fmt.Errorf("dimension %d is %s", i, describe(it))
		}
		out[i] = n
	}
	return out, nil
}

// describe renders a value briefly for messages and attributes.
func describe(v pickle.Value) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case string:
		if len(v) > 80 {
			v = v[:80] + "…"
		}
		return strconv.Quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case *big.Int:
		return v.String()
	case float64:
		return pyFloat(v)
	case bool:
		if v {
			return "True"
		}
		return "False"
	case *pickle.Global:
		return v.String()
	case *pickle.Object:
		return v.Class() + "(…)"
	}
	return pickle.TypeName(v)
}

// contiguous reports whether stride is the row-major stride of shape.
func contiguous(shape, stride []int64) bool {
	want := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && stride[i] != want {
			return false
		}
		if shape[i] != 0 && want > (1<<62)/shape[i] {
			return false
		}
		want *= shape[i]
	}
	return true
}

// extent is the number of storage elements a view spans past its offset
// (1 + sum((size-1)*stride)), and false on overflow or an empty view.
func extent(shape, stride []int64) (int64, bool) {
	n := int64(1)
	for i := range shape {
		if shape[i] == 0 {
			return 0, true
		}
		if stride[i] < 0 {
			return 0, false
		}
		d := shape[i] - 1
		if stride[i] != 0 && d > (1<<62)/stride[i] {
			return 0, false
		}
		n += d * stride[i]
		if n > 1<<62 {
			return 0, false
		}
	}
	return n, true
}

func intsText(v []int64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatInt(x, 10)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// pyFloat formats a float as Python's repr does ("0.001", "1e-08",
// "100.0", "1e+16").
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.LastIndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// pyString quotes a string as Python's repr does, in single quotes.
func pyString(s string) string {
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
	return "'" + strings.ReplaceAll(q, "'", `\'`) + "'"
}

// plainKey accepts storage keys torch writes (digits, letters, "_"):
// storages are looked up by exact name in the archive, never as paths.
func plainKey(k string) bool {
	if k == "" || len(k) > 256 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}
