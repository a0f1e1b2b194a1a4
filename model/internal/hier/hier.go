package hier

import (
	"slices"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// Options tune Build.
type Options struct {
	// LeafOp is the op type of a node whose module name has no readable
	// segment: a tensor named without any separator ("wte", "arr_0"), or a
	// module made of numbers only. Default "Tensor".
	LeafOp string
	// Category is the display category given to every node; when empty,
	// one is guessed from the op type (GuessCategory).
	Category string
	// Separators are the bytes that split a name into segments. Default ".".
	Separators string
	// Doc is the graph's documentation line.
	Doc string
	// KeepOrder keeps modules in the order their first tensor appears
	// (an archive's member order) instead of natural name order.
	KeepOrder bool
	// NoEdges leaves the chain out: each node consumes its module's tensors
	// and nothing else, and produces no value (a weight file records no
	// data flow, so none is drawn). Its nodes are containers
	// (model.Node.Container), not operations.
	NoEdges bool
}

// Build groups tensors by module and returns a graph with one node per
// module, in natural name order. A module is a tensor name without its last
// segment ("a.b.weight" belongs to "a.b"); a tensor whose name has no
// separator is a module of its own, with op type opt.LeafOp. Each node is
// named with the module's full path (so the viewer can group numbered
// blocks), its op type is the module's last non-numeric segment, and its
// inputs are the previous node's output followed by the module's tensors.
// The chain only follows name order: weight files record no dataflow, but
// a chain reads top to bottom.
//
// The tensors become the graph's initializers, ordered as the nodes use
// them. Names must be unique; callers drop duplicates first.
func Build(tensors []*model.Tensor, opt Options) *model.Graph {
	if opt.LeafOp == "" {
		opt.LeafOp = "Tensor"
	}
	if opt.Separators == "" {
		opt.Separators = "."
	}
	groups := map[string][]*model.Tensor{}
	var modules []string
	leaf := map[string]bool{} // modules that are a bare tensor name
	for _, t := range tensors {
		mod := Module(t.Name, opt.Separators)
		if mod == t.Name {
			leaf[mod] = true
		}
		if _, ok := groups[mod]; !ok {
			modules = append(modules, mod)
		}
		groups[mod] = append(groups[mod], t)
	}
	if !opt.KeepOrder {
		slices.SortFunc(modules, cmp)
	}

	used := make(map[string]bool, len(tensors)+len(modules))
	for _, t := range tensors {
		used[t.Name] = true
	}
	g := &model.Graph{
		Doc:          opt.Doc,
		Inputs:       []*model.Value{},
		Outputs:      []*model.Value{},
		Nodes:        make([]*model.Node, 0, len(modules)),
		Initializers: make([]*model.Tensor, 0, len(tensors)),
	}
	prev := ""
	for _, mod := range modules {
		ts := groups[mod]
		if !opt.KeepOrder {
			slices.SortFunc(ts, func(a, b *model.Tensor) int { return cmp(a.Name, b.Name) })
		}
		inputs := make([]string, 0, len(ts)+1)
		if prev != "" && !opt.NoEdges {
			inputs = append(inputs, prev)
		}
		for _, t := range ts {
			inputs = append(inputs, t.Name)
			g.Initializers = append(g.Initializers, t)
		}
		outs := []string{}
		if !opt.NoEdges {
			outs = append(outs, uniqueName(mod, used))
			prev = outs[0]
		}
		op := opt.LeafOp
		if !leaf[mod] {
			op = OpType(mod, opt.Separators, opt.LeafOp)
		}
		cat := opt.Category
		if cat == "" {
			cat = GuessCategory(op)
		}
		g.Nodes = append(g.Nodes, &model.Node{
			Name:      mod,
			OpType:    op,
			Inputs:    inputs,
			Outputs:   outs,
			Category:  cat,
			Container: opt.NoEdges,
		})
	}
	return g
}

// cmp orders names naturally, with byte order breaking ties.
func cmp(a, b string) int {
	if c := Compare(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// Module returns the module part of a tensor name: everything before the
// last separator, or the whole name when it has none.
func Module(name, seps string) string {
	if i := strings.LastIndexAny(name, seps); i > 0 {
		return name[:i]
	}
	return name
}

// OpType returns a readable op type for a module: its last segment that is
// not a number ("model.layers.3.mlp" -> "mlp", "features.0" -> "features",
// "lm_head" -> "lm_head"), or leaf when every segment is a number.
func OpType(module, seps, leaf string) string {
	segs := strings.FieldsFunc(module, func(r rune) bool { return strings.ContainsRune(seps, r) })
	for i := len(segs) - 1; i >= 0; i-- {
		if !isNumber(segs[i]) {
			return segs[i]
		}
	}
	return leaf
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// uniqueName returns base, or base with a ":out" suffix (and a counter if
// needed) when base is empty or already names a value, and records it.
func uniqueName(base string, used map[string]bool) string {
	name := base
	for i := 1; name == "" || used[name]; i++ {
		name = base + ":out"
		if i > 1 {
			name += strconv.Itoa(i)
		}
	}
	used[name] = true
	return name
}

// GuessCategory maps a module's op type to a display category from common
// naming conventions: normalisation layers ("ln_1", "input_layernorm",
// "norm"), embeddings ("embed_tokens", "wte", "wpe"), and "layer" for the
// rest.
func GuessCategory(op string) string {
	l := strings.ToLower(op)
	switch {
	case strings.Contains(l, "norm") || strings.HasPrefix(l, "ln") || strings.HasPrefix(l, "bn"):
		return "normalization"
	case strings.Contains(l, "embed") || l == "wte" || l == "wpe":
		return "data"
	}
	return "layer"
}
