package layout

import (
	"context"
	"strconv"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// graphFromBytes builds a small graph whose wiring, names and options come
// from data: every byte pair adds a node reading earlier (or later) values.
func graphFromBytes(data []byte) *model.Graph {
	g := &model.Graph{Inputs: []*model.Value{tensorValue("x", 1)}}
	names := []string{"/a", "/a/b", "/c", "blk.1", "blk.2", "", "x.y.z"}
	for i := 0; i+1 < len(data) && i < 800; i += 2 {
		a, b := int(data[i]), int(data[i+1])
		k := len(g.Nodes)
		in := []string{"v" + strconv.Itoa(a%(k+3))}
		if b&1 == 1 {
			in = append(in, "w"+strconv.Itoa(b%5))
		}
		if b&2 == 2 {
			in = append(in, "x")
		}
		if b&4 == 4 {
			in = append(in, "v"+strconv.Itoa((a*7+b)%(k+2)))
		}
		op := "Add"
		if b&8 == 8 {
			op = "Constant"
			in = nil
		}
		g.Nodes = append(g.Nodes, &model.Node{Name: names[b%len(names)] + "/n" + strconv.Itoa(k), OpType: op,
			Inputs: in, Outputs: []string{"v" + strconv.Itoa(k)}})
	}
	for i := 0; i < 5; i++ {
		g.Initializers = append(g.Initializers, &model.Tensor{Name: "w" + strconv.Itoa(i), Shape: []int64{int64(i)}})
	}
	if len(g.Nodes) > 0 {
		g.Outputs = []*model.Value{tensorValue("v" + strconv.Itoa(len(g.Nodes)-1))}
	}
	return g
}

// FuzzLayout checks the drawing invariants on arbitrary wiring (cycles,
// self-loops, dangling and duplicate values, fan-out, groups).
func FuzzLayout(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 2, 2, 3, 3}, uint8(0))
	f.Add([]byte{5, 7, 9, 4, 200, 13, 0, 6, 1, 1, 1, 1, 1, 1}, uint8(3))
	f.Add([]byte("the quick brown fox jumps over the lazy dog, again and again"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := Options{ExpandAll: mode&1 == 1, StubFanout: int(mode>>1) % 4, CollapseAbove: 1 + int(mode>>3)}
		if mode&4 == 4 {
			opts.Sweeps = -1
		}
		g := graphFromBytes(data)
		a := mustLayout(t, g, opts)
		b := mustLayout(t, g, opts)
		if len(a.Nodes) != len(b.Nodes) || len(a.Edges) != len(b.Edges) {
			t.Fatal("not deterministic")
		}
		for i := range a.Nodes {
			if a.Nodes[i].X != b.Nodes[i].X || a.Nodes[i].Y != b.Nodes[i].Y {
				t.Fatal("not deterministic")
			}
		}
		if _, err := Layout(context.Background(), g, opts); err != nil {
			t.Fatal(err)
		}
	})
}
