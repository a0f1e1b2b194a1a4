package mnn

import (
	"bytes"
	"encoding/binary"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

func patch(data []byte, off int64, v uint32) []byte {
	b := bytes.Clone(data)
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

// TestHostile damages a valid net in the ways that break naive flatbuffer
// readers and expects clear errors, never a panic.
func TestHostile(t *testing.T) {
	good := corpusFiles(t)["small_cnn.mnn"]
	if good == nil {
		t.Skip("small_cnn.mnn missing")
	}
	r := flatbuf.NewReader(flatbuf.FromBytes(good), 1<<20)
	net, _ := r.Root(0)
	ops, names := r.Ref(net, netOplists), r.Ref(net, netTensorName)
	op1, _ := r.Elem(ops+4, 1)
	weights := r.Ref(op1, opMain)
	if r.Err != nil || weights == 0 {
		t.Fatalf("locating fields: %v", r.Err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"root past end", patch(good, 0, 1<<30), "points past the end"},
		{"oplists length", patch(good, ops, math.MaxUint32), "declares 4294967295 elements"},
		{"tensorName length", patch(good, names, 1<<30), "declares 1073741824 elements"},
		{"op offset", patch(good, ops+8, 1<<30), "points past the end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeBytes(c.data)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestSharedOps points a huge op list at one Op table: the work budget
// stops it before it allocates per entry.
func TestSharedOps(t *testing.T) {
	good := corpusFiles(t)["small_cnn.mnn"]
	if good == nil {
		t.Skip("small_cnn.mnn missing")
	}
	const n = 500_000
	data := bytes.Clone(good)
	vec := int64(len(data))
	opTable := vec + 4 + 4*n + 4
	data = binary.LittleEndian.AppendUint32(data, n)
	for i := int64(0); i < n; i++ {
		data = binary.LittleEndian.AppendUint32(data, uint32(opTable-(vec+4+4*i)))
	}
	// An empty Op: a 4-byte vtable, then the table.
	data = append(data, 4, 0, 4, 0)
	data = binary.LittleEndian.AppendUint32(data, 4)
	r := flatbuf.NewReader(flatbuf.FromBytes(good), 1<<20)
	net, _ := r.Root(0)
	field := r.Field(net, netOplists, 4)
	binary.LittleEndian.PutUint32(data[field:], uint32(vec-field))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := decodeBytes(data)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "too large or repeats") {
		t.Errorf("shared ops: %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 16*uint64(len(data))+1<<20 {
		t.Errorf("allocated %d bytes for a %d-byte file", d, len(data))
	}
}

// TestSubgraphCycle: subgraphs naming each other (and themselves) are
// attached once each, and the link ends.
func TestSubgraphCycle(t *testing.T) {
	mk := func(name string) *subgraph {
		return &subgraph{g: &model.Graph{Name: name, Nodes: []*model.Node{{Name: name + "/while", OpType: "While"}}}}
	}
	a, b := mk("a"), mk("b")
	a.refs = []graphRef{{node: a.g.Nodes[0], attr: "body_graph", name: "b"}, {node: a.g.Nodes[0], attr: "cond_graph", name: "a"}}
	b.refs = []graphRef{{node: b.g.Nodes[0], attr: "body_graph", name: "a"}}
	main := &model.Node{Name: "w", OpType: "While"}
	d := &decoder{}
	rest := d.link([]graphRef{{node: main, attr: "body_graph", name: "a"}, {node: main, attr: "cond_graph", name: "missing"}}, []*subgraph{a, b, mk("unused")})
	if len(rest) != 1 || rest[0].Name != "unused" {
		t.Errorf("unattached subgraphs %v, want [unused]", rest)
	}
	if n := model.CountNodes(&model.Graph{Nodes: []*model.Node{main}}); n != 3 {
		t.Errorf("%d nodes reachable, want 3", n)
	}
	if len(d.warnings) != 1 || !strings.Contains(d.warnings[0], `"missing"`) {
		t.Errorf("warnings %q", d.warnings)
	}
}

// TestTruncatedPrefixes decodes prefixes of every corpus file (about 1500
// spread over each): none may panic, and one that cuts the root table must
// fail.
func TestTruncatedPrefixes(t *testing.T) {
	for name, b := range corpusFiles(t) {
		step := max(1, len(b)/1500)
		for n := 0; n < len(b); n += step {
			if _, err := decodeBytes(b[:n:n]); err == nil && n < 32 {
				t.Fatalf("%s: prefix of %d bytes decoded", name, n)
			}
			Detect(b[:min(n, model.SniffLen)], int64(n))
		}
	}
}
