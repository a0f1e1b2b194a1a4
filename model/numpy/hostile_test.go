package numpy

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// npy builds a .npy stream: preamble for version major, header text padded
// to a multiple of 64 with a final newline, then data.
func npy(major byte, header string, data []byte) []byte {
	pre := 10
	if major > 1 {
		pre = 12
	}
	for (pre+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	b := append([]byte(npyMagic), major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	b = append(b, header...)
	return append(b, data...)
}

func hdr(descr, shape string) string {
	return "{'descr': " + descr + ", 'fortran_order': False, 'shape': " + shape + ", }"
}

func decodeBytes(b []byte) (*model.Model, error) {
	return decode(context.Background(), bytes.NewReader(b), int64(len(b)), "/t/x.npy")
}

func TestHostileNPY(t *testing.T) {
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"bad magic", []byte("\x93NUMPX\x01\x00\x10\x00{}"), "neither"},
		{"version 9.9", append([]byte(npyMagic+"\x09\x09"), 0, 0, 0, 0), "version 9.9"},
		{"v2 length 0xFFFFFFFF", append([]byte(npyMagic+"\x02\x00"), 0xff, 0xff, 0xff, 0xff), "exceeds"},
		{"v1 length past EOF", append([]byte(npyMagic+"\x01\x00"), 0xff, 0x0f), "past the end"},
		{"short", []byte(npyMagic + "\x01"), "too short"},
		{"extra key", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", make([]byte, 4)), "unexpected key"},
		{"missing key", npy(1, "{'descr': '<f4', 'shape': (1,)}", make([]byte, 4)), "fortran_order"},
		{"python expression", npy(1, hdr("__import__('os').system('true')", "(1,)"), nil), "not a literal"},
		{"call in shape", npy(1, hdr("'<f4'", "(len('ab'),)"), nil), "not a literal"},
		{"deep tuples", npy(1, hdr("'<f4'", strings.Repeat("(", 10_000)+strings.Repeat(")", 10_000)), nil), "nested more than"},
		{"product overflow", npy(1, hdr("'<f8'", "(4294967296, 4294967296, 4294967296)"), nil), "too many elements"},
		{"bytes overflow", npy(1, hdr("'<f8'", "(2305843009213693952,)"), nil), "too large"},
		{"huge int", npy(1, hdr("'<f4'", "(99999999999999999999999,)"), nil), "out of range"},
		{"negative dim", npy(1, hdr("'<f4'", "(-1,)"), nil), "non-negative"},
		{"truncated data", npy(1, hdr("'<f4'", "(1000, 1000)"), make([]byte, 16)), "truncated"},
		{"unknown dtype", npy(1, hdr("'<q7'", "(1,)"), nil), "not one NumPy writes"},
		{"odd size", npy(1, hdr("'<f3'", "(1,)"), nil), "not a size"},
		{"not a dict", npy(1, "['descr']", nil), "not a dict"},
		{"duplicate key", npy(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}", nil), "twice"},
		{"bad fortran", npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", nil), "True or False"},
		{"v3 not utf-8", npy(3, "{'descr': '\xff', 'fortran_order': False, 'shape': ()}", nil), "UTF-8"},
		{"unterminated", npy(1, "{'descr': '<f4", nil), "unterminated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := decodeBytes(c.file)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(64*len(c.file))+1<<20 {
				t.Fatalf("allocated %d bytes for a %d-byte file", alloc, len(c.file))
			}
		})
	}
}

// TestDTypes covers descrs the corpus lacks.
func TestDTypes(t *testing.T) {
	cases := []struct {
		descr, shape string
		data         int
		dtype        model.DType
		enc          model.Encoding
	}{
		{"'>f8'", "(2,)", 16, "float64", model.EncRawBigEndian},
		{"'!u2'", "(2,)", 4, "uint16", model.EncRawBigEndian},
		{"'|u1'", "(3,)", 3, "uint8", model.EncRaw},
		{"'=i2'", "(3,)", 6, "int16", model.EncRaw},
		{"'>c16'", "()", 16, "complex128", model.EncRawBigEndian},
		{"'<f16'", "(1,)", 16, "float128", model.EncOpaque},
		{"'<M8[ns]'", "(2,)", 16, "datetime64[ns]", model.EncOpaque},
		{"'<m8[s]'", "(1,)", 8, "timedelta64[s]", model.EncOpaque},
		{"'|V16'", "(1,)", 16, "|V16", model.EncOpaque},
		{"'>U2'", "(1,)", 8, ">U2", model.EncOpaque},
		{"'|S0'", "(5,)", 0, "|S0", model.EncOpaque},
		{"'<f4'", "(3L, 2L)", 24, "float32", model.EncRaw},
		{"u'<f4'", "[2]", 8, "float32", model.EncRaw},
		{"[(('Title', 'a'), '<f4'), ('b', '<i2', (2, 3)), ('', '|V2'), ('n', [('x', '>f8')])]", "(2,)", 2 * (4 + 12 + 2 + 8), "[('a', '<f4'), ('b', '<i2', (2, 3)), ('', '|V2'), ('n', [('x', '>f8')])]", model.EncOpaque},
	}
	for _, c := range cases {
		m, err := decodeBytes(npy(1, hdr(c.descr, c.shape), make([]byte, c.data)))
		if err != nil {
			t.Errorf("%s: %v", c.descr, err)
			continue
		}
		tt := m.Graph.Initializers[0]
		if tt.DType != c.dtype || tt.Location.Encoding != c.enc || tt.Location.Length != int64(c.data) {
			t.Errorf("%s: %s %s length %d, want %s %s %d", c.descr, tt.DType, tt.Location.Encoding, tt.Location.Length, c.dtype, c.enc, c.data)
		}
	}
	// Version 3 headers are UTF-8.
	m, err := decodeBytes(npy(3, hdr("[('ü', '<f4')]", "(1,)"), make([]byte, 4)))
	if err != nil || !strings.Contains(string(m.Graph.Initializers[0].DType), "ü") {
		t.Fatalf("v3 utf-8 field name: %v", err)
	}
}

// TestObjectArray checks object arrays are described, never loaded.
func TestObjectArray(t *testing.T) {
	pickle := []byte("\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.")
	m, err := decodeBytes(npy(1, hdr("'|O'", "(1,)"), pickle))
	if err != nil {
		t.Fatal(err)
	}
	tt := m.Graph.Initializers[0]
	if tt.DType != "object" || tt.Location != nil || !strings.Contains(tt.Doc, "never loaded") || len(m.Warnings) != 1 {
		t.Fatalf("object array: %+v warnings %q", tt, m.Warnings)
	}
}

// zipOf builds a zip with the given raw members.
func zipOf(t *testing.T, members ...zipMember) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: m.name, Method: m.method, Flags: m.flags,
			CRC32: m.crc, CompressedSize64: uint64(len(m.data)), UncompressedSize64: m.usize,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zipMember struct {
	name   string
	method uint16
	flags  uint16
	data   []byte
	usize  uint64
	crc    uint32
}

func stored(name string, data []byte) zipMember {
	return zipMember{name: name, method: zip.Store, data: data, usize: uint64(len(data)), crc: crc32.ChecksumIEEE(data)}
}

func deflated(t *testing.T, name string, data []byte) zipMember {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	fw.Close()
	return zipMember{name: name, method: zip.Deflate, data: buf.Bytes(), usize: uint64(len(data)), crc: crc32.ChecksumIEEE(data)}
}

func TestHostileNPZ(t *testing.T) {
	good := npy(1, hdr("'<f4'", "(2,)"), make([]byte, 8))
	liar := npy(1, hdr("'<f4'", "(1000000, 1000000)"), make([]byte, 8))
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"declared bytes beyond member", zipOf(t, stored("w.npy", liar)), "needs"},
		{"deflated liar", zipOf(t, deflated(t, "w.npy", liar)), "needs"},
		{"encrypted", zipOf(t, zipMember{name: "w.npy", method: zip.Store, flags: 1, data: good, usize: uint64(len(good))}), "encrypted"},
		{"method 99", zipOf(t, zipMember{name: "w.npy", method: 99, data: good, usize: uint64(len(good))}), "method 99"},
		{"stored size mismatch", zipOf(t, zipMember{name: "w.npy", method: zip.Store, data: good, usize: 1 << 40}), "different sizes"},
		{"declared 2^62", zipOf(t, zipMember{name: "w.npy", method: zip.Deflate, data: []byte{3, 0}, usize: 1<<63 + 5}), "compression ratio"},
		{"member not npy", zipOf(t, stored("w.npy", []byte("PK\x03\x04 nested zip"))), "no \\x93NUMPY"},
	}
	// A forged end-of-central-directory count.
	forged := zipOf(t, stored("w.npy", good))
	eocd := bytes.LastIndex(forged, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint16(forged[eocd+8:], 0xffff)
	binary.LittleEndian.PutUint16(forged[eocd+10:], 0xffff)
	cases = append(cases, struct {
		name string
		file []byte
		want string
	}{"forged entry count", forged, "zip"})
	cases = append(cases, struct {
		name string
		file []byte
		want string
	}{"overlapping entries", overlapping(t, good), "overlap"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeBytes(c.file)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestNPZBomb reads the header of a member that inflates to 64 MiB without
// inflating the rest.
func TestNPZBomb(t *testing.T) {
	data := npy(1, hdr("'<f4'", "(16777216,)"), make([]byte, 64<<20))
	file := zipOf(t, deflated(t, "big.npy", data), stored("x.txt", []byte("hi")))
	if len(file) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(file))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := decodeBytes(file)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Fatalf("allocated %d bytes to read one header", alloc)
	}
	tt := m.Graph.Initializers[0]
	if tt.Name != "big" || tt.Shape[0] != 16777216 || tt.Location.Encoding != model.EncOpaque || len(m.Warnings) != 1 {
		t.Fatalf("bomb member: %+v, warnings %q", tt, m.Warnings)
	}
}

// overlapping returns a zip whose central directory lists the one local
// entry twice, under two names (the "overlapping files" zip bomb).
func overlapping(t *testing.T, member []byte) []byte {
	z := zipOf(t, stored("a.npy", member))
	eocd := bytes.LastIndex(z, []byte("PK\x05\x06"))
	cdOff := binary.LittleEndian.Uint32(z[eocd+16:])
	cd := append([]byte(nil), z[cdOff:eocd]...)
	dup := append([]byte(nil), cd...)
	nameAt := 46
	dup[nameAt] = 'b' // "b.npy"
	out := append(append(append([]byte(nil), z[:eocd]...), dup...), z[eocd:]...)
	e := len(out) - (len(z) - eocd)
	binary.LittleEndian.PutUint16(out[e+8:], 2)
	binary.LittleEndian.PutUint16(out[e+10:], 2)
	binary.LittleEndian.PutUint32(out[e+12:], uint32(2*len(cd)))
	return out
}
