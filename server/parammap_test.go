package server

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestParamsRoute asks for the tiny model's parameter map: both weights
// under their consuming node, a subgraph path, and the errors.
func TestParamsRoute(t *testing.T) {
	lib := newFakeLib()
	lib.add("m1", "tiny.onnx", tinyModel())
	s, addr := startServer(t, lib, nil)
	resp, body := do(t, authed(t, s, addr, "GET", "/api/models/m1/params", nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Root struct {
			Params   int64
			Bytes    int64
			DTypes   map[string]int64
			Children []struct {
				Name, Path string
				Node       int
				Params     int64
				Children   []struct{ Tensor string }
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	r := got.Root
	if r.Params != 32 || r.Bytes != 128 || r.DTypes["float32"] != 32 || len(r.Children) != 1 {
		t.Fatalf("root %+v", r)
	}
	c := r.Children[0]
	if c.Path != "conv" || c.Node != 0 || c.Params != 32 || len(c.Children) != 2 || c.Children[0].Tensor != "W" {
		t.Fatalf("conv cell %+v", c)
	}
	resp, body = do(t, authed(t, s, addr, "GET", "/api/models/m1/params?path=2.0", nil))
	if resp.StatusCode != http.StatusOK || !contains(body, `"params":0`) {
		t.Fatalf("subgraph: status %d: %s", resp.StatusCode, body)
	}
	for path, want := range map[string]int{"/api/models/nope/params": 404, "/api/models/m1/params?path=9.9": 404} {
		if resp, body := do(t, authed(t, s, addr, "GET", path, nil)); resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d: %s", path, resp.StatusCode, want, body)
		}
	}
}
