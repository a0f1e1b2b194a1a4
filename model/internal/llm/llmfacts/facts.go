// Package llmfacts checks a model graph against the corpus manifest's
// facts.llm (../shared/corpus/README.md, "Architecture facts"): weight
// consumers, the order weights are used along the data path, residual adds,
// attention attributes, and the edge-free view of weight-only files. Tests
// of every decoder that draws LLM files use it.
package llmfacts

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// stepOps are the operation names a step may have (the corpus README,
// "Architecture facts"): the op histogram of an architecture graph counts
// these and nothing else (no module names).
var stepOps = []string{"get_rows", "rms_norm", "layer_norm", "matmul", "rope", "attention", "add", "mul",
	"scale", "silu", "gelu", "sigmoid", "softmax", "top_k", "matmul_experts", "weighted_sum_experts",
	"swiglu", "split", "concat", "ssm_conv", "ssm_scan", "tanh", "pooling", "slice"}

// Facts is facts.llm of a manifest entry.
type Facts struct {
	Architecture  *string           `json:"architecture"`
	NLayer        int               `json:"n_layer"`
	Residual      string            `json:"residual"`
	Tied          bool              `json:"tied_embeddings"`
	TokenInput    string            `json:"token_input"`
	Output        *string           `json:"output"`
	Consumers     map[string]int    `json:"consumers"`
	Stacks        []Stack           `json:"stacks"`
	ExpectedEdges *int              `json:"expected_edges"`
	Modules       map[string]Module `json:"modules"`
	TotalParams   int64             `json:"total_parameters"`
}

// Stack is one encoder or decoder stack.
type Stack struct {
	Name   string   `json:"name"`
	Head   []Step   `json:"head"`
	Blocks [][]Step `json:"blocks"`
	Tail   []Step   `json:"tail"`
}

// Step is one computation llama.cpp performs.
type Step struct {
	Op            string          `json:"op"`
	Weights       []string        `json:"weights"`
	Role          string          `json:"role"`
	From          json.RawMessage `json:"from"`
	IndependentOf []string        `json:"independent_of"`
	Adds          string          `json:"adds"`
	Attention     map[string]any  `json:"attention"`
}

// Module is one dotted prefix of a weight-only file.
type Module struct {
	Tensors    int   `json:"tensors"`
	Parameters int64 `json:"parameters"`
}

