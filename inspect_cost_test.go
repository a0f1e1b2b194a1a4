package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestInspectCost runs `inspect --json --graph` on the corpus's
// torchvision exports: the cost object carries the contract's keys, the
// nodes' MACs and params add up to it, and --dim scales a symbolic batch.
func TestInspectCost(t *testing.T) {
	checked := 0
	for _, e := range testenv.ManifestEntries(t, "onnx") {
		if !strings.Contains(e.Path, "/torchvision/") || !e.Valid() {
			continue
		}
		code, out, errs := runCLI("inspect", "--json", "--graph", e.Abs())
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", e.Name(), code, errs)
		}
		var got struct {
			Cost  map[string]any `json:"cost"`
			Graph struct {
				Nodes []struct {
					MACs   *int64 `json:"macs"`
					Params int64  `json:"params"`
				} `json:"nodes"`
			} `json:"graph"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		for _, k := range []string{"params", "param_bytes", "macs", "activation_bytes", "peak_bytes", "unknown_nodes"} {
			if _, ok := got.Cost[k]; !ok {
				t.Errorf("%s: cost lacks %q", e.Name(), k)
			}
		}
		var macs, params int64
		for _, n := range got.Graph.Nodes {
			if n.MACs == nil {
				t.Errorf("%s: a node's MACs are unknown", e.Name())
				continue
			}
			macs += *n.MACs
			params += n.Params
		}
		if float64(macs) != got.Cost["macs"].(float64) || float64(params) != got.Cost["params"].(float64) {
			t.Errorf("%s: nodes add up to %d MACs, %d params; totals %v", e.Name(), macs, params, got.Cost)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no torchvision export")
	}
}

// TestInspectDim: --dim sets a symbol; a bad one is a usage error.
func TestInspectDim(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "onnx") {
		if !strings.HasSuffix(e.Path, "resnet18.onnx") {
			continue
		}
		macs := func(args ...string) float64 {
			code, out, errs := runCLI(append([]string{"inspect", "--json"}, append(args, e.Abs())...)...)
			var got struct {
				Cost struct {
					MACs float64 `json:"macs"`
				} `json:"cost"`
			}
			if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
				t.Fatalf("exit %d: %s", code, errs)
			}
			return got.Cost.MACs
		}
		if one, three := macs(), macs("--dim", "batch=3"); three != 3*one || one == 0 {
			t.Errorf("batch 3: %v MACs, batch 1: %v", three, one)
		}
		if code, _, errs := runCLI("inspect", "--dim", "batch", e.Abs()); code != 2 || !strings.Contains(errs, "NAME=VALUE") {
			t.Errorf("bad --dim: exit %d, %q", code, errs)
		}
		return
	}
	t.Fatal("resnet18 export not in the manifest")
}
