package tfjs_test

import (
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/tfjs"
)

// TestFunctionsAsSubgraphs checks that While and If nodes lead into their
// library functions, each body held once, and that the function library
// is counted once in the node total.
func TestFunctionsAsSubgraphs(t *testing.T) {
	m, err := tfjs.Open(t.Context(), filepath.Join(testenv.Corpus(t), "tfjs", "graph_model_while_if", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{}
	for _, n := range m.Graph.Nodes {
		for _, a := range n.Attrs {
			for _, g := range a.Graphs {
				bodies[n.OpType+"."+a.Name] = g.Name
			}
		}
	}
	want := map[string]string{"While.cond": "while_cond_12", "While.body": "while_body_13", "If.then_branch": "cond_true_30", "If.else_branch": "cond_false_31"}
	for k, v := range want {
		if bodies[k] != v {
			t.Errorf("%s leads to %q, want %q", k, bodies[k], v)
		}
	}
	if s := model.Summarize(m); s.Nodes != 28 || len(m.Functions) != 0 {
		t.Errorf("%d nodes, %d unreached functions", s.Nodes, len(m.Functions))
	}
}
