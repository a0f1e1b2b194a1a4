package mlir

import (
	"sort"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// constantOps are the ops whose tensor results are listed as tensors.
var constantOps = map[string]bool{
	"stablehlo.constant": true, "arith.constant": true, "tosa.const": true,
	"tfl.pseudo_const": true, "mhlo.constant": true,
}

// maxAttrText bounds an attribute value's text shown in the viewer.
const maxAttrText = 1024

// scope maps SSA names as written to unique graph value names; regions
// open child scopes, so names reused by sibling regions stay apart.
type scope struct {
	parent *scope
	names  map[string]string
}

func (s *scope) resolve(name string) (string, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.names[name]; ok {
			return v, true
		}
	}
	return "", false
}

// builder makes one function's graph and its regions' subgraphs.
type builder struct {
	p     *parser
	path  string
	fn    string
	used  map[string]int
	count int
	dial  map[string]bool
	// consts collects the function's constant tensors, at every depth.
	consts []*model.Tensor
}

// define gives name a unique name in the function (so a region's reads
// of enclosing values carry the names those values have outside) and
// binds it in scope s.
func (b *builder) define(s *scope, name string) string {
	u := name
	if n := b.used[name]; n > 0 {
		u = name + "@" + strconv.Itoa(n)
	}
	b.used[name]++
	s.names[name] = u
	return u
}

