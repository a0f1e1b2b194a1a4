package prototext

import (
	"errors"
	"math"
	"strings"
	"testing"
)

const sample = `# a comment
name: "net"  # trailing comment
layer {
  name: 'conv' type: "Con" "volution"
  bottom: "data"
  param < lr_mult: 1.5f >
  shape { dim: [1, 3, -224, 0x10] }
}
layer: { name: "relu"; }
v: -inf v: nan v: 1e-5 v: -.5 v: 7E+2
mode: TRAIN
flag: true
esc: "a\n\t\x41\101\u00e9\"\\"
[ext.pkg.field]: 3
any { [type.googleapis.com/foo.Bar] { x: 1 } }
list_msgs: [{a: 1}, {a: 2}]
empty: []
`

func TestParseSample(t *testing.T) {
	m, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Str("name"); got != "net" {
		t.Errorf("name %q", got)
	}
	layers := m.All("layer")
	if len(layers) != 2 || layers[1].Msg.Str("name") != "relu" {
		t.Fatalf("layers %+v", layers)
	}
	l0 := layers[0].Msg
	if l0.Str("type") != "Convolution" {
		t.Errorf("concatenated string %q", l0.Str("type"))
	}
	if f, _ := l0.Sub("param").Get("lr_mult").Float(); f != 1.5 {
		t.Errorf("lr_mult %v", f)
	}
	var dims []int64
	for _, d := range l0.Sub("shape").All("dim") {
		v, err := d.Int()
		if err != nil {
			t.Fatal(err)
		}
		dims = append(dims, v)
	}
	if len(dims) != 4 || dims[2] != -224 || dims[3] != 16 {
		t.Errorf("dims %v", dims)
	}
	checkFloats(t, m.All("v"))
	if m.Get("mode").Kind != Ident || m.Str("mode") != "TRAIN" {
		t.Errorf("enum %+v", m.Get("mode"))
	}
	if b, _ := m.Get("flag").Bool(); !b {
		t.Error("flag")
	}
	if got := m.Str("esc"); got != "a\n\tAAé\"\\" {
		t.Errorf("escapes %q", got)
	}
	if v, _ := m.Int("[ext.pkg.field]"); v != 3 {
		t.Errorf("extension %v", v)
	}
	if m.Sub("any").Sub("[type.googleapis.com/foo.Bar]") == nil {
		t.Error("any")
	}
	if lm := m.All("list_msgs"); len(lm) != 2 || lm[1].Msg.Str("a") != "2" {
		t.Errorf("list of messages %+v", lm)
	}
	if len(m.All("empty")) != 0 {
		t.Error("empty list")
	}
}

func checkFloats(t *testing.T, vs []*Field) {
	t.Helper()
	want := []float64{math.Inf(-1), math.NaN(), 1e-5, -0.5, 700}
	if len(vs) != len(want) {
		t.Fatalf("%d floats", len(vs))
	}
	for i, f := range vs {
		v, err := f.Float()
		if err != nil {
			t.Fatal(err)
		}
		if v != want[i] && !(math.IsNaN(v) && math.IsNaN(want[i])) {
			t.Errorf("float %d = %v, want %v", i, v, want[i])
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	bad := map[string]string{
		"unclosed":      "a { b: 1",
		"stray close":   "a: 1 }",
		"no colon":      "a 1",
		"bad string":    "a: \"abc",
		"newline str":   "a: \"ab\nc\"",
		"bad escape":    `a: "\q"`,
		"bad hex":       `a: "\xZZ"`,
		"bad unicode":   `a: "\u12"`,
		"bad char":      "a: 1 @",
		"list no comma": "a: [1 2]",
		"dangling -":    "a: -",
		"no value":      "a: }",
		"bad ext":       "[a b]: 1",
	}
	for name, src := range bad {
		_, err := Parse([]byte(src))
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	src := strings.Repeat("a {", MaxDepth+5) + strings.Repeat("}", MaxDepth+5)
	if _, err := Parse([]byte(src)); !errors.Is(err, ErrSyntax) {
		t.Fatalf("deep nesting: %v", err)
	}
	ok := strings.Repeat("a {", 50) + strings.Repeat("}", 50)
	if _, err := Parse([]byte(ok)); err != nil {
		t.Fatalf("50 levels: %v", err)
	}
}

func TestErrorPosition(t *testing.T) {
	_, err := Parse([]byte("a: 1\nb: {\n  c: @\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 3:6") {
		t.Fatalf("error %v, want line 3:6", err)
	}
}

// FuzzParse checks that no input panics or hangs the parser. Run:
// go test -fuzz FuzzParse ./model/internal/prototext
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("a: [1,2,{b:3}] c <d: 'x'>"))
	f.Add([]byte(strings.Repeat("a{", 120)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if names, read, _ := Scan(data, 64); len(names) > 64 || read > len(data) {
			t.Fatalf("Scan: %d names, read %d of %d bytes", len(names), read, len(data))
		}
		m, err := Parse(data)
		if err != nil {
			return
		}
		for _, fl := range m.Fields {
			_, _ = fl.Int()
			_, _ = fl.Float()
			_, _ = fl.Bool()
			if len(fl.Text) > len(data) {
				t.Fatalf("field text longer than the input")
			}
		}
	})
}

func TestScan(t *testing.T) {
	names, _, err := Scan([]byte("name: \"x\" mode: TRAIN layer { a: b } input: [c, d] layer {"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "name,mode,layer,input,layer" {
		t.Errorf("names %v", names)
	}
	if _, _, err := Scan([]byte("a: 1 }"), 10); err == nil {
		t.Error("unbalanced close accepted")
	}
	if names, _, err := Scan([]byte{0x0a, 0x05, 'h', 'e'}, 10); err != nil || len(names) != 1 || names[0] != "he" {
		t.Logf("binary head: %v %v", names, err)
	}
}
