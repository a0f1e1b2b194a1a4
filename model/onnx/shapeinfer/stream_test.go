package shapeinfer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// untypedTransformer returns a synthetic transformer whose values carry
// no stored types but the graph inputs' and outputs', so that inference
// types them all.
func untypedTransformer(nodes int) *model.Model {
	g := layout.GenTransformer(nodes)
	g.ValueInfo = nil
	return &model.Model{Format: "onnx", Graph: g}
}

// typesOf lists what Fill recorded: every value info and output, with
// its type and whether it was inferred.
func typesOf(g *model.Graph) string {
	var b strings.Builder
	for _, vs := range [][]*model.Value{g.ValueInfo, g.Outputs} {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s %s %s %v\n", v.Name, model.TypeString(v.Type), shapeOf(v.Type), v.Inferred)
		}
	}
	return b.String()
}

// shapeOf prints t's shape, dimension by dimension.
func shapeOf(t *model.Type) string {
	if t == nil {
		return "?"
	}
	return fmt.Sprintf("%+v", t.Shape)
}

// streamed fills m through a Stream, handing its nodes over batch at a
// time, as the decoder does.
func streamed(m *model.Model, batch int) *Info {
	nodes := m.Graph.Nodes
	m.Graph.Nodes = nil
	s := StartFill(context.Background(), m, Options{}, len(nodes))
	defer s.Stop()
	for len(nodes) > 0 {
		n := min(batch, len(nodes))
		m.Graph.Nodes = append(m.Graph.Nodes, nodes[:n]...)
		s.Add(nodes[:n:n], nil)
		nodes = nodes[n:]
	}
	return s.Finish()
}

// TestStreamMatchesFill checks that a streamed fill records exactly what
// Fill does, whatever the batches.
func TestStreamMatchesFill(t *testing.T) {
	want := untypedTransformer(2000)
	Fill(context.Background(), want, Options{})
	wantTypes := typesOf(want.Graph)
	if inferred := strings.Count(wantTypes, " true\n"); inferred < 1000 {
		t.Fatalf("Fill inferred %d values of 2,000 nodes; the test needs a graph it types", inferred)
	}
	for _, batch := range []int{1, 7, 256, 1 << 20} {
		got := untypedTransformer(2000)
		streamed(got, batch)
		if g := typesOf(got.Graph); g != wantTypes {
			t.Errorf("batches of %d: the streamed fill differs from Fill", batch)
		}
	}
}

// TestStreamPanic checks that a shape rule's panic, raised on the
// stream's goroutine, reaches the caller of Finish (where the model
// registry turns it into an error) instead of ending the process.
func TestStreamPanic(t *testing.T) {
	defer goleak.VerifyNone(t)
	rules["TestOnlyPanics"] = func(*nodeCtx) []*model.Type { panic("rule broke") }
	defer delete(rules, "TestOnlyPanics")
	m := untypedTransformer(50)
	m.Graph.Nodes = append(m.Graph.Nodes, &model.Node{OpType: "TestOnlyPanics", Outputs: []string{"x"}})
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(fmt.Sprint(p), "rule broke") {
			t.Fatalf("Finish raised %v, want the rule's panic", p)
		}
	}()
	streamed(m, 16)
}

// TestStreamStop checks that a stream ended by Stop (a failed decode)
// leaves no goroutine behind, with batches still queued.
func TestStreamStop(t *testing.T) {
	defer goleak.VerifyNone(t)
	m := untypedTransformer(3000)
	nodes := m.Graph.Nodes
	m.Graph.Nodes = nil
	s := StartFill(context.Background(), m, Options{}, len(nodes))
	for i := 0; i < len(nodes); i += 10 {
		s.Add(nodes[i:min(i+10, len(nodes))], nil)
	}
	s.Stop()
	s.Stop() // twice is fine
}

// TestStreamCancel checks that a cancelled stream stops inferring and
// still ends.
func TestStreamCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	m := untypedTransformer(2000)
	nodes := m.Graph.Nodes
	m.Graph.Nodes = nil
	s := StartFill(ctx, m, Options{}, len(nodes))
	cancel()
	m.Graph.Nodes = nodes
	s.Add(nodes, nil)
	s.Finish()
	if n := strings.Count(typesOf(m.Graph), " true\n"); n != 0 {
		t.Errorf("a cancelled stream recorded %d inferred types", n)
	}
}
