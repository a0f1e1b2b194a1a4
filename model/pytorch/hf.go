package pytorch

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm"
)

// stateDictGraph replaces a state dict's module chain: with a Hugging Face
// config.json beside the file, by the architecture's computation; without
// one, by the module hierarchy with no edges (a state dict records no data
// flow).
func stateDictGraph(m *model.Model, file string) {
	cfg, err := llm.ReadHFConfig(filepath.Dir(file))
	if err != nil {
		m.Warnings = append(m.Warnings, "config.json beside the weights was not used: "+err.Error())
	}
	g, weightsOnly := llm.WeightsGraph(m.Graph.Initializers, cfg)
	m.Graph = g
	switch {
	case weightsOnly && len(g.Initializers) > 0:
		m.Properties = append(m.Properties, model.Property{Name: "graph", Value: llm.WeightsOnlyNote})
	case !weightsOnly:
		m.Files = []string{file, cfg.Path}
		m.Properties = append(m.Properties, model.Property{Name: "architecture", Value: cfg.Arch()})
	}
}

// moduleGraph keeps a whole pickled module's tree, drawn without edges,
// unless a Hugging Face config.json beside the file names an architecture
// its tensors make: then the architecture's computation replaces it.
func moduleGraph(m *model.Model, file string) {
	cfg, err := llm.ReadHFConfig(filepath.Dir(file))
	if err != nil {
		m.Warnings = append(m.Warnings, "config.json beside the weights was not used: "+err.Error())
	}
	if cfg != nil && len(m.Graph.Initializers) > 0 {
		if g, weightsOnly := llm.WeightsGraph(m.Graph.Initializers, cfg); !weightsOnly {
			m.Graph = g
			m.Files = []string{file, cfg.Path}
			m.Properties = append(m.Properties, model.Property{Name: "architecture", Value: cfg.Arch()})
			return
		}
	}
	if len(m.Graph.Initializers) > 0 {
		m.Properties = append(m.Properties, model.Property{Name: "graph", Value: llm.WeightsOnlyNote})
	}
}

// openConfig opens the pytorch_model.bin a Hugging Face config.json (or
// model folder) describes; the config comes first in Files.
func openConfig(ctx context.Context, path string) (*model.Model, error) {
	dir := path
	if filepath.Base(path) == llm.ConfigName {
		dir = filepath.Dir(path)
	}
	w, f := llm.HFWeights(dir)
	if f != "pytorch" {
		return nil, fmt.Errorf("no pytorch_model.bin beside %s", llm.ConfigName)
	}
	m, err := Open(ctx, w)
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, llm.ConfigName)
	files := []string{cfg, w}
	for _, f := range m.Files {
		if f != cfg && f != w {
			files = append(files, f)
		}
	}
	m.Files = files
	return m, nil
}
