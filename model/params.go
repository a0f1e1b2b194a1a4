package model

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// maxParamGroups bounds the groups CountParams lists; the smaller rest
// are summed into one "other" group.
const maxParamGroups = 64

// ParamCount totals weights: how many tensors, how many elements
// (parameters) and how many bytes they take in the file.
type ParamCount struct {
	Tensors int   `json:"tensors"`
	Params  int64 `json:"params"`
	Bytes   int64 `json:"bytes"`
}

// GroupParams is the count of one name scope of the main graph's weights
// ("encoder", "blk.3", "features.0").
type GroupParams struct {
	Name string `json:"name"`
	ParamCount
}

// GraphParams is the count of one root graph (the main graph, "fN" for
// Functions[N]), weights of its nested subgraphs included.
type GraphParams struct {
	Path string `json:"path"`
	Name string `json:"name"`
	ParamCount
}

// Params is a model's parameter count: the total over every graph (a
// tensor stored once counts once), per root graph, and per top-level name
// group of the main graph, largest first.
type Params struct {
	Total  ParamCount    `json:"total"`
	Graphs []GraphParams `json:"graphs"`
	Groups []GroupParams `json:"groups"`
}

// CountParams counts the parameters of m's initializers.
func CountParams(m *Model) Params {
	p := Params{Graphs: []GraphParams{}, Groups: []GroupParams{}}
	if m == nil || m.Graph == nil {
		return p
	}
	seen := map[any]bool{}
	roots := append([]*Graph{m.Graph}, m.Functions...)
	for i, g := range roots {
		if g == nil {
			continue
		}
		gp := GraphParams{Path: "", Name: cmp.Or(g.Name, "main graph")}
		if i > 0 {
			gp.Path = FunctionPath(i - 1)
			gp.Name = cmp.Or(g.Name, gp.Path)
		}
		eachInitializer(g, func(t *Tensor) {
			gp.add(t)
			if k := tensorKey(t); !seen[k] {
				seen[k] = true
				p.Total.add(t)
			}
		})
		p.Graphs = append(p.Graphs, gp)
	}
	p.Groups = groupParams(m.Graph.Initializers, scopeNames(m.Graph))
	return p
}

// add counts one tensor.
func (c *ParamCount) add(t *Tensor) {
	n, ok := NumElements(t.Shape)
	if !ok {
		n = 0
	}
	c.Tensors++
	c.Params += n
	c.Bytes += tensorBytes(t, n)
}

// tensorBytes is the stored size of t: its data's length, else elements
// times the dtype's size when fixed.
func tensorBytes(t *Tensor, n int64) int64 {
	if t.Location != nil && t.Location.Length > 0 {
		return t.Location.Length
	}
	if s, ok := DTypeSize(t.DType); ok && n <= (1<<62)/int64(max(s, 1)) {
		return n * int64(s)
	}
	return 0
}

// tensorKey identifies stored data, so a tensor several graphs share (by
// pointer or by bytes) counts once in the total.
func tensorKey(t *Tensor) any {
	if l := t.Location; l != nil && l.File != "" {
		return [3]any{l.File, l.Offset, l.Length}
	}
	return t
}

// eachInitializer calls fn for the initializers of g and of every
// subgraph nested in its nodes, iteratively (hostile nesting).
func eachInitializer(g *Graph, fn func(*Tensor)) {
	stack := []*Graph{g}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g == nil {
			continue
		}
		for _, t := range g.Initializers {
			if t != nil {
				fn(t)
			}
		}
		for _, n := range g.Nodes {
			if n != nil {
				stack = append(stack, n.Subgraphs()...)
			}
		}
	}
}

