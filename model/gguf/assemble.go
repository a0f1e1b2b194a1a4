package gguf

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// assemble turns the headers of a model's files (the opened one first)
// into a Model.
func assemble(parts []part) (*model.Model, error) {
	first := parts[0].h
	// Metadata comes from the first split in split order; later splits only
	// repeat split.* keys.
	kvh := first
	for _, p := range parts {
		if v, ok := p.h.Lookup("split.no"); ok {
			if n, _ := v.AsInt(); n == 0 {
				kvh = p.h
			}
		}
	}
	m := &model.Model{
		Format:   "gguf",
		Version:  strconv.FormatUint(uint64(first.Version), 10),
		Metadata: make(map[string]string, len(kvh.KVs)),
	}
	for _, kv := range kvh.KVs {
		m.Metadata[kv.Key] = kv.Value.Render()
	}
	if v, ok := kvh.Lookup("general.description"); ok && v.Type == TypeString {
		m.Description = v.Str
	}

	// Tensors are listed in split order; Files lists the opened file first.
	sorted := slices.Clone(parts)
	slices.SortStableFunc(sorted, func(a, b part) int { return cmp.Compare(a.path, b.path) })
	m.Files = append(m.Files, parts[0].path)
	var tensors []*model.Tensor
	seen := map[string]bool{}
	mix := map[string]int{}
	var params, bytes int64
	for _, p := range sorted {
		if p.path != parts[0].path {
			m.Files = append(m.Files, p.path)
		}
		for i := range p.h.Tensors {
			ti := &p.h.Tensors[i]
			if seen[ti.Name] {
				return nil, fmt.Errorf("gguf: tensor %q appears in more than one split", ti.Name)
			}
			seen[ti.Name] = true
			tensors = append(tensors, tensor(p, ti))
			mix[ti.Type.Name()]++
			params += ti.Elements
			bytes += ti.Bytes
		}
	}
	for _, p := range sorted {
		m.Warnings = append(m.Warnings, layoutWarnings(p)...)
	}
	nVocab := vocabSize(kvh)
	g, weightsOnly := graphOf(kvh, tensors, nVocab)
	m.Graph = g
	m.Graph.Name = str(kvh, "general.name")
	m.Properties = properties(kvh, first, len(parts), mix, params, bytes, nVocab)
	if weightsOnly && len(tensors) > 0 {
		m.Properties = append(m.Properties, model.Property{Name: "graph", Value: weightsOnlyNote})
	}
	return m, nil
}

func tensor(p part, ti *TensorInfo) *model.Tensor {
	t := &model.Tensor{
		Name:  ti.Name,
		DType: model.DType(ti.Type.DType()),
		Shape: slices.Clone(ti.Dims),
		Location: &model.Location{
			File:     p.path,
			Offset:   p.h.DataOffset + int64(ti.Offset),
			Length:   ti.Bytes,
			Encoding: model.EncRaw,
		},
	}
	switch {
	case ti.Type.Quantized():
		t.Location.Encoding = model.EncOpaque
		t.Quant = &model.Quantization{Scheme: "ggml " + ti.Type.Name()}
	case p.h.BigEndian:
		t.Location.Encoding = model.EncRawBigEndian
	}
	return t
}

func str(h *Header, key string) string {
	if v, ok := h.Lookup(key); ok && v.Type == TypeString {
		return v.Str
	}
	return ""
}

func vocabSize(h *Header) int64 {
	if v, ok := h.Lookup("tokenizer.ggml.tokens"); ok && v.Type == TypeArray {
		return int64(v.Len)
	}
	if v, ok := h.Lookup(str(h, "general.architecture") + ".vocab_size"); ok {
		n, _ := v.AsInt()
		return n
	}
	return 0
}

// archKeys are the per-architecture hyper-parameters shown in the model
// panel, as "<arch>.<suffix>" keys, with their labels.
var archKeys = []struct{ suffix, label string }{
	{"context_length", "context length"},
	{"embedding_length", "embedding length"},
	{"block_count", "block count"},
	{"feed_forward_length", "feed-forward length"},
	{"attention.head_count", "attention heads"},
	{"attention.head_count_kv", "key/value heads"},
	{"attention.key_length", "key length"},
	{"attention.value_length", "value length"},
	{"attention.layer_norm_rms_epsilon", "RMS norm epsilon"},
	{"attention.layer_norm_epsilon", "layer norm epsilon"},
	{"attention.sliding_window", "sliding window"},
	{"expert_count", "experts"},
	{"expert_used_count", "experts used"},
	{"rope.dimension_count", "rope dimensions"},
	{"rope.freq_base", "rope frequency base"},
	{"rope.scaling.type", "rope scaling"},
	{"rope.scaling.factor", "rope scaling factor"},
	{"rope.scaling.original_context_length", "rope original context"},
}

