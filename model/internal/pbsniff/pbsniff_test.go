package pbsniff

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

var (
	inner = Schema{1: {Type: protowire.BytesType, Text: true, Once: true}, 2: {Type: protowire.VarintType}}
	outer = Schema{1: {Type: protowire.BytesType, Msg: &inner}, 3: {Any: true}}
)

func msg(fields ...[]byte) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

func str(num protowire.Number, s []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, s)
}

func TestCheck(t *testing.T) {
	good := str(1, msg(str(1, []byte("conv")), protowire.AppendVarint([]byte{0x10}, 3)))
	cases := []struct {
		name      string
		b         []byte
		truncated bool
		wantN     int
		wantOK    bool
	}{
		{"good", good, false, 3, true},
		{"good cut", good[:len(good)-2], true, 2, true},
		{"cut not allowed", good[:len(good)-2], false, 0, false},
		{"unknown field", str(9, nil), false, 0, false},
		{"wrong wire type", protowire.AppendVarint([]byte{0x08}, 1), false, 0, false},
		{"not printable", str(1, str(1, []byte{0x01, 0x02})), false, 0, false},
		{"repeated once", str(1, msg(str(1, []byte("a")), str(1, []byte("b")))), false, 0, false},
		{"any", msg(good, protowire.AppendVarint([]byte{0x18}, 7)), false, 4, true},
	}
	for _, c := range cases {
		n, ok := Check(c.b, &outer, c.truncated)
		if ok != c.wantOK || (ok && n != c.wantN) {
			t.Errorf("%s: Check = %d, %v; want %d, %v", c.name, n, ok, c.wantN, c.wantOK)
		}
	}
}

// FuzzCheck checks that no input panics the sniffer.
func FuzzCheck(f *testing.F) {
	f.Add([]byte{0x0a, 0x04, 0x0a, 0x02, 'h', 'i'}, true)
	f.Fuzz(func(t *testing.T, b []byte, cut bool) {
		Check(b, &outer, cut)
	})
}
