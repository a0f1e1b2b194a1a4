package tensorflow

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// snappyEncode compresses b for tests: a literal for the first 8 bytes,
// then 2-byte-offset copies of 8-byte runs that repeat, literals
// elsewhere. Good enough to exercise every decoder path used by writers.
func snappyEncode(b []byte) []byte {
	out := binary.AppendUvarint(nil, uint64(len(b)))
	lit := func(p []byte) {
		for len(p) > 0 {
			n := min(len(p), 70)
			if n <= 60 {
				out = append(out, byte(n-1)<<2)
			} else {
				out = append(out, 60<<2, byte(n-1))
			}
			out = append(out, p[:n]...)
			p = p[n:]
		}
	}
	i, start := 8, 0
	for i+8 <= len(b) {
		if j := bytes.Index(b[max(0, i-60000):i], b[i:i+8]); j >= 0 {
			lit(b[start:i])
			off := i - (max(0, i-60000) + j)
			out = append(out, byte(8-1)<<2|2, byte(off), byte(off>>8))
			i += 8
			start = i
			continue
		}
		i++
	}
	lit(b[start:])
	return out
}

func TestUnsnappy(t *testing.T) {
	src := []byte(strings.Repeat("dense/kernel/.ATTRIBUTES/VARIABLE_VALUE", 20) + "tail")
	got, err := unsnappy(snappyEncode(src), 1<<20)
	if err != nil || !bytes.Equal(got, src) {
		t.Fatalf("round trip: %v", err)
	}
	// one-byte-offset copy: "abcd" then copy length 8 at offset 4.
	got, err = unsnappy([]byte{12, 3 << 2, 'a', 'b', 'c', 'd', 1 | (8-4)<<2, 4}, 64)
	if err != nil || string(got) != "abcdabcdabcd" {
		t.Fatalf("copy1: %q %v", got, err)
	}
	bad := map[string][]byte{
		"length over max": binary.AppendUvarint(nil, 1<<40),
		"offset zero":     {4, 1, 0},
		"offset past":     {8, 0, 'a', 1 | 4<<2, 5},
		"literal past":    {8, 10 << 2, 'a'},
		"short output":    {8, 0, 'a'},
		"long output":     {1, 4 << 2, 'a', 'b', 'c', 'd', 'e'},
		"4-byte copy cut": {4, 3, 1},
	}
	for name, b := range bad {
		if _, err := unsnappy(b, 1<<20); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// table builds a LevelDB table of one data block holding entries (in
// order), compressed with snappy when compress is set.
func table(entries []tableEntry, compress bool) []byte {
	var blk []byte
	var prev []byte
	for _, e := range entries {
		shared := 0
		for shared < len(prev) && shared < len(e.key) && prev[shared] == e.key[shared] {
			shared++
		}
		blk = binary.AppendUvarint(blk, uint64(shared))
		blk = binary.AppendUvarint(blk, uint64(len(e.key)-shared))
		blk = binary.AppendUvarint(blk, uint64(len(e.value)))
		blk = append(append(blk, e.key[shared:]...), e.value...)
		prev = e.key
	}
	blk = binary.LittleEndian.AppendUint32(blk, 0) // restart at 0
	blk = binary.LittleEndian.AppendUint32(blk, 1)
	var file []byte
	writeBlock := func(b []byte) (uint64, uint64) {
		typ := byte(0)
		if compress {
			b, typ = snappyEncode(b), 1
		}
		off := uint64(len(file))
		file = append(append(file, b...), typ, 0, 0, 0, 0)
		return off, uint64(len(b))
	}
	doff, dsize := writeBlock(blk)
	var idx []byte
	h := binary.AppendUvarint(binary.AppendUvarint(nil, doff), dsize)
	idx = binary.AppendUvarint(idx, 0)
	idx = binary.AppendUvarint(idx, 1)
	idx = binary.AppendUvarint(idx, uint64(len(h)))
	idx = append(append(idx, 'z'), h...)
	idx = binary.LittleEndian.AppendUint32(idx, 0)
	idx = binary.LittleEndian.AppendUint32(idx, 1)
	ioff, isize := writeBlock(idx)
	footer := binary.AppendUvarint(binary.AppendUvarint(nil, 0), 0)
	footer = binary.AppendUvarint(binary.AppendUvarint(footer, ioff), isize)
	footer = append(footer, make([]byte, 40-len(footer))...)
	footer = binary.LittleEndian.AppendUint64(footer, tableMagic)
	return append(file, footer...)
}

// bundleEntryBytes encodes a BundleEntryProto.
func bundleEntryBytes(dtype int64, dims []int64, shard, off, size int64) []byte {
	var shape []byte
	for _, d := range dims {
		dim := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), uint64(d))
		shape = protowire.AppendBytes(protowire.AppendTag(shape, 2, protowire.BytesType), dim)
	}
	b := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), uint64(dtype))
	b = protowire.AppendBytes(protowire.AppendTag(b, 2, protowire.BytesType), shape)
	b = protowire.AppendVarint(protowire.AppendTag(b, 3, protowire.VarintType), uint64(shard))
	b = protowire.AppendVarint(protowire.AppendTag(b, 4, protowire.VarintType), uint64(off))
	return protowire.AppendVarint(protowire.AppendTag(b, 5, protowire.VarintType), uint64(size))
}

