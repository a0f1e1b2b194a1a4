package paddle

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"google.golang.org/protobuf/encoding/protowire"
)

// Protobuf writers for crafted programs (field numbers: framework.proto).
func pbBytes(b []byte, num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
}

func pbVarint(b []byte, num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

// blockMsg is a BlockDesc with the given ops.
func blockMsg(idx, parent int64, ops ...[]byte) []byte {
	b := pbVarint(nil, blockIdx, uint64(idx))
	b = pbVarint(b, blockParent, uint64(parent))
	for _, op := range ops {
		b = pbBytes(b, blockOps, op)
	}
	return b
}

// opMsg is an OpDesc of type typ; sub >= 0 adds a sub_block attribute.
func opMsg(typ string, sub int64) []byte {
	b := pbBytes(nil, opType, []byte(typ))
	if sub >= 0 {
		a := pbBytes(nil, attrName, []byte("sub_block"))
		a = pbVarint(a, attrType, atBlock)
		a = pbVarint(a, attrBlockIdx, uint64(sub))
		b = pbBytes(b, opAttrs, a)
	}
	return b
}

func programMsg(blocks ...[]byte) []byte {
	var p []byte
	for _, b := range blocks {
		p = pbBytes(p, progBlocks, b)
	}
	return p
}

// chain is a program whose block i holds a while op running block i+1.
func chain(n int) []byte {
	var blocks [][]byte
	for i := range n {
		blocks = append(blocks, blockMsg(int64(i), int64(i)-1, opMsg("while", int64(i+1))))
	}
	return programMsg(append(blocks, blockMsg(int64(n), int64(n)-1, opMsg("relu", -1)))...)
}

// TestBlockReferences: sub-block cycles and shared blocks are shown once
// (later references keep the block index), unreferenced blocks are still
// counted, and too deep nesting is refused.
func TestBlockReferences(t *testing.T) {
	self := programMsg(blockMsg(0, -1, opMsg("while", 0), opMsg("conditional_block", 1), opMsg("conditional_block", 1), opMsg("while", 7)),
		blockMsg(1, 0, opMsg("relu", -1)), blockMsg(2, 0, opMsg("relu", -1), opMsg("relu", -1)))
	m, err := decode(context.Background(), self, "/nonexistent/x.pdmodel")
	if err != nil {
		t.Fatal(err)
	}
	if s := model.Summarize(m); s.Nodes != 7 {
		t.Errorf("nodes %d, want 7 (4 + 1 shared once + 2 unreferenced)", s.Nodes)
	}
	if a := m.Graph.Nodes[0].Attrs[0]; a.Type != model.AttrInts || a.Ints[0] != 0 {
		t.Errorf("self reference shown as %+v", a)
	}
	if a := m.Graph.Nodes[1].Attrs[0]; a.Type != model.AttrGraph || len(a.Graphs) != 1 {
		t.Errorf("sub_block shown as %+v", a)
	}
	if _, err := decode(context.Background(), chain(60), "/nonexistent/x.pdmodel"); err != nil {
		t.Errorf("60 nested blocks: %v", err)
	}
	if _, err := decode(context.Background(), chain(200), "/nonexistent/x.pdmodel"); err == nil || !strings.HasPrefix(err.Error(), "paddle: ") {
		t.Errorf("200 nested blocks: %v", err)
	}
}

// TestHostile decodes crafted programs with lengths past their message,
// endless varints and bad packed fields: each fails with a "paddle:"
// error, allocating little.
func TestHostile(t *testing.T) {
	head := pbVarint(pbVarint(nil, blockIdx, 0), blockParent, ^uint64(0))
	badDims := pbBytes(nil, varType, pbBytes(nil, vtLoDTensor, pbBytes(nil, lodTensorDesc, pbBytes(nil, tdDims, []byte{0xff, 0xff}))))
	cases := map[string][]byte{
		"block length past EOF": append(protowire.AppendTag(nil, progBlocks, protowire.BytesType), 0xff, 0xff, 0xff, 0xff, 0x0f),
		"op length past block":  programMsg(append(append([]byte{}, head...), protowire.AppendVarint(protowire.AppendTag(nil, blockOps, protowire.BytesType), 1<<40)...)),
		"endless varint":        programMsg(append(append([]byte{}, head...), 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
		"bad packed dims":       programMsg(append(append([]byte{}, head...), pbBytes(nil, blockVars, badDims)...)),
		"bad packed doubles":    programMsg(append(append([]byte{}, head...), pbBytes(nil, blockOps, pbBytes(nil, opAttrs, pbBytes(nil, attrFloat64s, []byte{1, 2, 3})))...)),
		"no blocks":             {},
		"not a program":         []byte("<html>"),
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	for name, data := range cases {
		_, err := decode(context.Background(), data, "/nonexistent/h.pdmodel")
		switch {
		case err == nil:
			t.Errorf("%s: decoded without error", name)
		case !strings.HasPrefix(err.Error(), "paddle: "):
			t.Errorf("%s: error %q does not name the format", name, err)
		default:
			t.Logf("%s: %v", name, err)
		}
	}
	runtime.ReadMemStats(&ms)
	if grew := ms.TotalAlloc - before; grew > 16<<20 {
		t.Errorf("hostile programs allocated %d bytes", grew)
	}
}

// TestTruncatedPrefixes decodes every prefix of the small corpus
// programs: each decodes or fails with an error; none panics.
func TestTruncatedPrefixes(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "paddle") {
		if e.Bytes > 8<<10 || !e.Valid() {
			continue
		}
		b, err := os.ReadFile(e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(b) {
			_, _ = decode(context.Background(), b[:n], "/nonexistent/p.pdmodel")
		}
	}
}

// FuzzOpen checks that no program makes the decoder panic or hang. Run:
// go test -fuzz FuzzOpen ./model/paddle
func FuzzOpen(f *testing.F) {
	for _, e := range testenv.ManifestEntries(f, "paddle") {
		if e.Bytes > 64<<10 {
			continue
		}
		b, err := os.ReadFile(e.Abs())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(chain(3))
	f.Fuzz(func(t *testing.T, data []byte) {
		timer := time.AfterFunc(30*time.Second, func() { panic("decode took more than 30s: a hang") })
		defer timer.Stop()
		m, err := decode(context.Background(), data, "/nonexistent/f.pdmodel")
		if err != nil {
			return
		}
		if s := model.Summarize(m); s.Nodes < len(m.Graph.Nodes) {
			t.Fatalf("summary counts %d nodes, graph has %d", s.Nodes, len(m.Graph.Nodes))
		}
	})
}