// groupParams counts ts by top-level name group (see groupOf), largest
// first, the groups past maxParamGroups summed as "other". A tensor with
// an exporter-made name ("onnx::Conv_422") is grouped by the module scope
// of the node consuming it (scope).
func groupParams(ts []*Tensor, scope map[string]string) []GroupParams {
	names := make([][]string, 0, len(ts))
	for _, t := range ts {
		if t == nil {
			continue
		}
		parts := nameParts(t.Name)
		if sc := scope[t.Name]; sc != "" && strings.Contains(t.Name, "::") {
			// The module's path, with the tensor as its leaf.
			parts = append(nameParts(sc), t.Name)
		}
		names = append(names, parts)
	}
	skip := commonParts(names)
	idx := map[string]int{}
	var out []GroupParams
	k := 0
	for _, t := range ts {
		if t == nil {
			continue
		}
		name := paramGroupOf(names[k], skip)
		k++
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, GroupParams{Name: name})
		}
		out[i].add(t)
	}
	slices.SortStableFunc(out, func(a, b GroupParams) int { return cmp.Compare(b.Params, a.Params) })
	if len(out) > maxParamGroups {
		rest := GroupParams{Name: "other"}
		for _, g := range out[maxParamGroups-1:] {
			rest.Tensors += g.Tensors
			rest.Params += g.Params
			rest.Bytes += g.Bytes
		}
		out = append(out[:maxParamGroups-1], rest)
	}
	return orEmptyGroups(out)
}

func orEmptyGroups(g []GroupParams) []GroupParams {
	if g == nil {
		return []GroupParams{}
	}
	return g
}

// nameParts splits a tensor name at '.', '/' and ':' ("blk.0.attn_q.weight"
// → blk, 0, attn_q, weight), empty parts dropped.
func nameParts(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '/' || r == ':' })
}

// commonParts is how many leading parts every name shares, leaving at
// least the last part of each ("model.layers.0.w", "model.norm.w" share
// "model").
func commonParts(names [][]string) int {
	if len(names) < 2 {
		return 0
	}
	n := len(names[0]) - 1
	for _, p := range names[1:] {
		n = min(n, len(p)-1)
		for i := 0; i < n; i++ {
			if p[i] != names[0][i] {
				n = i
				break
			}
		}
	}
	return max(n, 0)
}

// paramGroupOf is a name's group: its first part after the shared ones, with
// the next part too when that is a number ("blk.3", "layers.0"); a name
// of one part is its own group.
func paramGroupOf(parts []string, skip int) string {
	if len(parts) == 0 {
		return "(unnamed)"
	}
	rest := parts[min(skip, len(parts)-1):]
	if len(rest) == 1 {
		return rest[0]
	}
	if len(rest) > 2 && isNumber(rest[1]) {
		return rest[0] + "." + rest[1]
	}
	return rest[0]
}

func isNumber(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

// scopeNames maps each value consumed by a node to the module path of
// the first node that uses it (opScope), looking through Identity nodes.
func scopeNames(g *Graph) map[string]string {
	out := map[string]string{}
	forward := map[string]string{} // Identity input → its output
	for _, n := range g.Nodes {
		if n != nil && n.OpType == "Identity" && len(n.Inputs) == 1 && len(n.Outputs) == 1 {
			forward[n.Inputs[0]] = n.Outputs[0]
		}
	}
	for _, n := range g.Nodes {
		if n == nil || n.OpType == "Identity" {
			continue
		}
		sc := opScope(n.Name)
		for _, in := range n.Inputs {
			if _, ok := out[in]; !ok {
				out[in] = sc
			}
		}
	}
	for from, to := range forward {
		v := to
		for i := 0; i < 8 && out[v] == ""; i++ { // chains of Identity
			if next, ok := forward[v]; ok {
				v = next
			}
		}
		if _, ok := out[from]; !ok || out[from] == "" {
			out[from] = out[v]
		}
	}
	return out
}

// opScope is the module path of a path-like node name, its op left out:
// exporters qualify each scope by its parent's ("/features/features.4/
// block/block.3/Conv" → "features.4.block.3"); "" without a scope.
func opScope(name string) string {
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '/' })
	if len(parts) < 2 {
		return ""
	}
	var path []string
	for _, c := range parts[:len(parts)-1] {
		if k := len(path); k > 0 && strings.HasPrefix(c, path[k-1]+".") {
			path[k-1] = c
			continue
		}
		path = append(path, c)
	}
	return strings.Join(path, ".")
}
