package mlir

import (
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// parseType converts a type's text: ranked tensors (and memrefs,
// vectors) give dtype and shape ('?' unknown), `tensor<*x..>` no shape,
// scalars shape []; anything else is opaque, spelled as written.
func parseType(s string) *model.Type {
	s = strings.TrimSpace(s)
	for _, pre := range []string{"tensor<", "memref<", "vector<"} {
		if strings.HasPrefix(s, pre) && strings.HasSuffix(s, ">") {
			return shapedType(s[len(pre) : len(s)-1])
		}
	}
	if d := elemDType(s); d != "" {
		return &model.Type{Kind: model.KindTensor, DType: d, Shape: model.Shape{}}
	}
	return &model.Type{Kind: model.KindOpaque, DType: model.DType(s)}
}

// shapedType parses the inside of tensor<...>: dims 'x'-separated, then
// the element type, then an optional encoding after a top-level comma.
func shapedType(in string) *model.Type {
	in = topLevelPrefix(in)
	t := &model.Type{Kind: model.KindTensor}
	if strings.HasPrefix(in, "*x") {
		t.DType = elemOrRaw(in[2:])
		return t
	}
	shape := model.Shape{}
	for {
		i := strings.IndexByte(in, 'x')
		if i <= 0 {
			break
		}
		dim := strings.TrimSpace(in[:i])
		if dim == "?" {
			shape = append(shape, model.Dim{})
		} else if n, err := strconv.ParseInt(dim, 10, 64); err == nil && n >= 0 {
			shape = append(shape, model.IntDim(n))
		} else {
			break
		}
		in = in[i+1:]
	}
	t.DType, t.Shape = elemOrRaw(in), shape
	return t
}

// topLevelPrefix cuts s at its first comma outside <> and ().
func topLevelPrefix(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '(', '[', '{':
			depth++
		case '>', ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				return strings.TrimSpace(s[:i])
			}
		}
	}
	return strings.TrimSpace(s)
}

func elemOrRaw(s string) model.DType {
	s = strings.TrimSpace(s)
	if d := elemDType(s); d != "" {
		return d
	}
	return model.DType(s)
}

// floatNames maps MLIR float types to numpy-style names.
var floatNames = map[string]model.DType{
	"f16": "float16", "f32": "float32", "f64": "float64", "bf16": "bfloat16", "f80": "float80", "f128": "float128",
	"tf32": "tf32", "index": "index", "i1": "bool", "none": "none",
	"complex<f32>": "complex64", "complex<f64>": "complex128", "complex<f16>": "complex32",
}

// elemDType names a scalar type, or "" when s is not one.
func elemDType(s string) model.DType {
	if d, ok := floatNames[s]; ok {
		return d
	}
	if strings.HasPrefix(s, "f8E") || strings.HasPrefix(s, "f4E") || strings.HasPrefix(s, "f6E") {
		// f8E4M3FN -> float8_e4m3fn
		return model.DType("float" + s[1:2] + "_" + strings.ToLower(s[2:]))
	}
	for pre, name := range map[string]string{"ui": "uint", "si": "int", "i": "int"} {
		if rest, ok := strings.CutPrefix(s, pre); ok {
			if n, err := strconv.Atoi(rest); err == nil && n > 0 && n <= 1<<16 {
				return model.DType(name + rest)
			}
		}
	}
	return ""
}
