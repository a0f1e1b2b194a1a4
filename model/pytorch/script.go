package pytorch

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pickle"
)

// Bounds for TorchScript code.
const (
	maxCodeFile  = 16 << 20
	maxCodeTotal = 64 << 20
	maxClasses   = 100_000
	// maxLine is the longest code line read; longer ones are skipped
	// (TorchScript writes short lines).
	maxLine = 64 << 10
)

// scriptClass is a class definition from code/__torch__/...py.
type scriptClass struct {
	name       string // qualified: "__torch__.torch.nn.modules.conv.Conv2d"
	base       string
	params     map[string]bool
	buffers    map[string]bool
	attrTypes  map[string]string // attribute -> annotated type
	constants  []model.Attribute // "out_channels : Final[int] = 8"
	methods    map[string]*method
	isFunction bool
}

// method is a def with its parameters and body lines.
type method struct {
	name   string
	params []string // without self
	types  []string
	body   []line
}

// line is one source line with its indentation.
type line struct {
	indent int
	text   string
	// parsed caches the line's expression tree: a method is walked once
	// per call site, its lines parsed once.
	parsed *parsedLine
}

// parsedLine is a statement or header, parsed.
type parsedLine struct {
	done    bool
	x       expr     // the value, condition or iterable
	targets []string // assignment targets
	assign  bool
	skip    bool // a target that is not a plain name
}

// scriptModule is a module instance found in data.pkl.
type scriptModule struct {
	path    string
	class   *scriptClass // nil when the code has no definition for it
	clsName string
	subs    map[string]*scriptModule
	order   []string
	tensors map[string]string   // attribute -> tensor name
	lists   map[string][]string // attribute -> tensor names (_flat_weights)
	consts  map[string]pickle.Value
}

// scriptModel decodes a TorchScript archive: the module tree from
// data.pkl, the class definitions and the forward method from code/, and
// tensors from data/ and constants/.
func scriptModel(ctx context.Context, a *archive, res *pickle.Result, file string) (*model.Model, error) {
	classes, warnings := readCode(a)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conv := &converter{file: file, locate: a.locator("data/"), byStorage: map[string][]string{}}
	b := &scriptBuilder{classes: classes, conv: conv, tensors: map[string]*model.Tensor{}, objTensor: map[*pickle.Object]string{}}
	root, ok := res.Value.(*pickle.Object)
	if !ok {
		return nil, fmt.Errorf("TorchScript data.pkl holds %s, not a module", pickle.TypeName(res.Value))
	}
	b.root = b.module(root, "", 0)

	// Constants (frozen modules keep their weights here).
	if data, err := a.read("constants.pkl", maxPickle); err != nil {
		warnings = append(warnings, "constants.pkl: "+err.Error())
	} else if data != nil {
		cres, err := pickle.Decode(data)
		if err != nil {
			warnings = append(warnings, "constants.pkl: "+err.Error())
		} else if t, ok := cres.Value.(pickle.Tuple); ok {
			cconv := &converter{file: file, locate: a.locator("constants/"), byStorage: map[string][]string{}}
			for i, v := range t {
				name := fmt.Sprintf("CONSTANTS.c%d", i)
				if ti, err := asTensor(v, 0); err == nil {
					b.addTensor(cconv.tensor(namedTensor{name: name, info: ti, kind: "constant"}))
				}
			}
			conv.warnings = append(conv.warnings, cconv.warnings...)
		}
	}
	conv.tieStorages(b.order)

	g := b.forwardGraph(ctx)
	m := &model.Model{
		Format:   "pytorch",
		Producer: "TorchScript",
		Graph:    g,
		Properties: []model.Property{
			{Name: "content", Value: "TorchScript module (" + shortClass(b.root.clsName) + ")"},
			{Name: "modules", Value: fmt.Sprint(len(b.modules))},
			globalsProperty(res.Globals),
		},
		Warnings: append(append(warnings, b.warnings...), conv.warnings...),
	}
	if b.root.class != nil {
		var names []string
		for n := range b.root.class.methods {
			names = append(names, n)
		}
		m.Properties = append(m.Properties, model.Property{Name: "methods", Value: strings.Join(sortedStrings(names), ", ")})
	}
	return m, nil
}

