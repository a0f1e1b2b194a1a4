package cost_test

import (
	"context"
	"math"
	"strconv"
	"testing"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// maxSweepBytes keeps the sweep over the manifests quick.
const maxSweepBytes = 64 << 20

// TestEveryModel counts every model of both manifests that opens (every
// format): no panic, one figure per node, no negative figure, and the
// totals at least the largest node's.
func TestEveryModel(t *testing.T) {
	n := 0
	for _, e := range testenv.Manifests(t) {
		if e.Bytes > maxSweepBytes {
			continue
		}
		m, err := all.Registry().Open(context.Background(), e.Abs())
		if err != nil || m.Graph == nil {
			continue
		}
		r := cost.Model(context.Background(), m, cost.Options{})
		if len(r.Nodes) != len(m.Graph.Nodes) {
			t.Errorf("%s: %d node figures for %d nodes", e.Name(), len(r.Nodes), len(m.Graph.Nodes))
		}
		checkReport(t, e.Name(), r)
		n++
	}
	t.Logf("%d models counted", n)
}

func checkReport(t *testing.T, name string, r *cost.Report) {
	t.Helper()
	tot := r.Totals
	if tot.Params < 0 || tot.ParamBytes < 0 || tot.MACs < 0 || tot.OtherOps < 0 || tot.ActivationBytes < 0 || tot.PeakBytes < 0 {
		t.Errorf("%s: negative total %+v", name, tot)
	}
	for i, nd := range r.Nodes {
		if nd.MACs < 0 || nd.OtherOps < 0 || nd.Params < 0 || nd.ActivationBytes < 0 || nd.MACs > tot.MACs {
			t.Errorf("%s: node %d %+v against totals %+v", name, i, nd, tot)
		}
	}
}

// FuzzGraph counts graphs made from fuzz bytes: MAC operators over
// shapes with huge, zero, negative, symbolic and unknown dims.
func FuzzGraph(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{255, 200, 100, 7, 3, 250, 0, 0, 1})
	ops := []string{"Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum", "Attention", "LSTM", "MaxPool",
		"ReduceSum", "Relu", "CONV_2D", "DEPTHWISE_CONV_2D", "GroupConvolution", "addmm.out", "If", "Loop", "Scan"}
	f.Fuzz(func(t *testing.T, b []byte) {
		next := func() int {
			if len(b) == 0 {
				return 0
			}
			v := int(b[0])
			b = b[1:]
			return v
		}
		g := &model.Graph{}
		for i := 0; len(b) > 0 && i < 16; i++ {
			nd := &model.Node{OpType: ops[next()%len(ops)], Outputs: []string{"v" + strconv.Itoa(i+100)}}
			for k := next() % 4; k >= 0; k-- {
				name := "v" + strconv.Itoa(next()%8+100*(next()%2))
				nd.Inputs = append(nd.Inputs, name)
				g.ValueInfo = append(g.ValueInfo, &model.Value{Name: name, Type: fuzzType(next)})
			}
			g.ValueInfo = append(g.ValueInfo, &model.Value{Name: nd.Outputs[0], Type: fuzzType(next)})
			nd.Attrs = append(nd.Attrs, model.Attribute{Name: "equation", Type: model.AttrString, String: "ij,jk->ik"},
				model.Attribute{Name: "num_heads", Type: model.AttrInt, Int: int64(next() - 1)},
				model.Attribute{Name: "body", Type: model.AttrGraph, Graphs: []*model.Graph{g}})
			g.Nodes = append(g.Nodes, nd)
		}
		r := cost.Graph(context.Background(), g, cost.Options{Dims: map[string]int64{"s": math.MaxInt64}})
		checkReport(t, "fuzz", r)
	})
}

// fuzzType is a tensor type of up to 5 dims from the fuzz bytes.
func fuzzType(next func() int) *model.Type {
	r := next() % 7
	if r == 6 {
		return &model.Type{Kind: model.KindTensor, DType: "float32"}
	}
	s := make(model.Shape, r)
	for i := range s {
		switch v := next(); {
		case v < 16:
			s[i] = model.Dim{Param: "s"}
		case v < 24:
			s[i] = model.Dim{}
		case v < 32:
			s[i] = model.IntDim(-int64(v))
		case v > 250:
			s[i] = model.IntDim(math.MaxInt64 / int64(v))
		default:
			s[i] = model.IntDim(int64(v % 40))
		}
	}
	return &model.Type{Kind: model.KindTensor, DType: "float32", Shape: s}
}
