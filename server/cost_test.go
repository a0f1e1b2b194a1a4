package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// costModel is x[batch,4] → /a/mm1 (W1 4×8) → /a/mm2 (W2 8×2) → /b/relu.
func costModel() *model.Model {
	ty := func(dims ...model.Dim) *model.Type {
		return &model.Type{Kind: model.KindTensor, DType: "float32", Shape: dims}
	}
	b := model.Dim{Param: "batch"}
	return &model.Model{Format: "onnx", Graph: &model.Graph{
		Inputs:    []*model.Value{{Name: "x", Type: ty(b, model.IntDim(4))}},
		Outputs:   []*model.Value{{Name: "y", Type: ty(b, model.IntDim(2))}},
		ValueInfo: []*model.Value{{Name: "h", Type: ty(b, model.IntDim(8))}, {Name: "z", Type: ty(b, model.IntDim(2))}},
		Initializers: []*model.Tensor{
			{Name: "W1", DType: "float32", Shape: []int64{4, 8}},
			{Name: "W2", DType: "float32", Shape: []int64{8, 2}},
		},
		Nodes: []*model.Node{
			{Name: "/a/mm1", OpType: "MatMul", Inputs: []string{"x", "W1"}, Outputs: []string{"h"}},
			{Name: "/a/mm2", OpType: "MatMul", Inputs: []string{"h", "W2"}, Outputs: []string{"z"}},
			{Name: "/b/relu", OpType: "Relu", Inputs: []string{"z"}, Outputs: []string{"y"}},
		},
	}}
}

// TestCostRoute: totals, per node, per scope and the heaviest nodes;
// dims scale the symbolic batch; bad dims and paths are clear errors.
func TestCostRoute(t *testing.T) {
	lib := newFakeLib()
	lib.add("c", "c.onnx", costModel())
	s, addr := startServer(t, lib, nil)
	for _, batch := range []int64{1, 5} {
		path := "/api/models/c/cost"
		if batch != 1 {
			path += "?dims=batch=5"
		}
		resp, body := do(t, authed(t, s, addr, "GET", path, nil))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		var got costReply
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if want := batch * (32 + 16); got.Totals.MACs != want || got.Totals.Params != 48 {
			t.Errorf("batch %d: totals %+v, want %d MACs", batch, got.Totals.Totals, want)
		}
		if a := got.Scopes["/a"]; a.MACs != batch*48 || a.Params != 48 || a.Nodes != 2 {
			t.Errorf("scope /a: %+v", a)
		}
		if len(got.Heaviest) != 2 || got.Heaviest[0].Index != 0 || got.Heaviest[0].Op != "MatMul" || got.Heaviest[1].MACs != batch*16 {
			t.Errorf("heaviest %+v", got.Heaviest)
		}
		if got.Formulas[0] != "32·batch" {
			t.Errorf("node 0 formula %q", got.Formulas[0])
		}
		if len(got.MACs) != 3 || got.MACs[2] == nil || *got.MACs[2] != 0 || got.OtherOps[2] != batch*2 || got.Params[1] != 16 {
			t.Errorf("nodes %s", body)
		}
	}
	for path, code := range map[string]int{
		"/api/models/c/cost?dims=batch":    http.StatusBadRequest,
		"/api/models/c/cost?dims=batch=-1": http.StatusBadRequest,
		"/api/models/c/cost?path=9.0":      http.StatusNotFound,
		"/api/models/zz/cost":              http.StatusNotFound,
		"/api/models/m1/cost?path=2.0":     http.StatusOK,
		"/api/models/bad/cost":             http.StatusUnprocessableEntity,
	} {
		if resp, body := do(t, authed(t, s, addr, "GET", path, nil)); resp.StatusCode != code {
			t.Errorf("%s: %d %s, want %d", path, resp.StatusCode, body, code)
		}
	}
}

// FuzzParseDims: any dims parameter is parsed or refused, never a panic;
// what is accepted is a non-negative count per name.
func FuzzParseDims(f *testing.F) {
	for _, s := range []string{"", "batch=4", "a=1,b=2", "=3", "x=-1", "x=1,,y=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dims, err := parseDims(s)
		if err != nil {
			return
		}
		for k, v := range dims {
			if k == "" || v < 0 {
				t.Errorf("%q: accepted %q=%d", s, k, v)
			}
		}
	})
}

// TestCostRouteGzip: a large graph's cost is gzipped for a client that
// accepts it, one figure per node.
func TestCostRouteGzip(t *testing.T) {
	lib := newFakeLib()
	g := layout.GenTransformer(3000)
	lib.add("big", "big.onnx", &model.Model{Format: "onnx", Graph: g})
	s, addr := startServer(t, lib, nil)
	req := authed(t, s, addr, "GET", "/api/models/big/cost", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, body := do(t, req)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("%d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	plain, err := gunzip([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var got costReply
	if err := json.Unmarshal(plain, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.MACs) != len(g.Nodes) || len(got.Params) != len(g.Nodes) {
		t.Errorf("%d MACs, %d params for %d nodes", len(got.MACs), len(got.Params), len(g.Nodes))
	}
}
