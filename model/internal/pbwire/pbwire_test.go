package pbwire

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestWalk(t *testing.T) {
	var inner []byte
	inner = protowire.AppendTag(inner, 1, protowire.VarintType)
	inner = protowire.AppendVarint(inner, 7)
	var msg []byte
	msg = protowire.AppendTag(msg, 1, protowire.BytesType)
	msg = protowire.AppendString(msg, "conv1")
	msg = protowire.AppendTag(msg, 2, protowire.BytesType)
	msg = protowire.AppendBytes(msg, inner)
	msg = protowire.AppendTag(msg, 3, protowire.BytesType)
	msg = protowire.AppendBytes(msg, []byte{1, 2, 0x80, 0x01})
	msg = protowire.AppendTag(msg, 4, protowire.Fixed32Type)
	msg = protowire.AppendFixed32(msg, 0x3f800000)
	var got []Field
	if err := Walk(msg, 100, func(f Field) error { got = append(got, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0].String() != "conv1" || got[3].Float32() != 1 {
		t.Fatalf("fields %+v", got)
	}
	if got[0].Off != 102 {
		t.Errorf("offset of the name %d, want 102", got[0].Off)
	}
	ints, n, err := got[2].Ints(nil, 2)
	if err != nil || n != 3 || len(ints) != 2 || ints[1] != 2 {
		t.Errorf("packed ints %v %d %v", ints, n, err)
	}
	var sub []Field
	if err := Walk(got[1].Bytes, got[1].Off, func(f Field) error { sub = append(sub, f); return nil }); err != nil || sub[0].Int() != 7 {
		t.Errorf("sub-message %+v %v", sub, err)
	}
}

func TestWalkRefusesTruncated(t *testing.T) {
	var msg []byte
	msg = protowire.AppendTag(msg, 1, protowire.BytesType)
	msg = protowire.AppendVarint(msg, 1000)
	msg = append(msg, "short"...)
	err := Walk(msg, 0, func(Field) error { return nil })
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err %v, want ErrMalformed", err)
	}
}

func TestDepth(t *testing.T) {
	d := Depth(0)
	var err error
	for i := 0; i <= int(MaxDepth) && err == nil; i++ {
		d, err = d.Enter()
	}
	if err == nil {
		t.Fatal("no error past MaxDepth")
	}
}

func FuzzWalk(f *testing.F) {
	f.Add([]byte{0x0a, 0x02, 'h', 'i', 0x10, 0x05})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Walk(b, 0, func(f Field) error {
			_, _, _ = f.Ints(nil, 16)
			_, _, _ = f.Floats(nil, 16)
			_ = f.String()
			return nil
		})
	})
}