// Parse returns facts.llm of an entry's raw facts, nil when it has none.
func Parse(raw json.RawMessage) (*Facts, error) {
	var f struct {
		LLM *Facts `json:"llm"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("facts.llm: %w", err)
	}
	return f.LLM, nil
}

// Check compares m's main graph with the facts and returns the
// disagreements.
func Check(m *model.Model, f *Facts) []string {
	if m.Graph == nil {
		return []string{"no graph"}
	}
	c := newChecker(m.Graph)
	if f.Architecture == nil {
		return c.weightOnly(m, f)
	}
	errs := c.consumers(f)
	for _, s := range f.Stacks {
		errs = append(errs, c.stack(s)...)
	}
	for op := range model.Summarize(m).Ops {
		if !slices.Contains(stepOps, op) {
			errs = append(errs, fmt.Sprintf("op histogram counts %q, which is not an operation of the facts' vocabulary", op))
		}
	}
	if f.Output != nil && *f.Output != "" {
		if !c.reaches(c.stepNode(Step{Op: "get_rows", Weights: []string{f.TokenInput}}), c.stepNode(Step{Op: "matmul", Weights: []string{*f.Output}})) {
			errs = append(errs, fmt.Sprintf("no path from %s to %s", f.TokenInput, *f.Output))
		}
	}
	return errs
}

type checker struct {
	g        *model.Graph
	data     model.GraphData
	weights  map[string][]int // tensor -> consuming nodes
	producer map[string]int   // value -> node
	next     [][]int
}

func newChecker(g *model.Graph) *checker {
	c := &checker{g: g, data: model.ExportGraph(g), weights: map[string][]int{}, producer: map[string]int{}}
	for i, n := range c.data.Nodes {
		for _, w := range n.Weights {
			c.weights[w] = append(c.weights[w], i)
		}
		for _, o := range n.Outputs {
			c.producer[o] = i
		}
	}
	c.next = make([][]int, len(c.data.Nodes))
	for i, n := range c.data.Nodes {
		for _, in := range n.Inputs {
			if p, ok := c.producer[in]; ok {
				c.next[p] = append(c.next[p], i)
			}
		}
	}
	return c
}

// Edges counts node-to-node edges.
func (c *checker) edges() int {
	n := 0
	for _, nx := range c.next {
		n += len(nx)
	}
	return n
}

// reaches reports a path of at least one edge from a to b.
func (c *checker) reaches(a, b int) bool {
	if a < 0 || b < 0 {
		return false
	}
	seen := make([]bool, len(c.next))
	stack := slices.Clone(c.next[a])
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == b {
			return true
		}
		if !seen[n] {
			seen[n] = true
			stack = append(stack, c.next[n]...)
		}
	}
	return false
}

// stepNode is the one node consuming every weight of the step, preferring
// the step's op when a tied tensor has several consumers; -1 if none.
func (c *checker) stepNode(s Step) int {
	var cand []int
	for i, w := range s.Weights {
		ns := c.weights[w]
		if i == 0 {
			cand = slices.Clone(ns)
			continue
		}
		cand = slices.DeleteFunc(cand, func(n int) bool { return !slices.Contains(ns, n) })
	}
	for _, n := range cand {
		if c.data.Nodes[n].Op == s.Op {
			return n
		}
	}
	if len(cand) == 1 {
		return cand[0]
	}
	return -1
}

// consumers checks each tensor is consumed by one node, or by as many as
// facts.consumers says.
func (c *checker) consumers(f *Facts) []string {
	var errs []string
	for _, t := range c.g.Initializers {
		want := 1
		if n, ok := f.Consumers[t.Name]; ok {
			want = n
		}
		if got := len(c.weights[t.Name]); got != want {
			errs = append(errs, fmt.Sprintf("tensor %s consumed by %d nodes, want %d", t.Name, got, want))
		}
	}
	return errs
}

// weightOnly checks the honest view: no edges, every tensor in one node,
// every module of the facts a node or a group, and the note.
func (c *checker) weightOnly(m *model.Model, f *Facts) []string {
	var errs []string
	if e := c.edges(); f.ExpectedEdges != nil && e != *f.ExpectedEdges {
		errs = append(errs, fmt.Sprintf("%d edges between nodes, want %d", e, *f.ExpectedEdges))
	}
	var params int64
	for _, t := range c.g.Initializers {
		if n := len(c.weights[t.Name]); n != 1 {
			errs = append(errs, fmt.Sprintf("tensor %s in %d nodes", t.Name, n))
		}
		ne, _ := model.NumElements(t.Shape)
		params += ne
	}
	if f.TotalParams > 0 && params != f.TotalParams {
		errs = append(errs, fmt.Sprintf("%d parameters, want %d", params, f.TotalParams))
	}
	for mod := range f.Modules {
		if !slices.ContainsFunc(c.data.Nodes, func(n model.GraphDataNode) bool {
			return n.Name == mod || strings.HasPrefix(n.Name, mod+".")
		}) {
			errs = append(errs, fmt.Sprintf("module %s is neither a node nor a group", mod))
		}
	}
	if ops := model.Summarize(m).Ops; len(ops) > 0 {
		errs = append(errs, fmt.Sprintf("op histogram %v: a weight-only file performs no operation", ops))
	}
	if !noted(m) {
		errs = append(errs, "no note saying the file stores no data flow")
	}
	return errs
}

func noted(m *model.Model) bool {
	for _, p := range m.Properties {
		if strings.Contains(p.Value, "no data flow") {
			return true
		}
	}
	return slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "no data flow") })
}

// CheckDecoder checks a decoder graph without facts: every initializer
// consumed by exactly one node (rope_freqs by every rope node), nBlocks attention nodes, each reached from
// the one before, and the graph's output reached from the first node (the
// token embedding) through them.
func CheckDecoder(g *model.Graph, nBlocks int) []string {
	c := newChecker(g)
	var errs []string
	ropes := 0
	for _, n := range c.data.Nodes {
		if n.Op == "rope" {
			ropes++
		}
	}
	for _, t := range g.Initializers {
		want := 1
		if t.Name == "rope_freqs.weight" {
			want = ropes // the shared frequency factors of every rope
		}
		if n := len(c.weights[t.Name]); n != want {
			errs = append(errs, fmt.Sprintf("tensor %s consumed by %d nodes, want %d", t.Name, n, want))
		}
	}
	path := []int{0}
	for i, n := range c.data.Nodes {
		if n.Op == "attention" {
			path = append(path, i)
		}
	}
	if len(path)-1 != nBlocks {
		errs = append(errs, fmt.Sprintf("%d attention nodes, want %d", len(path)-1, nBlocks))
	}
	if len(g.Outputs) != 1 {
		return append(errs, fmt.Sprintf("%d graph outputs, want 1", len(g.Outputs)))
	}
	path = append(path, c.producer[g.Outputs[0].Name])
	for i := 1; i < len(path); i++ {
		if !c.reaches(path[i-1], path[i]) {
			errs = append(errs, fmt.Sprintf("%s is not reached from %s", c.data.Nodes[path[i]].Name, c.data.Nodes[path[i-1]].Name))
		}
	}
	return errs
}
