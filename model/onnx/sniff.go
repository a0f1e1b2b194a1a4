package onnx

import "google.golang.org/protobuf/encoding/protowire"

// content is what a file's leading bytes look like.
type content int

const (
	kindNone content = iota
	kindModel
	kindTensor
)

// wireSet is a bit set of protobuf wire types.
type wireSet uint8

func wires(ts ...protowire.Type) wireSet {
	var s wireSet
	for _, t := range ts {
		s |= 1 << uint(t)
	}
	return s
}

var (
	vt = protowire.VarintType
	bt = protowire.BytesType
)

// modelFields and tensorFields give the wire types each known field of
// ModelProto and TensorProto may have.
var modelFields = map[protowire.Number]wireSet{
	1: wires(vt), 2: wires(bt), 3: wires(bt), 4: wires(bt), 5: wires(vt), 6: wires(bt),
	7: wires(bt), 8: wires(bt), 14: wires(bt), 20: wires(bt), 25: wires(bt), 26: wires(bt),
}

// futureModelField reports whether an unknown ModelProto field may be one
// added by a newer ONNX version (they are numbered above the known ones).
func futureModelField(num protowire.Number, typ protowire.Type) bool {
	return num > 26 && num <= 64 && (typ == vt || typ == bt)
}

var tensorFields = map[protowire.Number]wireSet{
	1: wires(vt, bt), 2: wires(vt), 3: wires(bt), 4: wires(protowire.Fixed32Type, bt),
	5: wires(vt, bt), 6: wires(bt), 7: wires(vt, bt), 8: wires(bt), 9: wires(bt),
	10: wires(protowire.Fixed64Type, bt), 11: wires(vt, bt), 12: wires(bt), 13: wires(bt), 14: wires(vt),
	16: wires(bt),
}

// sniff decides from the leading bytes whether a file is a ModelProto or
// a standalone TensorProto. Protobuf has no magic number, so this checks
// that every field in head is a known field of the message with the right
// wire type, that lengths stay inside the file, and that a field the
// message cannot do without is present.
func sniff(head []byte, size int64) content {
	if len(head) == 0 {
		return kindNone
	}
	if ok, seen, cut := scan(head, size, modelFields, true); ok && modelLike(seen, cut) {
		return kindModel
	}
	if ok, seen, _ := scan(head, size, tensorFields, false); ok && seen[2] {
		return kindTensor
	}
	return kindNone
}

// modelLike reports whether the fields seen make a real ModelProto: an IR
// version, and a graph, unless the head ends inside the doc string or the
// graph itself. Other protobuf files (a TensorFlow SavedModel starts with a
// small varint field 1 too) have no graph at field 7.
func modelLike(seen [32]bool, cut protowire.Number) bool {
	return seen[1] && (seen[7] || cut == 6 || cut == 7)
}

// scan walks the top-level fields in head. It returns false at the first
// field that does not fit the message, and the number of the bytes field
// that runs past the end of head or of the file (0 when none does).
func scan(head []byte, size int64, fields map[protowire.Number]wireSet, isModel bool) (ok bool, seen [32]bool, cut protowire.Number) {
	off := 0
	for off < len(head) {
		num, typ, n := protowire.ConsumeTag(head[off:])
		if n < 0 {
			// A tag cut by the end of head is fine; a bad one is not.
			return len(head)-off < 10 && int64(len(head)) < size && seen != [32]bool{}, seen, 0
		}
		set, known := fields[num]
		if !known && isModel && futureModelField(num, typ) {
			set, known = wires(typ), true
		}
		if !known || set&(1<<uint(typ)) == 0 {
			return false, seen, 0
		}
		p := head[off+n:]
		switch typ {
		case protowire.VarintType:
			v, vn := protowire.ConsumeVarint(p)
			if vn < 0 {
				return int64(len(head)) < size && len(p) < 10, seen, 0
			}
			if isModel && num == 1 && (v == 0 || v > 100) {
				return false, seen, 0 // no such IR version
			}
			if !isModel && num == 2 && (v == 0 || v > 64) {
				return false, seen, 0 // no such data type
			}
			if !isModel && num == 14 && v > 1 {
				return false, seen, 0
			}
			n += vn
		case protowire.Fixed32Type:
			n += 4
		case protowire.Fixed64Type:
			n += 8
		case protowire.BytesType:
			l, vn := protowire.ConsumeVarint(p)
			if vn < 0 {
				return int64(len(head)) < size && len(p) < 10, seen, 0
			}
			start := int64(off + n + vn)
			if l > uint64(size-start) {
				// A model cut short (a save in progress, a broken
				// download) is still ONNX: claim it so the decoder can
				// say the file is incomplete.
				return isModel && seen[1], seen, num
			}
			if !isModel && num == 3 && !segmentLike(p[vn:], l) {
				return false, seen, 0
			}
			if isModel && num == 7 && !graphLike(p[vn:], l) {
				return false, seen, 0
			}
			n += vn
			if l > uint64(len(head)-off-n) {
				if num < 32 {
					seen[num] = true
				}
				return true, seen, num // the field runs past head: all good so far
			}
			n += int(l)
		}
		if num < 32 {
			seen[num] = true
		}
		off += n
	}
	return true, seen, 0
}

// segmentLike checks that a TensorProto.segment field holds only the two
// varints of a Segment (other protobuf files reuse field 3 for messages).
func segmentLike(b []byte, l uint64) bool {
	if uint64(len(b)) < l {
		return true // cannot tell from head
	}
	b = b[:l]
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeField(b)
		if n < 0 || (num != 1 && num != 2) || typ != protowire.VarintType {
			return false
		}
		b = b[n:]
	}
	return true
}

// graphFields are the field numbers of GraphProto; all are bytes fields.
var graphFields = map[protowire.Number]bool{1: true, 2: true, 5: true, 10: true, 11: true, 12: true, 13: true, 14: true, 15: true, 16: true}

// graphLike checks the start of a ModelProto.graph field (as much of its
// l bytes as b holds): its fields must be GraphProto fields, with lengths
// inside the graph.
func graphLike(b []byte, l uint64) bool {
	if uint64(len(b)) > l {
		b = b[:l]
	}
	left := l
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return len(b) < 5 && uint64(len(b)) < left // cut by the end of head
		}
		if !graphFields[num] || typ != protowire.BytesType {
			return false
		}
		m, vn := protowire.ConsumeVarint(b[n:])
		if vn < 0 {
			return len(b)-n < 10 && uint64(len(b)) < left
		}
		used := uint64(n+vn) + m
		if m > left || used > left {
			return false
		}
		left -= used
		if used >= uint64(len(b)) {
			return true // the rest is beyond head
		}
		b = b[used:]
	}
	return true
}
