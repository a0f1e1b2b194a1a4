package tfjs

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/hier"
	"github.com/modelpeek/modelpeek/model/internal/llm"
)

// weightsOnlyGraph draws a model.json that has a weights manifest and no
// modelTopology: its weights grouped by name scope ("dense/kernel" in
// module "dense"), in manifest order, with no edges (the file records no
// data flow). A name repeated in the manifest is shown once.
func weightsOnlyGraph(m *model.Model, w *weights) {
	var ts []*model.Tensor
	seen := map[string]bool{}
	dups := 0
	for _, t := range w.tensors {
		if seen[t.Name] {
			dups++
			continue
		}
		seen[t.Name] = true
		ts = append(ts, t)
	}
	if dups > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%d weights repeat a name listed before them and are not shown", dups))
	}
	m.Graph = hier.Build(ts, hier.Options{KeepOrder: true, NoEdges: true, Separators: "/",
		Doc: "Weights grouped by name, in manifest order; " + llm.WeightsOnlyNote + "."})
	if len(ts) > 0 {
		m.Properties = append(m.Properties, model.Property{Name: "graph", Value: llm.WeightsOnlyNote})
	}
}
