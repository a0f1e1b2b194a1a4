package safetensors

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm"
)

// producers names the framework a safetensors "format" metadata value
// stands for.
var producers = map[string]string{
	"pt":     "PyTorch",
	"tf":     "TensorFlow",
	"flax":   "Flax",
	"jax":    "JAX",
	"np":     "NumPy",
	"numpy":  "NumPy",
	"mlx":    "MLX",
	"paddle": "PaddlePaddle",
}

// assemble builds the model from decoded shards. opened is the file the
// user opened; extraMeta (the index's metadata) fills keys the shards'
// __metadata__ lack.
func assemble(opened string, shards []*shard, extraMeta map[string]string, warnings []string) *model.Model {
	m := &model.Model{
		Format:   "safetensors",
		Metadata: map[string]string{},
		Files:    []string{opened},
	}
	var tensors []*model.Tensor
	seen := map[string]string{}
	dup := 0
	var params, size int64
	mix := map[model.DType]int{}
	for _, s := range shards {
		if s.path != opened {
			m.Files = append(m.Files, s.path)
		}
		for k, v := range s.metadata {
			if _, ok := m.Metadata[k]; !ok {
				m.Metadata[k] = v
			}
		}
		for _, w := range s.warnings {
			if len(shards) > 1 {
				w = filepath.Base(s.path) + ": " + w
			}
			warnings = append(warnings, w)
		}
		for _, t := range s.tensors {
			if _, ok := seen[t.Name]; ok {
				dup++
				continue
			}
			seen[t.Name] = s.path
			tensors = append(tensors, t)
			mix[t.DType]++
		}
		params = satAdd(params, s.params)
		size = satAdd(size, s.bytes)
	}
	if dup > 0 {
		warnings = append(warnings, fmt.Sprintf("%d tensor names appear in more than one shard; the first is shown", dup))
	}
	for k, v := range extraMeta {
		if _, ok := m.Metadata[k]; !ok {
			m.Metadata[k] = v
		}
	}
	if f := m.Metadata["format"]; f != "" {
		if p, ok := producers[f]; ok {
			m.Producer = p
		} else {
			m.Producer = f
		}
	}
	cfg, err := llm.ReadHFConfig(filepath.Dir(opened))
	if err != nil {
		warnings = append(warnings, "config.json beside the weights was not used: "+err.Error())
	}
	g, weightsOnly := llm.WeightsGraph(tensors, cfg)
	m.Graph = g
	if cfg != nil && !weightsOnly {
		m.Files = append(m.Files, cfg.Path)
	}
	m.Properties = []model.Property{
		{Name: "Tensors", Value: strconv.Itoa(len(tensors))},
		{Name: "Parameters", Value: groupDigits(params)},
		{Name: "Tensor data", Value: humanBytes(size)},
		{Name: "Data types", Value: dtypeMix(mix)},
	}
	if cfg != nil {
		m.Properties = append(m.Properties, model.Property{Name: "architecture", Value: cfg.Arch()})
	}
	if weightsOnly && len(tensors) > 0 {
		m.Properties = append(m.Properties, model.Property{Name: "graph", Value: llm.WeightsOnlyNote})
	}
	if len(shards) > 1 || len(m.Files) > 1 {
		m.Properties = append(m.Properties, model.Property{Name: "Shards", Value: strconv.Itoa(len(shards))})
	}
	m.Warnings = warnings
	return m
}

// dtypeMix renders counts per dtype, most common first: "bfloat16 ×290, float32 ×1".
func dtypeMix(mix map[model.DType]int) string {
	type kv struct {
		t model.DType
		n int
	}
	var kvs []kv
	for t, n := range mix {
		kvs = append(kvs, kv{t, n})
	}
	slices.SortFunc(kvs, func(a, b kv) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(string(a.t), string(b.t))
	})
	parts := make([]string, len(kvs))
	for i, e := range kvs {
		parts[i] = fmt.Sprintf("%s ×%d", e.t, e.n)
	}
	return strings.Join(parts, ", ")
}

// groupDigits renders n with thousands separators: 8030261248 -> "8,030,261,248".
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// humanBytes renders a byte count with a binary unit: "14.96 GiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"} {
		f /= unit
		if f < unit {
			return fmt.Sprintf("%.2f %s", f, u)
		}
	}
	return fmt.Sprintf("%d B", n)
}