// fileTypes names llama.cpp's general.file_type values.
var fileTypes = map[int64]string{
	0: "all F32", 1: "mostly F16", 2: "mostly Q4_0", 3: "mostly Q4_1", 7: "mostly Q8_0",
	8: "mostly Q5_0", 9: "mostly Q5_1", 10: "mostly Q2_K", 11: "Q3_K_S", 12: "Q3_K_M",
	13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
	19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S",
	25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS",
	31: "IQ1_M", 32: "mostly BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4 (MoE)",
}

func properties(h, first *Header, nParts int, mix map[string]int, params, bytes, nVocab int64) []model.Property {
	var ps []model.Property
	add := func(name, value string) {
		if value != "" {
			ps = append(ps, model.Property{Name: name, Value: value})
		}
	}
	arch := str(h, "general.architecture")
	add("architecture", arch)
	add("name", str(h, "general.name"))
	order := "little-endian"
	if first.BigEndian {
		order = "big-endian"
	}
	add("format", fmt.Sprintf("GGUF v%d, %s, alignment %d", first.Version, order, first.Alignment))
	if nParts > 1 {
		add("splits", strconv.Itoa(nParts))
	}
	if arch != "" {
		for _, k := range archKeys {
			if v, ok := h.Lookup(arch + "." + k.suffix); ok {
				add(k.label, v.Render())
			}
		}
	}
	tok := str(h, "tokenizer.ggml.model")
	if pre := str(h, "tokenizer.ggml.pre"); pre != "" && tok != "" {
		tok += " (" + pre + ")"
	}
	add("tokenizer", tok)
	if nVocab > 0 {
		add("vocabulary size", strconv.FormatInt(nVocab, 10))
	}
	if v, ok := h.Lookup("general.file_type"); ok {
		if n, isInt := v.AsInt(); isInt {
			name := fileTypes[n]
			if name == "" {
				name = "type " + strconv.FormatInt(n, 10)
			}
			add("file type", name)
		}
	}
	add("quantization", mixText(mix))
	if params > 0 {
		add("parameters", humanCount(params))
		add("tensor data", humanBytes(bytes))
	}
	return ps
}

// mixText renders the tensor type histogram, most used type first:
// "q4_k ×14, f32 ×5".
func mixText(mix map[string]int) string {
	type kv struct {
		k string
		n int
	}
	var all []kv
	for k, n := range mix {
		all = append(all, kv{k, n})
	}
	slices.SortFunc(all, func(a, b kv) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.k, b.k)
	})
	parts := make([]string, len(all))
	for i, e := range all {
		parts[i] = fmt.Sprintf("%s ×%d", e.k, e.n)
	}
	return strings.Join(parts, ", ")
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f B (%d)", float64(n)/1e9, n)
	case n >= 1e6:
		return fmt.Sprintf("%.2f M (%d)", float64(n)/1e6, n)
	}
	return strconv.FormatInt(n, 10)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// layoutWarnings reports tensors whose data is not aligned as
// general.alignment requires, and tensors whose data overlaps another's.
// Neither stops the model from being shown: no tensor data is read.
func layoutWarnings(p part) []string {
	var out []string
	base := filepath.Base(p.path)
	type span struct {
		name       string
		start, end uint64
	}
	spans := make([]span, 0, len(p.h.Tensors))
	for i := range p.h.Tensors {
		t := &p.h.Tensors[i]
		if t.Offset%uint64(p.h.Alignment) != 0 && len(out) < 3 {
			out = append(out, fmt.Sprintf("%s: tensor %q data offset %d is not a multiple of the alignment %d", base, t.Name, t.Offset, p.h.Alignment))
		}
		spans = append(spans, span{t.Name, t.Offset, t.Offset + uint64(t.Bytes)})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end && spans[i].start != spans[i].end {
			out = append(out, fmt.Sprintf("%s: the data of tensors %q and %q overlap", base, spans[i-1].name, spans[i].name))
			break
		}
	}
	return out
}
