package numpy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// dtype is a decoded .npy descr.
type dtype struct {
	// name is the IR dtype: numpy's name for numbers ("int32", also for
	// big-endian data), numpy's own spelling for the rest ("<U5", "|S2",
	// "object", "datetime64[ns]", a structured dtype's field list).
	name model.DType
	// itemsize is the byte size of one element; 0 for object arrays, whose
	// elements are pickled and have no fixed size.
	itemsize int64
	// bigEndian is set for multi-byte numbers stored big-endian.
	bigEndian bool
	// numeric is set for fixed-width numbers and bools a preview can read.
	numeric bool
	object  bool
	// descr is the descr as text, as NumPy prints it.
	descr string
}

// numericNames maps a kind and byte size to the numpy name.
var numericNames = map[string]model.DType{
	"b1": "bool",
	"i1": "int8", "i2": "int16", "i4": "int32", "i8": "int64",
	"u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64",
	"f2": "float16", "f4": "float32", "f8": "float64",
	"c8": "complex64", "c16": "complex128",
}

// wideNames are numbers a preview cannot read (extended precision).
var wideNames = map[string]model.DType{
	"f12": "float96", "f16": "float128", "c24": "complex192", "c32": "complex256",
}

// maxFields bounds the fields of a structured dtype, nested ones included.
const maxFields = 10_000

// parseDescr decodes a descr: a type string ("<f4") or a structured
// dtype's list of (name, descr[, shape]) tuples.
func parseDescr(v pyVal) (dtype, error) {
	fields := 0
	return parseDescrValue(v, &fields)
}

func parseDescrValue(v pyVal, fields *int) (dtype, error) {
	switch v.kind {
	case pyStr:
		return parseTypeString(v.str)
	case pyList:
		return parseStructured(v, fields)
	}
	return dtype{}, fmt.Errorf("descr must be a type string or a list of fields")
}

// parseTypeString decodes a type string: byte order, kind, size and, for
// dates, a unit ("<f4", "|b1", ">i8", "<U5", "|S3", "|O", "<M8[ns]").
func parseTypeString(s string) (dtype, error) {
	if len(s) > 64 {
		return dtype{}, fmt.Errorf("dtype %q is not one NumPy writes", preview(s))
	}
	rest := s
	order := byte('|')
	if rest != "" && strings.IndexByte("<>|=!", rest[0]) >= 0 {
		order, rest = rest[0], rest[1:]
	}
	if rest == "" {
		return dtype{}, fmt.Errorf("dtype %q has no kind", s)
	}
	kind, rest := rest[0], rest[1:]
	unit := ""
	if i := strings.IndexByte(rest, '['); i >= 0 && strings.HasSuffix(rest, "]") {
		rest, unit = rest[:i], rest[i:]
	}
	size := int64(0)
	if rest != "" {
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return dtype{}, fmt.Errorf("dtype %q has a bad size", s)
		}
		size = n
	}
	big := order == '>' || order == '!'
	d := dtype{descr: s, itemsize: size}
	key := string(kind) + rest
	switch kind {
	case '?':
		d.name, d.itemsize, d.numeric = "bool", 1, true
	case 'b', 'i', 'u', 'f', 'c':
		if name, ok := numericNames[key]; ok {
			d.name, d.numeric = name, true
			d.bigEndian = big && size > 1
			if kind == 'c' {
				d.bigEndian = big
			}
		} else if name, ok := wideNames[key]; ok {
			d.name = name
		} else {
			return dtype{}, fmt.Errorf("dtype %q is not a size NumPy supports", s)
		}
	case 'U':
		d.name = model.DType(string(orderOrLittle(order)) + "U" + rest)
		if size > (1<<62)/4 {
			return dtype{}, fmt.Errorf("dtype %q is too large", s)
		}
		d.itemsize = 4 * size
	case 'S', 'a':
		d.name = model.DType("|S" + rest)
	case 'V':
		d.name = model.DType("|V" + rest)
	case 'O':
		d.name, d.object, d.itemsize = "object", true, 0
	case 'M', 'm':
		if size != 8 {
			return dtype{}, fmt.Errorf("dtype %q is not a size NumPy supports", s)
		}
		base := "datetime64"
		if kind == 'm' {
			base = "timedelta64"
		}
		d.name = model.DType(base + unit)
	default:
		return dtype{}, fmt.Errorf("dtype %q is not one NumPy writes", preview(s))
	}
	return d, nil
}

