package cost

import "github.com/modelpeek/modelpeek/model"

// peak sweeps the execution order (the nodes' order) with every
// activation live from its producer (graph inputs: from the start) to
// its last consumer (graph outputs: to the end), and returns the largest
// sum of live bytes. Values of unknown size count 0.
func (sc *scope) peak(g *model.Graph) int64 {
	n := len(g.Nodes)
	last := make(map[string]int, 2*n)
	for i, nd := range g.Nodes {
		for _, in := range nd.Inputs {
			if in != "" && sc.inits[in] == nil {
				last[in] = i
			}
		}
	}
	for _, v := range g.Outputs {
		if v != nil {
			last[v.Name] = n
		}
	}
	delta := make([]int64, n+2)
	live := func(name string, from int) {
		b, _ := sc.valueBytes(name)
		end, ok := last[name]
		if !ok || end < from {
			end = from
		}
		delta[from] = satAdd(delta[from], b)
		delta[end+1] -= b
	}
	for _, v := range g.Inputs {
		if v != nil && sc.inits[v.Name] == nil {
			live(v.Name, 0)
		}
	}
	for i, nd := range g.Nodes {
		for _, o := range nd.Outputs {
			if o != "" {
				live(o, i)
			}
		}
	}
	var cur, best int64
	for _, d := range delta {
		cur += d
		best = max(best, cur)
	}
	return best
}
