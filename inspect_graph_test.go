package main

import (
	"encoding/json"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// inspectGraph is the part of `inspect --json --graph` these tests read.
type inspectGraph struct {
	Tensors []model.SummaryTensor `json:"tensors"`
	Graph   *model.GraphData      `json:"graph"`
}

// TestInspectGraph runs `inspect --json --graph` on every LLM entry of the
// manifests and one valid file of every other format: the graph is there,
// every node has an op, every tensor of the summary has its dtype in
// values (and is some node's weight in LLM files), and weight-only files
// have no edge.
func TestInspectGraph(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range testenv.Manifests(t) {
		var f struct {
			LLM *struct {
				Architecture *string `json:"architecture"`
			} `json:"llm"`
		}
		_ = json.Unmarshal(e.Facts, &f)
		if !e.Valid() || (f.LLM == nil && (seen[e.Format] || e.Bytes > 1<<20)) {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			code, out, errs := runCLI("inspect", "--json", "--graph", e.Abs())
			if code != 0 {
				// Formats modelpeek does not read, refusals: other tests'
				// business. The next file of the format is tried.
				t.Skipf("inspect exit %d: %s", code, errs)
			}
			seen[e.Format] = true
			var got inspectGraph
			if err := json.Unmarshal([]byte(out), &got); err != nil || got.Graph == nil {
				t.Fatalf("no graph in the output (%v)", err)
			}
			checkGraphData(t, got, f.LLM != nil, f.LLM != nil && f.LLM.Architecture == nil)
		})
	}
}

// checkGraphData checks the exported graph; in LLM files every tensor is
// some node's weight (other formats may keep constants no main-graph node
// names, as TensorFlow's loop bodies do).
func checkGraphData(t *testing.T, got inspectGraph, llm, weightsOnly bool) {
	t.Helper()
	weights := map[string]bool{}
	outs := map[string]bool{}
	for _, n := range got.Graph.Nodes {
		if n.Op == "" {
			t.Errorf("node %q has no op", n.Name)
		}
		for _, w := range n.Weights {
			weights[w] = true
		}
		for _, o := range n.Outputs {
			outs[o] = true
		}
	}
	for _, n := range got.Graph.Nodes {
		for _, in := range n.Inputs {
			if weightsOnly && outs[in] {
				t.Errorf("weight-only file: node %q reads %q, another node's output", n.Name, in)
			}
		}
	}
	for _, ts := range got.Tensors {
		v, ok := got.Graph.Values[ts.Name]
		if (llm && !weights[ts.Name]) || !ok || v.DType != ts.DType {
			t.Errorf("tensor %q: a weight %v, value %+v, want dtype %s", ts.Name, weights[ts.Name], v, ts.DType)
		}
	}
}
