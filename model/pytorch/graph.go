package pytorch

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/hier"
	"github.com/modelpeek/modelpeek/model/internal/llm"
)

// storageLoc is where a storage's bytes lie in the file.
type storageLoc struct {
	offset, length int64
	// raw is set when the bytes are stored uncompressed (previewable).
	raw       bool
	bigEndian bool
}

// locateFunc finds a storage's bytes, or reports that it is missing.
type locateFunc func(s *storageRef) (storageLoc, bool)

// converter turns found tensors into model tensors.
type converter struct {
	file     string
	locate   locateFunc
	warnings []string
	// byStorage lists tensor names by storage key, for tied storages.
	byStorage map[string][]string
}

func (c *converter) warn(format string, args ...any) {
	if len(c.warnings) < 50 {
		c.warnings = append(c.warnings, fmt.Sprintf(format, args...))
	}
}

// tensor converts one tensor, locating its bytes without reading them.
func (c *converter) tensor(nt namedTensor) *model.Tensor {
	ti := nt.info
	t := &model.Tensor{Name: nt.name, DType: ti.dtype, Shape: append([]int64{}, ti.shape...), Quant: ti.quant}
	if nt.kind != "" && nt.kind != "tensor" {
		t.Extra = append(t.Extra, model.Property{Name: "kind", Value: nt.kind})
	}
	if ti.stride != nil {
		t.Extra = append(t.Extra, model.Property{Name: "stride", Value: intsText(ti.stride)})
	}
	if ti.requiresGrad {
		t.Extra = append(t.Extra, model.Property{Name: "requires grad", Value: "true"})
	}
	s := ti.storage
	if s == nil {
		t.Doc = "meta tensor: no data"
		return t
	}
	t.Extra = append(t.Extra,
		model.Property{Name: "storage", Value: s.key + " (" + strings.TrimPrefix(s.class, "torch.") + ", " + strconv.FormatInt(s.numel, 10) + " elements)"},
		model.Property{Name: "storage offset", Value: strconv.FormatInt(ti.offset, 10)},
	)
	if s.device != "" && s.device != "cpu" {
		t.Extra = append(t.Extra, model.Property{Name: "device", Value: s.device})
	}
	if c.byStorage != nil {
		c.byStorage[s.key] = append(c.byStorage[s.key], nt.name)
	}
	loc, ok := c.locate(s)
	if !ok {
		c.warn("%s: its storage %q is missing from the file", nt.name, s.key)
		return t
	}
	if s.numel > 0 && s.elemSize > 0 && (s.numel > loc.length/s.elemSize) {
		c.warn("%s: storage %q declares %d elements but the file holds %d bytes for it", nt.name, s.key, s.numel, loc.length)
		return t
	}
	n, ok1 := model.NumElements(ti.shape)
	span, ok2 := extent(ti.shape, ti.stride)
	if !ok1 || !ok2 || ti.offset > s.numel || span > s.numel-ti.offset {
		c.warn("%s: the tensor reaches past the end of its storage %q", nt.name, s.key)
		return t
	}
	start := loc.offset + ti.offset*s.elemSize
	enc := model.EncOpaque
	length := span * s.elemSize
	if _, sized := model.DTypeSize(ti.dtype); sized && loc.raw && contiguous(ti.shape, ti.stride) && ti.quant == nil {
		enc, length = model.EncRaw, n*s.elemSize
		if loc.bigEndian {
			enc = model.EncRawBigEndian
		}
	}
	t.Location = &model.Location{File: c.file, Offset: start, Length: length, Encoding: enc}
	return t
}

// tieStorages notes on every tensor the other tensors sharing its storage.
func (c *converter) tieStorages(ts []*model.Tensor) {
	byName := map[string]*model.Tensor{}
	for _, t := range ts {
		byName[t.Name] = t
	}
	for _, names := range c.byStorage {
		if len(names) < 2 {
			continue
		}
		for _, n := range names {
			var others []string
			for _, o := range names {
				if o != n && len(others) < 8 {
					others = append(others, o)
				}
			}
			if t := byName[n]; t != nil {
				t.Extra = append(t.Extra, model.Property{Name: "shares storage with", Value: strings.Join(others, ", ")})
			}
		}
	}
}

// uniqueNames renames repeated tensor names ("x", "x#2") so names stay
// unique in the graph.
func uniqueNames(ts []namedTensor) {
	seen := map[string]int{}
	for i := range ts {
		n := ts[i].name
		if n == "" {
			n = "tensor"
		}
		seen[n]++
		if seen[n] > 1 {
			n = n + "#" + strconv.Itoa(seen[n])
		}
		ts[i].name = n
	}
}