// readCode parses every class under code/. Free functions (torch.nn.functional
// helpers) are not inlined: a call to one is drawn as one node.
func readCode(a *archive) (map[string]*scriptClass, []string) {
	classes := map[string]*scriptClass{}
	var warnings []string
	total := int64(0)
	prefix := a.root + "code/"
	for _, f := range a.Files() {
		if !strings.HasPrefix(f.Name, prefix) || !strings.HasSuffix(f.Name, ".py") {
			continue
		}
		if total += int64(f.UncompressedSize64); total > maxCodeTotal {
			warnings = append(warnings, "the archive's code is larger than I read; some classes are not shown")
			break
		}
		src, err := a.ReadFile(f, maxCodeFile)
		if err != nil {
			warnings = append(warnings, err.Error())
			continue
		}
		mod := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(f.Name, prefix), ".py"), "/", ".")
		for _, c := range parseSource(string(src), mod) {
			if len(classes) >= maxClasses {
				break
			}
			if c.isFunction {
				continue
			}
			classes[c.name] = c
		}
	}
	return classes, warnings
}

// parseSource splits a code file into classes (and one pseudo-class of
// top-level functions), reading class headers, annotations and methods.
func parseSource(src, mod string) []*scriptClass {
	lines := splitLines(src)
	var out []*scriptClass
	fns := &scriptClass{isFunction: true, methods: map[string]*method{}}
	for i := 0; i < len(lines); {
		l := lines[i]
		switch {
		case l.indent == 0 && strings.HasPrefix(l.text, "class "):
			c := &scriptClass{params: map[string]bool{}, buffers: map[string]bool{}, attrTypes: map[string]string{}, methods: map[string]*method{}}
			head := strings.TrimSuffix(strings.TrimPrefix(l.text, "class "), ":")
			name, base, _ := strings.Cut(head, "(")
			c.name = mod + "." + strings.TrimSpace(name)
			c.base = strings.TrimSuffix(base, ")")
			i++
			for i < len(lines) && lines[i].indent > 0 {
				if strings.HasPrefix(lines[i].text, "def ") {
					m, next := parseDef(lines, i)
					c.methods[m.name] = m
					i = next
					continue
				}
				c.member(lines[i].text)
				i++
			}
			out = append(out, c)
		case l.indent == 0 && strings.HasPrefix(l.text, "def "):
			m, next := parseDef(lines, i)
			fns.methods[m.name] = m
			i = next
		default:
			i++
		}
	}
	if len(fns.methods) > 0 {
		out = append(out, fns)
	}
	return out
}

// member reads one class-body line that is not a method.
func (c *scriptClass) member(text string) {
	switch {
	case strings.HasPrefix(text, "__parameters__ = "):
		for _, n := range stringList(strings.TrimPrefix(text, "__parameters__ = ")) {
			c.params[n] = true
		}
	case strings.HasPrefix(text, "__buffers__ = "):
		for _, n := range stringList(strings.TrimPrefix(text, "__buffers__ = ")) {
			c.buffers[n] = true
		}
	case strings.HasPrefix(text, `__annotations__["`):
		rest := strings.TrimPrefix(text, `__annotations__["`)
		name, typ, ok := strings.Cut(rest, `"] = `)
		if ok {
			c.attrTypes[name] = strings.TrimSpace(typ)
		}
	default:
		name, typ, ok := strings.Cut(text, " : ")
		if !ok || strings.ContainsAny(name, " ()") {
			return
		}
		typ, val, hasVal := strings.Cut(typ, " = ")
		c.attrTypes[name] = strings.TrimSpace(typ)
		if hasVal && strings.HasPrefix(typ, "Final[") {
			c.constants = append(c.constants, model.Attribute{Name: name, Type: model.AttrString, String: strings.TrimSpace(val)})
		}
	}
}

// parseDef reads a def header (possibly over several lines) and its body.
func parseDef(lines []line, i int) (*method, int) {
	indent := lines[i].indent
	header := lines[i].text
	i++
	for !strings.HasSuffix(header, ":") && i < len(lines) && lines[i].indent > indent {
		header += " " + lines[i].text
		i++
	}
	m := &method{}
	rest := strings.TrimPrefix(header, "def ")
	name, args, _ := strings.Cut(rest, "(")
	m.name = strings.TrimSpace(name)
	if j := strings.LastIndex(args, ") ->"); j >= 0 {
		args = args[:j]
	} else if j := strings.LastIndex(args, "):"); j >= 0 {
		args = args[:j]
	}
	for _, p := range splitTop(args) {
		n, typ, _ := strings.Cut(p, ":")
		n = strings.TrimSpace(n)
		if n == "" || n == "self" {
			continue
		}
		typ, _, _ = strings.Cut(typ, "=")
		m.params = append(m.params, n)
		m.types = append(m.types, strings.TrimSpace(typ))
	}
	for i < len(lines) && lines[i].indent > indent {
		m.body = append(m.body, line{indent: lines[i].indent - indent, text: lines[i].text, parsed: &parsedLine{}})
		i++
	}
	return m, i
}

