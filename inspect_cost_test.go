package main

import (
	"encoding/json"
	"fmt"
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

// TestInspectLLMCost runs `inspect` on every LLM architecture file of the
// manifests with --dim n_ctx=64: every node counted, the KV cache held for
// 64 tokens (none for encoders and SSMs), and the text summary's llm line
// saying the same.
func TestInspectLLMCost(t *testing.T) {
	checked := 0
	for _, e := range testenv.Manifests(t) {
		var fs struct {
			LLM *struct {
				Architecture *string `json:"architecture"`
			} `json:"llm"`
		}
		if json.Unmarshal(e.Facts, &fs) != nil || fs.LLM == nil || fs.LLM.Architecture == nil || !e.Valid() {
			continue
		}
		code, out, errs := runCLI("inspect", "--json", "--dim", "n_ctx=64", e.Abs())
		var got struct {
			Cost struct {
				UnknownNodes int `json:"unknown_nodes"`
				LLM          *struct {
					KVLayers   int   `json:"kv_layers"`
					KVPerToken int64 `json:"kv_bytes_per_token"`
					KVContext  int64 `json:"kv_context_tokens"`
					KVBytes    int64 `json:"kv_bytes_context"`
				} `json:"llm"`
			} `json:"cost"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Cost.LLM == nil {
			t.Fatalf("%s: exit %d, no cost.llm: %s", e.Name(), code, errs)
		}
		l := got.Cost.LLM
		if got.Cost.UnknownNodes != 0 || (l.KVLayers > 0) != (l.KVPerToken > 0) || (l.KVLayers > 0 && (l.KVContext != 64 || l.KVBytes <= 0 || l.KVBytes > 64*l.KVPerToken)) {
			t.Errorf("%s: %d nodes unknown, llm %+v", e.Name(), got.Cost.UnknownNodes, *l)
		}
		_, text, _ := runCLI("inspect", "--dim", "n_ctx=64", e.Abs())
		want := "KV cache none"
		if l.KVLayers > 0 {
			want = fmt.Sprintf("%s per token, %s at 64 tokens", bytesText(l.KVPerToken), bytesText(l.KVBytes))
		}
		if !strings.Contains(text, want) {
			t.Errorf("%s: text summary lacks %q:\n%s", e.Name(), want, text)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no LLM architecture file in the manifests")
	}
}
