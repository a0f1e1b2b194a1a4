// Package layout turns a model graph into a laid-out View: node boxes with
// positions and sizes, edge routes, and collapsible groups. The View's JSON
// is what the browser draws; its shape is documented here and is the
// contract between this package and assets/web.
//
// The drawing is layered (Sugiyama): data flows downwards, one layer per
// rank. Weights and single-use constants are not boxes: they are text
// Lines of their consumer ("W 64×3×7×7"). A value with many consumers
// (an attention mask, rotary tables) is drawn as one small "stub" box per
// consumer, whose Source names the producing box. Nodes are grouped by
// name scope; large graphs open with groups collapsed (Options).
//
// Box sizes come from the text with a fixed metric (TextMetric, sent as
// View.Metric): the browser draws the strings it receives with that font
// and padding. GenTransformer and GenResNet make synthetic graphs of any
// size for benchmarks; Crossings measures a drawing's edge crossings.
package layout

// View is a laid-out graph, ready to draw. Coordinates are in CSS pixels at
// zoom 1, origin top-left, y growing downwards (data flows top to bottom).
type View struct {
	// Width and Height bound every node, group and edge point.
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	// Nodes are the boxes to draw: model nodes, graph inputs and outputs,
	// stubs of split sources, and collapsed groups.
	Nodes []Node `json:"nodes"`
	// Edges are the lines to draw between Nodes.
	Edges []Edge `json:"edges"`
	// Groups are name-scope groups. Expanded groups are drawn as a frame
	// around their members; a collapsed group appears as one Node of Kind
	// "group" with the same ID, and its members are absent. Groups inside
	// a collapsed group are not listed. Parents come before children.
	Groups []Group `json:"groups"`
	// Stats counts what is drawn: ModelNodes is the number of model nodes
	// drawn as individual boxes (Kind "op"), ModelEdges the number of edges
	// drawn between such boxes or from/to graph inputs, outputs and stubs
	// (every drawn edge whose ends are not collapsed groups; one per
	// producer box, consumer box and value). The page copies them to #graph
	// data-nodes / data-edges.
	Stats Stats `json:"stats"`
	// Metric is the text metric node sizes were computed with; the browser
	// draws text with the same numbers (see Metric).
	Metric TextMetric `json:"metric"`

	// values are the value names the layout's edges index (Edge.val), so
	// that EncodeWire finds their strings without a lookup by name.
	values []string
}

// Stats counts the drawn model nodes and edges, and the whole graph's.
type Stats struct {
	ModelNodes int `json:"modelNodes"`
	ModelEdges int `json:"modelEdges"`
	// TotalNodes is the number of nodes in the graph, drawn or hidden in
	// collapsed groups.
	TotalNodes int `json:"totalNodes"`
	// LayoutMillis is how long the layout took, for the status bar.
	LayoutMillis float64 `json:"layoutMs"`
	// InlinedNodes is the number of model nodes drawn inside their consumer
	// (single-consumer Constant nodes) rather than as boxes of their own.
	InlinedNodes int `json:"inlinedNodes"`
	// HiddenNodes is the number of model nodes inside collapsed groups.
	HiddenNodes int `json:"hiddenNodes"`
	// Stubs is the number of per-consumer stubs drawn for sources with many
	// consumers.
	Stubs int `json:"stubs"`
	// Crossings is the number of edge crossings between adjacent layers
	// after crossing reduction (a quality figure).
	Crossings int `json:"crossings"`
	// Layers is the number of layers (ranks) of the drawing.
	Layers int `json:"layers"`
}

// Node kinds.
const (
	KindOp     = "op"     // a model node
	KindInput  = "input"  // a graph input
	KindOutput = "output" // a graph output
	KindStub   = "stub"   // a per-consumer copy of a source with many consumers
	KindGroup  = "group"  // a collapsed group
)

// Node is one box.
type Node struct {
	// ID is unique within the View and stable across re-layouts of the same
	// model version (so selection survives expand/collapse): "n<index>"
	// for model nodes, "i<k>" and "o<k>" for graph inputs and outputs,
	// "x<k>" for values read from an enclosing graph (Kind "input", first
	// line "outer scope"), "s<k>" for stubs, "g:<scope path>" for
	// collapsed groups.
	ID string `json:"id"`
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Label is the title line (op type, input name, group name).
	Label string `json:"label"`
	// Name is the model node's name (or value name for inputs/outputs).
	Name string `json:"name,omitempty"`
	// Category is the colour class: layer, activation, normalization,
	// pooling, shape, control, quantization, custom, data, tensor, group.
	Category string `json:"category,omitempty"`
	// Lines are further text lines inside the box: inlined weights as
	// "W 64×3×7×7", key attributes.
	Lines []string `json:"lines,omitempty"`
	// X, Y is the top-left corner; W, H the size computed from the text
	// with the shared text metric (see Metric).
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
	// Group is the ID of the innermost enclosing group, "" at top level.
	Group string `json:"group,omitempty"`
	// Index is the node's index in the model graph's Nodes (for Kind "op"),
	// used to fetch details; -1 otherwise.
	Index int `json:"index"`
	// Subgraphs is the number of subgraphs the node holds (If/Loop/Scan
	// bodies); the browser can enter them by path.
	Subgraphs int `json:"subgraphs,omitempty"`
	// Source is, for a stub, the ID of the box that produces its value (an
	// op, a graph input, or the collapsed group holding the producer), so
	// the browser can jump there; "" otherwise.
	Source string `json:"source,omitempty"`
	// Count is the number of model nodes inside a collapsed group (Kind
	// "group": ID is the group's ID, Name its scope path).
	Count int `json:"count,omitempty"`
}

// Edge is one line from an output of From to an input of To.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Value is the name of the value carried.
	Value string `json:"value,omitempty"`
	// Label is the value's shape when known ("1×64×56×56", "scalar"), or
	// "3 tensors" for an edge carrying several values.
	Label string `json:"label,omitempty"`
	// DType is the value's element type when known ("float32"), shown on
	// hover.
	DType string `json:"dtype,omitempty"`
	// Points is the route as flattened x,y pairs, from the source box's
	// bottom centre to the target box's top centre; draw as a polyline or
	// through them as a smooth curve. Edges that close a cycle run
	// upwards (from the source's top to the target's bottom); a self-loop
	// leaves the bottom, passes right of the box and enters the top.
	// Several values between the same boxes share one route.
	Points []float64 `json:"points"`

	// from and to are the positions in View.Nodes of the ends, and val the
	// index in View.values of Value, each plus one (0: not known), as the
	// layout made them; EncodeWire trusts them only while they still agree
	// with From, To and Value.
	from, to, val int32
}

// Group is a name-scope group ("/layers.3/attn", "blk.3"). ID is "g:" and
// the scope path ("g:/layers.3/attn"); pass it in Options.Expanded or
// Options.Collapsed to open or close the group. Label is the path relative
// to the parent group ("attn"). For an expanded group X, Y, W, H is its
// frame (the members' bounding box plus padding, with room for the label
// at the top left); for a collapsed one, its box.
type Group struct {
	ID        string  `json:"id"`
	Label     string  `json:"label"`
	Parent    string  `json:"parent,omitempty"`
	Collapsed bool    `json:"collapsed"`
	Count     int     `json:"count"`
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	W         float64 `json:"w"`
	H         float64 `json:"h"`
}
