package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/compare"
	"github.com/modelpeek/modelpeek/model"
)

// TestDiffRoute compares two library models over the API: a model with
// itself is equal; with a node removed, that node is reported; a missing
// or unknown "against" is a clear error.
func TestDiffRoute(t *testing.T) {
	lib := newFakeLib()
	lib.add("a", "a.onnx", tinyModel())
	b := tinyModel()
	b.Graph.Nodes = slices.DeleteFunc(b.Graph.Nodes, func(n *model.Node) bool { return n.Name == "relu" })
	lib.add("b", "b.onnx", b)
	s, addr := startServer(t, lib, nil)

	var res compare.Result
	for _, c := range []struct {
		path  string
		code  int
		equal bool
	}{
		{"/api/models/a/diff?against=a", http.StatusOK, true},
		{"/api/models/a/diff?against=b", http.StatusOK, false},
		{"/api/models/a/diff", http.StatusBadRequest, false},
		{"/api/models/a/diff?against=zz", http.StatusNotFound, false},
	} {
		resp, body := do(t, authed(t, s, addr, "GET", c.path, nil))
		if resp.StatusCode != c.code {
			t.Fatalf("%s: %d %s, want %d", c.path, resp.StatusCode, body, c.code)
		}
		if c.code != http.StatusOK {
			continue
		}
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if res.Equal != c.equal {
			t.Errorf("%s: equal = %v: %s", c.path, res.Equal, body)
		}
	}
	if !slices.Equal(res.Nodes.Removed, []string{"relu"}) {
		t.Errorf("removed %q, want [relu]", res.Nodes.Removed)
	}
}