// pickleGraph builds the graph of a plain pickle: a node per module of a
// whole pickled nn.Module (its parameters and buffers as initializers,
// its settings as attributes), and nodes grouped by dotted prefix for
// every other tensor. No node feeds another: a pickle records the module
// tree and the weights, not how forward() connects them.
func pickleGraph(w *walker, conv *converter) *model.Graph {
	uniqueNames(w.tensors)
	tensors := make(map[string]*model.Tensor, len(w.tensors))
	kinds := make(map[string]string, len(w.tensors))
	var all []*model.Tensor
	for _, nt := range w.tensors {
		t := conv.tensor(nt)
		tensors[nt.name] = t
		kinds[nt.name] = nt.kind
		all = append(all, t)
	}
	conv.tieStorages(all)
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	owned := map[string]bool{}
	for _, m := range w.modules {
		g.Nodes = append(g.Nodes, moduleNodes(m, tensors, kinds, owned, g)...)
	}
	var rest []*model.Tensor
	for _, t := range all {
		if !owned[t.Name] {
			rest = append(rest, t)
		}
	}
	if len(rest) > 0 {
		// Tensors outside modules have no known use: grouped, no edges.
		h := hier.Build(rest, hier.Options{NoEdges: true})
		g.Nodes = append(g.Nodes, h.Nodes...)
		g.Initializers = append(g.Initializers, h.Initializers...)
	}
	g.Doc = "Weights grouped by module name; " + llm.WeightsOnlyNote + "."
	if len(w.modules) > 0 {
		g.Doc = "The pickled nn.Module's tree: each module a box holding its weights, in definition order; " +
			"the pickle records no data flow (forward() is code it does not hold), so no arrows join them."
	}
	return g
}

// moduleNodes returns the nodes of one pickled module, adding the tensors
// it owns (and no other module owns yet) to g's initializers. A module
// with a path is one node named by it, of op type its class, consuming
// only its own tensors and producing nothing: a container, so the op
// histogram does not count it. The root module's own tensors have no
// module path to be named by: each is a node of its own, of op type its
// kind (Parameter, Buffer). Modules with children and no tensors of their
// own are groups of their children's nodes, not nodes.
func moduleNodes(m moduleInfo, tensors map[string]*model.Tensor, kinds map[string]string, owned map[string]bool, g *model.Graph) []*model.Node {
	var mine []string
	for _, tn := range m.tensors {
		if t, ok := tensors[tn]; ok && !owned[tn] {
			owned[tn] = true
			mine = append(mine, tn)
			g.Initializers = append(g.Initializers, t)
		}
	}
	class := shortClass(m.class)
	attrs := append([]model.Attribute{{Name: "class", Type: model.AttrString, String: m.class}}, m.attrs...)
	if m.path != "" {
		if !m.leaf && len(mine) == 0 {
			return nil
		}
		return []*model.Node{{Name: m.path, OpType: class, Inputs: append([]string{}, mine...), Outputs: []string{},
			Attrs: attrs, Category: category(class), Container: true}}
	}
	if len(mine) == 0 {
		if !m.leaf {
			return nil
		}
		return []*model.Node{{Name: class, OpType: class, Inputs: []string{}, Outputs: []string{},
			Attrs: attrs, Category: category(class), Container: true}}
	}
	nodes := make([]*model.Node, 0, len(mine))
	for _, tn := range mine {
		op := "Tensor"
		if k := kinds[tn]; k != "" {
			op = strings.ToUpper(k[:1]) + k[1:]
		}
		nodes = append(nodes, &model.Node{Name: tn, OpType: op, Inputs: []string{tn}, Outputs: []string{},
			Attrs: []model.Attribute{{Name: "module", Type: model.AttrString, String: m.class}}, Container: true})
	}
	return nodes
}

// shortClass returns the class name without its module and TorchScript
// mangling ("torch.nn.modules.linear.Linear" -> "Linear").
func shortClass(class string) string {
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		class = class[i+1:]
	}
	if class == "" {
		return "Module"
	}
	return class
}

// category guesses a display category from a module class name.
func category(op string) string {
	l := strings.ToLower(op)
	switch {
	case strings.Contains(l, "norm"):
		return "normalization"
	case strings.Contains(l, "pool"):
		return "pooling"
	case strings.Contains(l, "relu") || strings.Contains(l, "gelu") || strings.Contains(l, "sigmoid") ||
		strings.Contains(l, "tanh") || strings.Contains(l, "softmax") || strings.Contains(l, "silu") || l == "elu":
		return "activation"
	case strings.Contains(l, "dropout"):
		return "dropout"
	case strings.Contains(l, "embed"):
		return "data"
	case strings.Contains(l, "conv") || strings.Contains(l, "linear") || strings.Contains(l, "lstm") ||
		strings.Contains(l, "gru") || strings.Contains(l, "rnn") || strings.Contains(l, "attention"):
		return "layer"
	}
	return ""
}

// valueMetadata renders non-tensor scalar values as metadata.
func valueMetadata(vals []valueInfo) map[string]string {
	md := map[string]string{}
	for _, v := range vals {
		if v.repr != "" && v.path != "" {
			md[v.path] = v.repr
		}
	}
	return md
}

// globalsProperty lists the classes and functions a pickle refers to.
func globalsProperty(globals []string) model.Property {
	g := append([]string(nil), globals...)
	sort.Strings(g)
	if len(g) > 40 {
		g = append(g[:40], fmt.Sprintf("… %d more", len(globals)-40))
	}
	return model.Property{Name: "pickle references (never called)", Value: strings.Join(g, ", ")}
}

// pickleGraphOf groups tensors by dotted prefix (hier.Build), in the order
// the pickle lists them (a state_dict's keys follow the modules'
// registration order), with no edges: their use is not recorded.
func pickleGraphOf(ts []*model.Tensor) *model.Graph {
	return hier.Build(ts, hier.Options{KeepOrder: true, NoEdges: true, Doc: "modules in the order the file lists their tensors; " + llm.WeightsOnlyNote})
}
