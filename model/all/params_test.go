package all

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// paramFacts are the manifest facts parameter counts are checked against:
// the main graph's tensors, and for weight-only files the module
// hierarchy with its total.
type paramFacts struct {
	// Tensors is a list of {name, dtype, shape}, or for safetensors a map
	// of name to {dtype, shape}.
	Tensors json.RawMessage `json:"tensors"`
	LLM     *struct {
		Modules map[string]struct {
			Parameters int64 `json:"parameters"`
		} `json:"modules"`
		Total *int64 `json:"total_parameters"`
	} `json:"llm"`
}

// TestCountParams counts the parameters of every valid manifest model
// whose tensor facts have known shapes: the main graph's count is the
// facts' elements plus those of its nested subgraphs' weights, its groups
// add up to the facts, the total is no more than the graphs' sum; for
// weight-only files the total and every top-level module match the
// manifest's module hierarchy.
func TestCountParams(t *testing.T) {
	reg := Registry()
	checked, modules, other := 0, 0, 0
	for _, e := range loadManifest(t) {
		if !e.Valid() || registryFormat(e.Format) == "" || len(e.Facts) == 0 {
			continue
		}
		var f paramFacts
		if json.Unmarshal(e.Facts, &f) != nil {
			continue
		}
		want, listed, ok := factElements(f.Tensors)
		if !ok {
			continue
		}
		m, err := reg.Open(context.Background(), e.Abs())
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if len(m.Graph.Initializers) != listed {
			// The facts describe another set of tensors (one shard of a
			// sharded model, packed quantized state).
			other++
			continue
		}
		checked++
		modules += checkParams(t, e.Name(), m, want, f)
	}
	t.Logf("%d models counted, %d module totals compared; %d with facts about another tensor set", checked, modules, other)
	if checked == 0 {
		t.Fatal("no manifest model with tensor facts")
	}
}

// factElements adds up the elements of the tensor facts and counts the
// tensors; false when they are absent or a shape is not a list of sizes.
func factElements(raw json.RawMessage) (int64, int, bool) {
	type tensor struct {
		Shape json.RawMessage `json:"shape"`
	}
	var list []tensor
	if json.Unmarshal(raw, &list) != nil {
		var byName map[string]tensor
		if json.Unmarshal(raw, &byName) != nil || byName == nil {
			return 0, 0, false
		}
		for _, t := range byName {
			list = append(list, t)
		}
	}
	if list == nil {
		return 0, 0, false
	}
	var sum int64
	for _, t := range list {
		var shape []int64
		if json.Unmarshal(t.Shape, &shape) != nil {
			return 0, 0, false
		}
		n, _ := model.NumElements(shape)
		sum += n
	}
	return sum, len(list), true
}

func checkParams(t *testing.T, name string, m *model.Model, want int64, f paramFacts) int {
	p := model.CountParams(m)
	if len(p.Graphs) == 0 || p.Graphs[0].Path != "" {
		t.Errorf("%s: no main graph count: %+v", name, p.Graphs)
		return 0
	}
	if got, w := p.Graphs[0].Params, want+nestedParams(m.Graph); got != w {
		t.Errorf("%s: main graph %d parameters, want %d (facts) + nested subgraphs", name, got, w)
	}
	var groups, graphs int64
	for _, g := range p.Groups {
		groups += g.Params
	}
	for _, g := range p.Graphs {
		graphs += g.Params
	}
	if groups != want {
		t.Errorf("%s: groups add up to %d, want %d", name, groups, want)
	}
	// The total counts stored data once: never more than the graphs' sum.
	if p.Total.Params > graphs || p.Total.Tensors == 0 && graphs > 0 {
		t.Errorf("%s: total %+v against graphs %+v", name, p.Total, p.Graphs)
	}
	if f.LLM == nil || f.LLM.Total == nil {
		return 0
	}
	if p.Total.Params != *f.LLM.Total {
		t.Errorf("%s: total %d parameters, want %d", name, p.Total.Params, *f.LLM.Total)
	}
	n := 0
	for _, g := range p.Groups {
		if mod, ok := f.LLM.Modules[g.Name]; ok {
			n++
			if mod.Parameters != g.Params {
				t.Errorf("%s: group %s has %d parameters, module facts %d", name, g.Name, g.Params, mod.Parameters)
			}
		}
	}
	if n == 0 {
		t.Errorf("%s: no group matches a module of %v", name, f.LLM.Modules)
	}
	return n
}

// nestedParams counts the elements of the weights of g's node subgraphs,
// at any depth (not g's own).
func nestedParams(g *model.Graph) int64 {
	var n int64
	var walk func(g *model.Graph, own bool)
	walk = func(g *model.Graph, own bool) {
		if g == nil {
			return
		}
		if !own {
			for _, t := range g.Initializers {
				k, _ := model.NumElements(t.Shape)
				n += k
			}
		}
		for _, nd := range g.Nodes {
			for _, s := range nd.Subgraphs() {
				walk(s, false)
			}
		}
	}
	walk(g, true)
	return n
}
