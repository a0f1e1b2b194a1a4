package pytorch

import (
	"context"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// The forward graph of a TorchScript module is recovered by walking the
// code of its forward method symbolically: names are followed to modules,
// parameters and earlier results; calls on submodules are inlined (so the
// graph reaches torch.conv2d and friends, named under the submodule's
// path); every other call that consumes a tensor becomes a node. Shape
// checks and error paths are left out. Nothing is executed.

// Bounds of the symbolic walk.
const (
	maxInlineDepth = 24
	maxSteps       = 2_000_000
	maxNodes       = 200_000
	maxEdges       = 2_000_000
	// maxUnion caps the values one name may stand for after branches
	// merge, so merging stays cheap.
	maxUnion = 64
	// maxParse is the most code text parsed for one graph.
	maxParse = 64 << 20
)

// val is what a name or expression stands for.
type val struct {
	names []string      // dataflow values (tensors)
	mod   *scriptModule // a module
	fn    string        // a function path ("torch.conv2d")
	items []val         // tuple/list elements, when known
	node  *model.Node   // the node that produced names, when fresh
}

func (v val) isData() bool { return len(v.names) > 0 }

// flatten returns the dataflow names held by v, in order (at most
// maxFlatten, however deeply tuples nest).
func (v val) flatten() []string {
	var out []string
	v.flattenTo(&out, 0)
	return out
}

const maxFlatten = 4096

func (v val) flattenTo(out *[]string, depth int) {
	for _, n := range v.names {
		if len(*out) >= maxFlatten {
			return
		}
		*out = append(*out, n)
	}
	if depth > maxExprDepth {
		return
	}
	for _, it := range v.items {
		it.flattenTo(out, depth+1)
	}
}

func union(a, b val) val {
	if a.mod != nil && a.mod == b.mod {
		return a
	}
	seen := map[string]bool{}
	var names []string
	for _, n := range append(a.flatten(), b.flatten()...) {
		if len(names) >= maxUnion {
			break
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return val{names: names}
}

type env map[string]val

func (e env) clone() env {
	c := make(env, len(e))
	for k, v := range e {
		c[k] = v
	}
	return c
}

// noise are calls that only check shapes, format messages or convert
// types: they draw no node.
var noise = map[string]bool{
	"dim": true, "size": true, "len": true, "format": true, "__is__": true, "__isnot__": true, "__not__": true,
	"RaiseException": true, "annotate": true, "unchecked_cast": true, "dtype": true, "device": true, "list": true,
	"warn": true, "isinstance": true, "int": true, "float": true, "bool": true, "str": true, "range": true,
	"_verify_batch_size": true, "_check_input_dim": true, "check_forward_args": true, "uninitialized": true,
	"is_scripting": true, "_unwrap_optional": true, "layout": true, "requires_grad": true, "__contains__": true,
}

type interp struct {
	b        *scriptBuilder
	ctx      context.Context
	g        *model.Graph
	steps    int
	used     map[string]bool
	opCount  map[string]int
	usedT    map[string]bool
	consumed map[string]bool
	stopped  bool
	parsed   int
	edges    int
}

// forwardGraph draws the root module's forward method.
func (b *scriptBuilder) forwardGraph(ctx context.Context) *model.Graph {
	in := &interp{b: b, ctx: ctx, used: map[string]bool{}, opCount: map[string]int{}, usedT: map[string]bool{}, consumed: map[string]bool{},
		g: &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}}
	for name := range b.tensors {
		in.used[name] = true
	}
	var fwd *method
	if b.root.class != nil {
		fwd = b.root.class.methods["forward"]
	}
	if fwd != nil {
		in.g.Doc = "forward method of " + shortClass(b.root.clsName) + ", read from the archive's TorchScript code (submodule calls inlined)"
		args := make([]val, len(fwd.params))
		for i, p := range fwd.params {
			in.used[p] = true
			v := &model.Value{Name: p}
			if strings.Contains(fwd.types[i], "Tensor") {
				v.Type = &model.Type{Kind: model.KindTensor}
			}
			in.g.Inputs = append(in.g.Inputs, v)
			args[i] = val{names: []string{p}}
		}
		ret := in.call(b.root, fwd, args, 0)
		for _, n := range ret.flatten() {
			in.g.Outputs = append(in.g.Outputs, &model.Value{Name: n})
		}
	} else {
		b.warnings = append(b.warnings, "the archive has no forward method I can read; showing modules and weights only")
	}
	if in.stopped {
		b.warnings = append(b.warnings, "the forward method is too large to draw completely")
	}
	// Weights the forward graph does not use still appear, grouped by
	// module, so every tensor is visible.
	var rest []*model.Tensor
	for _, t := range b.order {
		if in.usedT[t.Name] {
			in.g.Initializers = append(in.g.Initializers, t)
		} else {
			rest = append(rest, t)
		}
	}
	if len(rest) > 0 {
		unused := pickleGraphOf(rest)
		in.g.Nodes = append(in.g.Nodes, unused.Nodes...)
		in.g.Initializers = append(in.g.Initializers, unused.Initializers...)
	}
	return in.g
}

func (in *interp) tick() bool {
	in.steps++
	if in.steps > maxSteps || len(in.g.Nodes) >= maxNodes {
		in.stopped = true
		return false
	}
	if in.steps%4096 == 0 && in.ctx.Err() != nil {
		in.stopped = true
		return false
	}
	return true
}

// call inlines method m of module mod with the given arguments.
func (in *interp) call(mod *scriptModule, m *method, args []val, depth int) val {
	e := env{"self": {mod: mod}}
	for i, p := range m.params {
		if i < len(args) {
			e[p] = args[i]
		} else {
			e[p] = val{}
		}
	}
	var ret val
	in.block(m.body, 0, len(m.body), e, mod, &ret, depth)
	return ret
}

// block runs lines[i:end] (one indentation level) in e.
func (in *interp) block(lines []line, i, end int, e env, mod *scriptModule, ret *val, depth int) {
	for i < end {
		if !in.tick() {
			return
		}
		l := lines[i]
		// The lines nested under a header.
		j := i + 1
		for j < end && lines[j].indent > l.indent {
			j++
		}
		text := l.text
		switch {
		case strings.HasPrefix(text, "if ") && strings.HasSuffix(text, ":"):
			in.eval(in.header(l, text[3:len(text)-1]), e, mod, depth)
			// Copying and merging scopes is work too: charge it.
			if in.steps += 3 * len(e); in.steps > maxSteps {
				in.stopped = true
				return
			}
			thenEnv := e.clone()
			in.block(lines, i+1, j, thenEnv, mod, ret, depth)
			elseEnv := e.clone()
			k := j
			if k < end && lines[k].indent == l.indent && (lines[k].text == "else:" || strings.HasPrefix(lines[k].text, "elif ")) {
				k++
				for k < end && lines[k].indent > l.indent {
					k++
				}
				if lines[j].text == "else:" {
					in.block(lines, j+1, k, elseEnv, mod, ret, depth)
				} else {
					// elif: run it as an if of its own inside the else.
					sub := append([]line{{indent: l.indent, text: "if " + strings.TrimPrefix(lines[j].text, "elif "), parsed: lines[j].parsed}}, lines[j+1:k]...)
					in.block(sub, 0, len(sub), elseEnv, mod, ret, depth)
				}
			}
			merge(e, thenEnv, elseEnv)
			i = k
			continue
		case (strings.HasPrefix(text, "for ") || strings.HasPrefix(text, "while ") || strings.HasPrefix(text, "with ")) && strings.HasSuffix(text, ":"):
			head := text[:len(text)-1]
			if strings.HasPrefix(head, "for ") {
				target, iter, _ := strings.Cut(strings.TrimPrefix(head, "for "), " in ")
				it := in.eval(in.header(l, iter), e, mod, depth)
				for _, n := range strings.Split(target, ",") {
					if n = strings.TrimSpace(n); n != "" {
						e[n] = it
					}
				}
			}
			if in.steps += 3 * len(e); in.steps > maxSteps {
				in.stopped = true
				return
			}
			body := e.clone()
			in.block(lines, i+1, j, body, mod, ret, depth)
			merge(e, body, e.clone())
		case text == "pass" || text == "break" || text == "continue" || text == "else:":
		case strings.HasPrefix(text, "return"):
			v := in.eval(in.header(l, strings.TrimPrefix(text, "return")), e, mod, depth)
			if ret.isData() || len(ret.items) > 0 {
				*ret = union(*ret, v)
			} else {
				*ret = v
			}
		default:
			in.statement(l, e, mod, depth)
		}
		i = j
	}
}

// merge sets in e the union of what the two branches assigned.
func merge(e, a, b env) {
	for k, va := range a {
		vb, ok := b[k]
		if !ok {
			e[k] = va
			continue
		}
		e[k] = mergeVal(va, vb)
	}
	for k, vb := range b {
		if _, ok := a[k]; !ok {
			e[k] = vb
		}
	}
}

func mergeVal(a, b val) val {
	if a.mod != nil || a.fn != "" {
		return a
	}
	if b.mod != nil || b.fn != "" {
		return b
	}
	if same(a, b) {
		return a
	}
	return union(a, b)
}

func same(a, b val) bool {
	fa, fb := a.flatten(), b.flatten()
	if len(fa) != len(fb) || len(a.items) != len(b.items) {
		return false
	}
	for i := range fa {
		if fa[i] != fb[i] {
			return false
		}
	}
	return true
}

// header returns the parsed expression of a header or return line.
func (in *interp) header(l line, text string) expr {
	if l.parsed == nil {
		return in.parse(text)
	}
	if !l.parsed.done {
		l.parsed.done = true
		l.parsed.x = in.parse(text)
	}
	return l.parsed.x
}

// parse parses one expression, charging its length to the parse budget.
func (in *interp) parse(text string) expr {
	in.parsed += len(text)
	if in.parsed > maxParse {
		in.stopped = true
		return &litExpr{}
	}
	return parseExpr(text)
}

// parseStatement splits an assignment into targets and value.
func (in *interp) parseStatement(text string) *parsedLine {
	p := &parsedLine{done: true}
	toks := tokenize(text)
	eq := -1
	level := 0
	for i, t := range toks {
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			level++
		case ")", "]", "}":
			level--
		case "=", "+=", "-=", "*=", "/=":
			if level == 0 && eq < 0 {
				eq = i
			}
		}
	}
	if eq < 0 {
		p.x = in.parse(text)
		return p
	}
	// Everything after the first top-level "=" is the value.
	pos := 0
	for i := 0; i <= eq; i++ {
		pos = strings.Index(text[pos:], toks[i].text) + pos + len(toks[i].text)
	}
	p.x = in.parse(text[pos:])
	p.assign = true
	for _, t := range toks[:eq] {
		if t.kind == tName {
			p.targets = append(p.targets, t.text)
		} else if t.text != "," {
			p.skip = true // subscript or attribute target: nothing to name
		}
	}
	return p
}

// statement runs an assignment or an expression statement.
func (in *interp) statement(l line, e env, mod *scriptModule, depth int) {
	p := l.parsed
	if p == nil || !p.done {
		np := in.parseStatement(l.text)
		if p != nil {
			*p = *np
		}
		p = np
	}
	mark := len(in.g.Nodes)
	v := in.eval(p.x, e, mod, depth)
	if !p.assign || p.skip {
		return
	}
	targets := p.targets
	switch {
	case len(targets) == 1:
		e[targets[0]] = in.nameOutputs(v, targets, mod, mark)
	case len(targets) > 1:
		if len(v.items) == len(targets) {
			for i, n := range targets {
				e[n] = v.items[i]
			}
			return
		}
		if v.node != nil && len(v.node.Outputs) == 1 && in.fresh(v, mark) {
			in.nameOutputs(v, targets, mod, mark)
			for i, n := range targets {
				e[n] = val{names: []string{v.node.Outputs[i]}}
			}
			return
		}
		for _, n := range targets {
			e[n] = v
		}
	}
}

// nameOutputs gives a freshly made node's outputs the assigned names and
// returns the value renamed.
func (in *interp) nameOutputs(v val, targets []string, mod *scriptModule, mark int) val {
	n := v.node
	if !in.fresh(v, mark) || len(v.names) != 1 || v.names[0] != n.Outputs[0] {
		return v
	}
	delete(in.used, n.Outputs[0])
	n.Outputs = n.Outputs[:0]
	for _, t := range targets {
		n.Outputs = append(n.Outputs, in.unique(join(mod.path, t)))
	}
	return val{names: []string{n.Outputs[0]}, node: n}
}

// fresh reports whether v's node was made by the statement being run
// (after node index mark) and its output is not used yet, so it may be
// renamed after the variable it is assigned to.
func (in *interp) fresh(v val, mark int) bool {
	n := v.node
	if n == nil || len(n.Outputs) != 1 || in.consumed[n.Outputs[0]] {
		return false
	}
	for i := len(in.g.Nodes) - 1; i >= mark && i >= 0; i-- {
		if in.g.Nodes[i] == n {
			return true
		}
	}
	return false
}

func (in *interp) unique(base string) string {
	name := base
	for i := 2; in.used[name]; i++ {
		name = base + "#" + strconv.Itoa(i)
	}
	in.used[name] = true
	return name
}

// eval follows an expression, making nodes for tensor operations.
func (in *interp) eval(x expr, e env, mod *scriptModule, depth int) val {
	if !in.tick() {
		return val{}
	}
	switch x := x.(type) {
	case *nameExpr:
		if v, ok := e[x.name]; ok {
			return v
		}
		return val{fn: x.name}
	case *litExpr:
		return val{}
	case *attrExpr:
		base := in.eval(x.x, e, mod, depth)
		switch {
		case base.mod != nil:
			return in.member(base.mod, x.name)
		case base.fn == "CONSTANTS":
			name := "CONSTANTS." + x.name
			if _, ok := in.b.tensors[name]; ok {
				in.usedT[name] = true
				return val{names: []string{name}}
			}
			return val{}
		case base.fn != "":
			return val{fn: base.fn + "." + x.name}
		}
		return val{}
	case *indexExpr:
		base := in.eval(x.x, e, mod, depth)
		in.eval(x.idx, e, mod, depth)
		if l, ok := x.idx.(*litExpr); ok && len(base.items) > 0 {
			if i, err := strconv.Atoi(l.text); err == nil && i >= 0 && i < len(base.items) {
				return base.items[i]
			}
		}
		return base
	case *seqExpr:
		v := val{}
		for _, it := range x.items {
			v.items = append(v.items, in.eval(it, e, mod, depth))
		}
		return v
	case *opExpr:
		var v val
		for _, it := range x.items {
			v = union(v, in.eval(it, e, mod, depth))
		}
		return v
	case *callExpr:
		return in.callExpr(x, e, mod, depth)
	}
	return val{}
}

// member resolves module.name: a submodule, a tensor, or a setting.
func (in *interp) member(m *scriptModule, name string) val {
	if s, ok := m.subs[name]; ok {
		return val{mod: s}
	}
	if t, ok := m.tensors[name]; ok {
		in.usedT[t] = true
		return val{names: []string{t}}
	}
	if l, ok := m.lists[name]; ok {
		v := val{}
		for _, t := range l {
			in.usedT[t] = true
			v.items = append(v.items, val{names: []string{t}})
		}
		return v
	}
	return val{}
}

func (in *interp) callExpr(x *callExpr, e env, mod *scriptModule, depth int) val {
	// Method call on a module: inline it.
	if a, ok := x.fn.(*attrExpr); ok {
		base := in.eval(a.x, e, mod, depth)
		if base.mod != nil {
			args := make([]val, len(x.args))
			for i, arg := range x.args {
				args[i] = in.eval(arg, e, mod, depth)
			}
			return in.moduleCall(base.mod, a.name, args, x, depth)
		}
	}
	fn := in.eval(x.fn, e, mod, depth)
	if fn.fn == "getattr" && len(x.args) >= 2 {
		target := in.eval(x.args[0], e, mod, depth)
		if l, ok := x.args[1].(*litExpr); ok && target.mod != nil {
			return in.member(target.mod, strings.Trim(l.text, `"'`))
		}
		return val{}
	}
	if fn.mod != nil {
		// A module called directly: its forward.
		args := make([]val, len(x.args))
		for i, arg := range x.args {
			args[i] = in.eval(arg, e, mod, depth)
		}
		return in.moduleCall(fn.mod, "forward", args, x, depth)
	}
	op := fn.fn
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	if op == "" || noise[op] {
		return val{}
	}
	var inputs []string
	var attrs []model.Attribute
	items := make([]val, 0, len(x.args))
	for i, arg := range x.args {
		v := in.eval(arg, e, mod, depth)
		items = append(items, v)
		if names := v.flatten(); len(names) > 0 {
			inputs = append(inputs, names...)
		} else {
			attrs = append(attrs, model.Attribute{Name: "arg" + strconv.Itoa(i), Type: model.AttrString, String: render(arg, 80)})
		}
	}
	for _, kw := range x.kwargs {
		v := in.eval(kw.x, e, mod, depth)
		if names := v.flatten(); len(names) > 0 {
			inputs = append(inputs, names...)
		} else {
			attrs = append(attrs, model.Attribute{Name: kw.name, Type: model.AttrString, String: render(kw.x, 80)})
		}
	}
	if len(inputs) == 0 {
		return val{}
	}
	if op == "__getitem__" || op == "contiguous" || op == "detach" {
		return val{names: inputs[:1]}
	}
	if strings.HasPrefix(fn.fn, "__torch__.") && !strings.HasPrefix(fn.fn, "__torch__.torch.nn.functional.") {
		// A scripted class constructor or free function: one opaque node.
		attrs = append(attrs, model.Attribute{Name: "function", Type: model.AttrString, String: fn.fn})
	}
	return in.node(op, mod.path, inputs, attrs)
}

// moduleCall inlines a method of a submodule, or draws the module as one
// node when its code is unknown or the inlining is too deep.
func (in *interp) moduleCall(m *scriptModule, name string, args []val, x *callExpr, depth int) val {
	if m.class != nil && depth < maxInlineDepth {
		if meth := m.class.methods[name]; meth != nil {
			if noise[name] {
				return val{}
			}
			return in.call(m, meth, args, depth+1)
		}
	}
	var inputs []string
	for _, a := range args {
		inputs = append(inputs, a.flatten()...)
	}
	for _, t := range sortedKeys(m.tensors) {
		tn := m.tensors[t]
		in.usedT[tn] = true
		inputs = append(inputs, tn)
	}
	v := in.node(shortClass(m.clsName), m.path, inputs, nil)
	if v.node != nil {
		v.node.Name = m.path
	}
	return v
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return sortedStrings(keys)
}

// node adds an operation under the module path.
func (in *interp) node(op, modPath string, inputs []string, attrs []model.Attribute) val {
	if in.edges += len(inputs); len(in.g.Nodes) >= maxNodes || in.edges > maxEdges {
		in.stopped = true
		return val{}
	}
	base := join(modPath, op)
	in.opCount[base]++
	name := base
	if c := in.opCount[base]; c > 1 {
		name = base + "_" + strconv.Itoa(c)
	}
	out := in.unique(name + ":0")
	n := &model.Node{Name: name, OpType: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs, Category: category(op)}
	for _, i := range inputs {
		in.consumed[i] = true
	}
	in.g.Nodes = append(in.g.Nodes, n)
	return val{names: []string{out}, node: n}
}
