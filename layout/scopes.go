package layout

// ScopePaths returns the name-scope paths a node named name belongs to,
// outermost first ("/layers.3/attn/MatMul" gives "/layers.3" and
// "/layers.3/attn"): the group with ID "g:" + path holds the node when
// that group is drawn.
func ScopePaths(name string) []string {
	ends := scopeEnds(name, nil)
	out := make([]string, len(ends))
	for i, e := range ends {
		out[i] = name[:e]
	}
	return out
}