func orderOrLittle(o byte) byte {
	if o == '>' || o == '!' {
		return '>'
	}
	return '<'
}

// parseStructured decodes a structured dtype's field list. Its itemsize is
// the sum of its fields' (times their sub-array shapes), padding included.
func parseStructured(v pyVal, fields *int) (dtype, error) {
	var parts []string
	var size int64
	for _, f := range v.items {
		*fields++
		if *fields > maxFields {
			return dtype{}, fmt.Errorf("structured dtype has more than %d fields", maxFields)
		}
		if (f.kind != pyTuple && f.kind != pyList) || len(f.items) < 2 || len(f.items) > 3 {
			return dtype{}, fmt.Errorf("structured dtype field must be (name, type[, shape])")
		}
		name, err := fieldName(f.items[0])
		if err != nil {
			return dtype{}, err
		}
		sub, err := parseDescrValue(f.items[1], fields)
		if err != nil {
			return dtype{}, fmt.Errorf("field %q: %w", name, err)
		}
		count := int64(1)
		shapeText := ""
		if len(f.items) == 3 {
			dims, err := shapeOf(f.items[2])
			if err != nil {
				return dtype{}, fmt.Errorf("field %q: %w", name, err)
			}
			n, ok := model.NumElements(dims)
			if !ok {
				return dtype{}, fmt.Errorf("field %q: shape is too large", name)
			}
			count = n
			shapeText = ", " + pyTupleText(dims)
		}
		if sub.itemsize > 0 && count > (1<<62)/sub.itemsize {
			return dtype{}, fmt.Errorf("field %q is too large", name)
		}
		size += sub.itemsize * count
		if size > 1<<62 {
			return dtype{}, fmt.Errorf("structured dtype is too large")
		}
		parts = append(parts, fmt.Sprintf("(%s, %s%s)", strconv.Quote(name), sub.descrText(), shapeText))
	}
	text := "[" + strings.Join(parts, ", ") + "]"
	text = strings.ReplaceAll(text, `"`, `'`)
	return dtype{name: model.DType(text), itemsize: size, descr: text}, nil
}

// descrText renders a descr as a Python literal fragment.
func (d dtype) descrText() string {
	if strings.HasPrefix(d.descr, "[") {
		return d.descr
	}
	return strconv.Quote(d.descr)
}

// fieldName returns a field's name; (title, name) tuples give the name.
func fieldName(v pyVal) (string, error) {
	switch {
	case v.kind == pyStr:
		return v.str, nil
	case v.kind == pyTuple && len(v.items) == 2 && v.items[1].kind == pyStr:
		return v.items[1].str, nil
	}
	return "", fmt.Errorf("structured dtype field name must be a string")
}

// shapeOf decodes a shape: a tuple (or list) of non-negative integers, or
// a bare integer for a one-dimensional sub-array.
func shapeOf(v pyVal) ([]int64, error) {
	if v.kind == pyInt {
		v = pyVal{kind: pyTuple, items: []pyVal{v}}
	}
	if v.kind != pyTuple && v.kind != pyList {
		return nil, fmt.Errorf("shape must be a tuple of integers")
	}
	if len(v.items) > maxRank {
		return nil, fmt.Errorf("shape has more than %d dimensions", maxRank)
	}
	dims := make([]int64, 0, len(v.items))
	for _, it := range v.items {
		if it.kind != pyInt || it.num < 0 {
			return nil, fmt.Errorf("shape must be a tuple of non-negative integers")
		}
		dims = append(dims, it.num)
	}
	return dims, nil
}

// pyTupleText renders dims as a Python tuple: "(2,)", "(3, 4)".
func pyTupleText(dims []int64) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = strconv.FormatInt(d, 10)
	}
	if len(dims) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
