package prototext

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Get returns the last field named name (protobuf's rule for a singular
// field written twice), or nil.
func (m *Msg) Get(name string) *Field {
	if m == nil {
		return nil
	}
	for i := len(m.Fields) - 1; i >= 0; i-- {
		if m.Fields[i].Name == name {
			return m.Fields[i]
		}
	}
	return nil
}

// All returns every field named name, in order.
func (m *Msg) All(name string) []*Field {
	if m == nil {
		return nil
	}
	var out []*Field
	for _, f := range m.Fields {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// Sub returns the nested message of the last field named name, or nil.
func (m *Msg) Sub(name string) *Msg {
	if f := m.Get(name); f != nil && f.Kind == Message {
		return f.Msg
	}
	return nil
}

// Str returns the text of the last field named name ("" when absent or a
// message): the unescaped bytes of a string, or an identifier or number
// as written.
func (m *Msg) Str(name string) string {
	if f := m.Get(name); f != nil && f.Kind != Message {
		return f.Text
	}
	return ""
}

// Int returns the last field named name as an integer (0 when absent).
func (m *Msg) Int(name string) (int64, error) {
	f := m.Get(name)
	if f == nil {
		return 0, nil
	}
	return f.Int()
}

// Int parses an integer field (decimal, hex 0x.., octal 0..., signed).
func (f *Field) Int() (int64, error) {
	if f.Kind != Number {
		return 0, f.errorf("is not an integer")
	}
	if v, err := strconv.ParseInt(f.Text, 0, 64); err == nil {
		return v, nil
	}
	if v, err := strconv.ParseUint(f.Text, 0, 64); err == nil {
		return int64(v), nil
	}
	return 0, f.errorf("%q is not an integer", f.Text)
}

// Float parses a float field: a number (with an optional f suffix) or
// inf, infinity, nan in any case, possibly negative.
func (f *Field) Float() (float64, error) {
	switch f.Kind {
	case Number:
		t := strings.TrimRight(f.Text, "fF")
		if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "-0x") {
			if v, err := f.Int(); err == nil {
				return float64(v), nil
			}
		}
		v, err := strconv.ParseFloat(t, 64)
		if err != nil && !isRangeErr(err) {
			return 0, f.errorf("%q is not a number", f.Text)
		}
		return v, nil
	case Ident:
		neg := strings.HasPrefix(f.Text, "-")
		switch strings.ToLower(strings.TrimPrefix(f.Text, "-")) {
		case "inf", "infinity":
			if neg {
				return math.Inf(-1), nil
			}
			return math.Inf(1), nil
		case "nan":
			return math.NaN(), nil
		}
	}
	return 0, f.errorf("%q is not a number", f.Text)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// Bool parses a bool field: true/false, t/f, True/False, 1/0.
func (f *Field) Bool() (bool, error) {
	switch f.Text {
	case "true", "True", "t", "1":
		return true, nil
	case "false", "False", "f", "0":
		return false, nil
	}
	return false, f.errorf("%q is not a bool", f.Text)
}

func (f *Field) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: line %d:%d: field %q %s", ErrSyntax, f.Line, f.Col, f.Name, fmt.Sprintf(format, args...))
}