// TestVariablesSnappy reads a two-shard checkpoint index whose blocks are
// snappy-compressed, as TensorFlow writes them by default.
func TestVariablesSnappy(t *testing.T) {
	dir := t.TempDir()
	header := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 2)
	entries := []tableEntry{
		{key: []byte(""), value: header},
		{key: []byte("layer/bias/.ATTRIBUTES/VARIABLE_VALUE"), value: bundleEntryBytes(1, []int64{3}, 0, 0, 12)},
		{key: []byte("layer/kernel/.ATTRIBUTES/VARIABLE_VALUE"), value: bundleEntryBytes(101, []int64{4, 3}, 1, 16, 48)},
	}
	if err := os.MkdirAll(filepath.Join(dir, "variables"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "variables", "variables.index"), table(entries, true))
	write(t, filepath.Join(dir, "variables", "variables.data-00000-of-00002"), make([]byte, 12))
	w := newWire(context.Background(), filepath.Join(dir, "saved_model.pb"), 1000)
	ts, files, err := variables(w, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || len(files) != 2 {
		t.Fatalf("%d tensors, files %v", len(ts), files)
	}
	k := ts[1]
	if k.Name != "layer/kernel/.ATTRIBUTES/VARIABLE_VALUE" || k.DType != "float32" || len(k.Shape) != 2 {
		t.Errorf("kernel %+v", k)
	}
	if l := k.Location; l == nil || !strings.HasSuffix(l.File, "variables.data-00001-of-00002") || l.Offset != 16 || l.Length != 48 || !l.Missing {
		t.Errorf("kernel location %+v (the second shard is not on disk)", k.Location)
	}
	if l := ts[0].Location; l == nil || l.Missing || l.Encoding != model.EncRaw {
		t.Errorf("bias location %+v", l)
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHostileTables checks that damaged checkpoint indexes are refused
// with errTable, quickly.
func TestHostileTables(t *testing.T) {
	good := table([]tableEntry{{key: []byte("a"), value: []byte{8, 1}}}, false)
	footerAt := len(good) - 48
	cases := map[string][]byte{
		"empty":      nil,
		"no magic":   append(append([]byte{}, good[:len(good)-1]...), 0),
		"index past": append(append(append([]byte{}, good[:footerAt]...), 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10), good[footerAt+8:]...),
		"bad compression": func() []byte {
			b := append([]byte{}, good...)
			b[len(b)-48-5] = 7 // the index block's type byte
			return b
		}(),
	}
	for name, b := range cases {
		if _, err := readTable(b, 1000); !errors.Is(err, errTable) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	// Keys that each repeat all of the previous key and add more grow
	// quadratically; the key budget stops them.
	var blk []byte
	for i := 0; i < 20000; i++ {
		shared := i * 8
		blk = binary.AppendUvarint(blk, uint64(shared))
		blk = binary.AppendUvarint(blk, 8)
		blk = binary.AppendUvarint(blk, 0)
		blk = append(blk, "abcdefgh"...)
	}
	blk = binary.LittleEndian.AppendUint32(blk, 0)
	budget := int64(1 << 20)
	if _, err := blockEntries(blk, 1<<20, &budget); !errors.Is(err, errTable) {
		t.Errorf("quadratic keys: %v", err)
	}
}