// buildFunction makes the graph of a function: its arguments as inputs,
// its results as outputs "0", "1", ..., its top-level ops as nodes; the
// ops of regions are nodes of their owner's region subgraphs.
func buildFunction(p *parser, f *function, path string, dial map[string]bool) (*model.Graph, []*model.Tensor, int) {
	b := &builder{p: p, path: path, fn: f.name, used: map[string]int{}, dial: dial}
	g := &model.Graph{Name: f.name, Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	root := &scope{names: map[string]string{}}
	for i, a := range f.args {
		name := a.name
		if name == "" {
			name = "%arg" + strconv.Itoa(i)
		}
		g.Inputs = append(g.Inputs, &model.Value{Name: b.define(root, name), Type: parseType(a.typ)})
	}
	for i, r := range f.results {
		g.Outputs = append(g.Outputs, &model.Value{Name: strconv.Itoa(i), Type: parseType(r)})
	}
	if f.body != nil {
		b.functionBody(g, f.body, root)
	}
	return g, b.consts, b.count
}

// functionBody adds the body's top-level ops to g; the entry block's
// arguments are g's inputs already (generic functions name them there),
// other blocks' arguments are only named.
func (b *builder) functionBody(g *model.Graph, body *region, root *scope) {
	s := &scope{parent: root, names: map[string]string{}}
	for i, blk := range body.blocks {
		for _, a := range blk.args {
			if _, ok := root.resolve(a.name); ok && i == 0 {
				continue
			}
			b.define(s, a.name)
		}
		for _, o := range blk.ops {
			b.addOp(g, o, s)
		}
	}
	b.wireReturn(g, body)
}

// addOp adds one op's node to g, with one subgraph per region.
func (b *builder) addOp(g *model.Graph, o *op, s *scope) *model.Node {
	b.count++
	full := fullName(o.name)
	if i := strings.IndexByte(full, '.'); i > 0 {
		b.dial[full[:i]] = true
	}
	n := &model.Node{OpType: full, Inputs: []string{}, Outputs: []string{}, Category: category(full)}
	inner := s
	if len(o.regions) > 0 || hasDefinitions(o) {
		inner = &scope{parent: s, names: map[string]string{}}
	}
	var defs []*model.Value // values the op names for its regions
	for _, r := range o.refs {
		v, ok := s.resolve(r.name)
		switch {
		case r.next == '=' || (r.next == ':' && !ok):
			defs = append(defs, b.defValue(inner, r))
		case ok:
			n.Inputs = append(n.Inputs, v)
		default:
			n.Inputs = append(n.Inputs, r.name)
		}
	}
	n.Name = full
	if len(o.results) > 0 {
		n.Name = o.results[0]
	}
	b.attributes(o, n)
	g.Nodes = append(g.Nodes, n)
	if !b.addRegions(o, n, inner, defs) {
		for _, v := range defs {
			n.Outputs = append(n.Outputs, v.Name)
		}
	}
	var results []string
	for _, r := range o.results {
		results = append(results, b.define(s, r))
	}
	n.Outputs = append(results, n.Outputs...)
	if constantOps[full] {
		b.constant(o, n, g)
	}
	return n
}

// defValue defines a value the op names for its regions, typed when a
// type follows it (`%a: tensor<f32>`).
func (b *builder) defValue(s *scope, r ref) *model.Value {
	v := &model.Value{Name: b.define(s, r.name)}
	if r.typ.end > r.typ.start {
		v.Type = parseType(string(b.p.src[r.typ.start:r.typ.end]))
	}
	return v
}

// hasDefinitions reports whether the op names values it defines for its
// regions (`%i = %lb to ...`, `reducer(%a: t)`).
func hasDefinitions(o *op) bool {
	for _, r := range o.refs {
		if r.next != 0 {
			return true
		}
	}
	return false
}

// fullName prefixes unprefixed custom-form ops with the func dialect.
func fullName(name string) string {
	if strings.Contains(name, ".") {
		return name
	}
	return "func." + name
}

// category is a display hint from the op name.
func category(full string) string {
	_, op, _ := strings.Cut(full, ".")
	switch {
	case constantOps[full]:
		return "constant"
	case op == "return" || op == "yield" || op == "for" || op == "if" || op == "while" || op == "case" || op == "reduce" || op == "map":
		return "control"
	case op == "call" || op == "custom_call" || op == "composite":
		return "custom"
	case strings.Contains(op, "conv"):
		return "layer"
	}
	return ""
}

// attributes records the op's attribute dictionary entries, the symbols
// it names and its type signature.
func (b *builder) attributes(o *op, n *model.Node) {
	for _, e := range b.p.attrEntries(o) {
		n.Attrs = append(n.Attrs, textAttr(e.key, e.text, e.size))
	}
	if len(o.symbols) > 0 {
		n.Attrs = append(n.Attrs, model.Attribute{Name: "symbols", Type: model.AttrStrings, Strings: o.symbols})
	}
	if !o.generic && len(o.words()) > 0 {
		s, size := b.p.joinMax(o.words(), maxAttrText)
		n.Attrs = append(n.Attrs, textAttr("syntax", s, size))
	}
	if len(o.sig()) > 0 {
		s, size := b.p.joinMax(o.sig(), maxAttrText)
		n.Attrs = append(n.Attrs, textAttr("type", s, size))
	}
}

// textAttr is a string attribute whose text s was cut from size bytes.
func textAttr(name, s string, size int) model.Attribute {
	a := model.Attribute{Name: name, Type: model.AttrString, String: s}
	if size > len(s) {
		a.String, a.Truncated, a.Count = s+"…", true, int64(size)
	}
	return a
}

// wireReturn makes the function's top-level returns produce its outputs.
func (b *builder) wireReturn(g *model.Graph, body *region) {
	if len(body.blocks) == 0 || len(g.Outputs) == 0 {
		return
	}
	ops := body.blocks[len(body.blocks)-1].ops
	if len(ops) == 0 || !strings.HasSuffix(fullName(ops[len(ops)-1].name), ".return") {
		return
	}
	for _, n := range g.Nodes {
		if n.OpType == fullName(ops[len(ops)-1].name) {
			n.Outputs = n.Outputs[:0]
			for _, v := range g.Outputs {
				n.Outputs = append(n.Outputs, v.Name)
			}
		}
	}
}

// constant lists a constant op's tensor result as `@fn/%name`, located
// at its literal's text (which cannot be previewed), among the function's
// constants and the initializers of g, the graph holding the op.
func (b *builder) constant(o *op, n *model.Node, g *model.Graph) {
	if len(o.results) == 0 {
		return
	}
	types := b.resultTypes(o)
	if len(types) == 0 {
		return
	}
	t := parseType(types[0])
	if t.Kind != model.KindTensor || t.Shape == nil || !strings.HasPrefix(strings.TrimSpace(types[0]), "tensor<") {
		return
	}
	ten := &model.Tensor{Name: "@" + b.fn + "/" + o.results[0], DType: t.DType, Shape: []int64{}}
	for _, d := range t.Shape {
		if !d.Known {
			ten.Shape = append(ten.Shape, -1)
			continue
		}
		ten.Shape = append(ten.Shape, d.Size)
	}
	if sp, ok := b.literal(o); ok {
		ten.Location = &model.Location{File: b.path, Offset: int64(sp.start), Length: int64(sp.end - sp.start), Encoding: model.EncOpaque}
	}
	b.consts = append(b.consts, ten)
	g.Initializers = append(g.Initializers, ten)
	n.Inputs = append(n.Inputs, ten.Name)
}

// resultTypes reads the op's result types from its signature: after the
// top-level "->" when there is one, else the listed types.
func (b *builder) resultTypes(o *op) []string {
	for i, t := range o.sig() {
		if t.kind == tArrow {
			return b.p.typeList(o.sig()[i+1:])
		}
	}
	var out []string
	for _, t := range o.sig() {
		if t.kind == tBare || t.kind == tBang {
			out = append(out, b.p.text(t))
		}
	}
	return out
}

// literal finds the constant's value text: the `value` attribute, or the
// first literal word of the custom form.
func (b *builder) literal(o *op) (span, bool) {
	for _, e := range b.p.attrEntries(o) {
		if e.key == "value" && len(e.toks) > 0 {
			return span{e.toks[0].start, e.toks[0].end}, true
		}
	}
	for _, t := range o.words() {
		if t.kind == tBare || t.kind == tNumber {
			return span{t.start, t.end}, true
		}
	}
	return span{}, false
}

// sortedKeys returns the keys of a set, sorted.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
