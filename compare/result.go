// Package compare matches the nodes and weights of two model graphs and
// reports what differs: nodes added, removed or changed (attributes, input
// types, operator version, weights) and weights added, removed, changed in
// type or shape, or changed in value with statistics read in bounded
// memory.
package compare

// Result is the difference between two models, in the shape `modelpeek
// diff --json` prints.
type Result struct {
	Equal   bool       `json:"equal"`
	Nodes   NodeDiff   `json:"nodes"`
	Weights WeightDiff `json:"weights"`
	// Pairs lists every matched node pair with its score; it is not part
	// of the diff JSON (the viewer asks for it).
	Pairs []Pair `json:"-"`
}

// NodeDiff is the node half of a Result. Names are display names: the
// node's name, or "op#index" for a nameless node.
type NodeDiff struct {
	Matched int          `json:"matched"`
	Added   []string     `json:"added"`
	Removed []string     `json:"removed"`
	Changed []NodeChange `json:"changed"`
}

// NodeChange is a matched node pair that differs.
type NodeChange struct {
	A       string   `json:"a"`
	B       string   `json:"b"`
	Changes []string `json:"changes"`
	// IA and IB are the pair's indices in the main graphs' Nodes; they are
	// not part of the diff JSON (the viewer asks for them).
	IA int `json:"-"`
	IB int `json:"-"`
}

// WeightDiff is the weight half of a Result.
type WeightDiff struct {
	Added   []string       `json:"added"`
	Removed []string       `json:"removed"`
	Changed []WeightChange `json:"changed"`
}

// WeightChange is a matched weight pair whose type, shape or values
// differ. The statistics are over the whole tensors (dequantised where the
// IR carries the parameters) and are null when the values could not be
// compared; Note then says why.
type WeightChange struct {
	A           string   `json:"a"`
	B           string   `json:"b"`
	DTypeA      string   `json:"dtype_a"`
	DTypeB      string   `json:"dtype_b"`
	ShapeA      []int64  `json:"shape_a"`
	ShapeB      []int64  `json:"shape_b"`
	MaxAbsDiff  *float64 `json:"max_abs_diff"`
	MeanAbsDiff *float64 `json:"mean_abs_diff"`
	Cosine      *float64 `json:"cosine"`
	// RelL2 is ‖a−b‖ / ‖a‖ (null when ‖a‖ is 0).
	RelL2 *float64 `json:"rel_l2,omitempty"`
	// Kind is "shape", "dtype", "dtype+shape" or "values".
	Kind string `json:"kind"`
	Note string `json:"note,omitempty"`
}

// Pair is one matched node pair: indices into the main graphs' Nodes and
// the match score in [0, 1] (1 for a match by name).
type Pair struct {
	A, B  int
	Score float64
}