func splitLines(src string) []line {
	var out []line
	for _, raw := range strings.Split(src, "\n") {
		t := strings.TrimRight(raw, " \r")
		trimmed := strings.TrimLeft(t, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if len(trimmed) > maxLine {
			trimmed = "pass"
		}
		out = append(out, line{indent: len(t) - len(trimmed), text: trimmed})
	}
	return out
}

// splitTop splits on commas outside brackets and strings.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if strings.TrimSpace(s[start:]) != "" {
		out = append(out, s[start:])
	}
	return out
}

// stringList reads `["a", "b", ]`.
func stringList(s string) []string {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	var out []string
	for _, p := range splitTop(s) {
		p = strings.Trim(strings.TrimSpace(p), `"'`)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// scriptBuilder assembles the model of a TorchScript archive.
type scriptBuilder struct {
	classes   map[string]*scriptClass
	conv      *converter
	root      *scriptModule
	modules   []*scriptModule
	tensors   map[string]*model.Tensor
	order     []*model.Tensor
	warnings  []string
	objTensor map[*pickle.Object]string
}

func (b *scriptBuilder) addTensor(t *model.Tensor) {
	if _, dup := b.tensors[t.Name]; dup {
		return
	}
	b.tensors[t.Name] = t
	b.order = append(b.order, t)
}

// module records a scripted module instance and its attributes.
func (b *scriptBuilder) module(o *pickle.Object, p string, depth int) *scriptModule {
	sm := &scriptModule{path: p, clsName: o.Class(), subs: map[string]*scriptModule{}, tensors: map[string]string{},
		lists: map[string][]string{}, consts: map[string]pickle.Value{}}
	sm.class = b.classes[sm.clsName]
	b.modules = append(b.modules, sm)
	st, _ := o.State.(*pickle.Dict)
	if st == nil || depth > maxWalkDepth || len(b.modules) > 200_000 {
		return sm
	}
	for i, k := range st.Keys {
		name := pickle.KeyString(k)
		v := st.Values[i]
		full := join(p, name)
		if c, ok := v.(*pickle.Object); ok && strings.HasPrefix(c.Class(), "__torch__.") && isScriptModule(b.classes[c.Class()], c) {
			sm.subs[name] = b.module(c, full, depth+1)
			sm.order = append(sm.order, name)
			continue
		}
		if ti, err := asTensor(v, 0); err == nil {
			kind := "attribute"
			switch {
			case sm.class == nil || sm.class.params[name]:
				kind = "parameter"
			case sm.class.buffers[name]:
				kind = "buffer"
			}
			t := b.conv.tensor(namedTensor{name: full, info: ti, kind: kind, module: p})
			b.addTensor(t)
			sm.tensors[name] = full
			if obj, ok := v.(*pickle.Object); ok {
				b.objTensor[obj] = full
			}
			continue
		}
		sm.consts[name] = v
	}
	// Lists of tensors already named (an LSTM's _flat_weights) refer to
	// them; the pickle shares the very objects.
	for name, v := range sm.consts {
		if l := b.tensorList(v); l != nil {
			sm.lists[name] = l
		}
	}
	return sm
}

// tensorList returns the names of a list whose items are all known
// tensors, unwrapping TorchScript list helpers.
func (b *scriptBuilder) tensorList(v pickle.Value) []string {
	for i := 0; i < 4; i++ {
		o, ok := v.(*pickle.Object)
		if !ok || !isTransparent(o.Class()) || len(o.Args) == 0 {
			break
		}
		v = o.Args[0]
	}
	l, ok := v.(*pickle.List)
	if !ok || len(l.Items) == 0 {
		return nil
	}
	var names []string
	for _, it := range l.Items {
		o, ok := it.(*pickle.Object)
		if !ok || b.objTensor[o] == "" {
			return nil
		}
		names = append(names, b.objTensor[o])
	}
	return names
}

// isScriptModule reports whether a __torch__ object is an nn.Module (its
// class derives from Module) rather than a scripted data class.
func isScriptModule(c *scriptClass, o *pickle.Object) bool {
	if c != nil {
		return c.base == "Module"
	}
	st, ok := o.State.(*pickle.Dict)
	if !ok {
		return false
	}
	_, t := st.Get("training")
	return t
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}
