package mlir

import (
	"fmt"
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

// builder flattens one function's ops into a graph.
type builder struct {
	p     *parser
	path  string
	fn    string
	g     *model.Graph
	used  map[string]int
	count int
	dial  map[string]bool
	// consts collects the function's constant tensors.
	consts []*model.Tensor
}

// define gives name a unique graph name in scope s.
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
// its results as outputs "0", "1", ..., and every op of its body (at any
// depth) as a node, nested ops after their owner.
func buildFunction(p *parser, f *function, path string, dial map[string]bool) (*model.Graph, []*model.Tensor, int) {
	b := &builder{p: p, path: path, fn: f.name, used: map[string]int{}, dial: dial,
		g: &model.Graph{Name: f.name, Inputs: []*model.Value{}, Outputs: []*model.Value{}}}
	root := &scope{names: map[string]string{}}
	for i, a := range f.args {
		name := a.name
		if name == "" {
			name = "%arg" + strconv.Itoa(i)
		}
		b.g.Inputs = append(b.g.Inputs, &model.Value{Name: b.define(root, name), Type: parseType(a.typ)})
	}
	for i, r := range f.results {
		b.g.Outputs = append(b.g.Outputs, &model.Value{Name: strconv.Itoa(i), Type: parseType(r)})
	}
	if f.body != nil {
		b.walkRegion(f.body, root, nil, 0)
		b.wireReturn(f.body)
	}
	return b.g, b.consts, b.count
}

// walkRegion adds the nodes of a region's blocks; block arguments become
// outputs of the owner node.
func (b *builder) walkRegion(r *region, parent *scope, owner *model.Node, idx int) {
	s := &scope{parent: parent, names: map[string]string{}}
	for i, blk := range r.blocks {
		for _, a := range blk.args {
			if _, ok := parent.resolve(a.name); ok && owner == nil && i == 0 {
				continue // a generic function's entry arguments: its inputs
			}
			v := b.define(s, a.name)
			if owner != nil {
				owner.Outputs = append(owner.Outputs, v)
			}
		}
		for _, o := range blk.ops {
			b.addOp(o, s, owner, idx)
		}
	}
}

// addOp adds one op's node, then its regions' nodes.
func (b *builder) addOp(o *op, s *scope, owner *model.Node, idx int) {
	b.count++
	full := fullName(o.name)
	if i := strings.IndexByte(full, '.'); i > 0 {
		b.dial[full[:i]] = true
	}
	n := &model.Node{OpType: full, Inputs: []string{}, Outputs: []string{}, Category: category(full)}
	if owner != nil {
		n.Doc = fmt.Sprintf("in region %d of %s", idx, owner.Name)
	}
	inner := s
	if len(o.regions) > 0 || hasDefinitions(o) {
		inner = &scope{parent: s, names: map[string]string{}}
	}
	for _, r := range o.refs {
		v, ok := s.resolve(r.name)
		switch {
		case r.next == '=' || (r.next == ':' && !ok):
			n.Outputs = append(n.Outputs, b.define(inner, r.name))
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
	b.g.Nodes = append(b.g.Nodes, n)
	for i, r := range o.regions {
		b.walkRegion(r, inner, n, i)
	}
	var results []string
	for _, r := range o.results {
		results = append(results, b.define(s, r))
	}
	n.Outputs = append(results, n.Outputs...)
	if constantOps[full] {
		b.constant(o, n)
	}
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

// wireReturn makes the function's top-level return produce the outputs.
func (b *builder) wireReturn(body *region) {
	if len(body.blocks) == 0 || len(b.g.Outputs) == 0 {
		return
	}
	ops := body.blocks[len(body.blocks)-1].ops
	if len(ops) == 0 || !strings.HasSuffix(fullName(ops[len(ops)-1].name), ".return") {
		return
	}
	for _, n := range b.g.Nodes {
		if n.OpType == fullName(ops[len(ops)-1].name) && n.Doc == "" {
			n.Outputs = n.Outputs[:0]
			for _, v := range b.g.Outputs {
				n.Outputs = append(n.Outputs, v.Name)
			}
		}
	}
}

// constant lists a constant op's tensor result as `@fn/%name`, located
// at its literal's text (which cannot be previewed).
func (b *builder) constant(o *op, n *model.Node) {
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
