package main

import "github.com/modelpeek/modelpeek/model"

// summaryWithGraph is `inspect --json --graph`: the summary plus the main
// graph as data (DESIGN.md).
type summaryWithGraph struct {
	model.Summary
	Graph model.GraphData `json:"graph"`
}

func withGraphData(s model.Summary, m *model.Model) summaryWithGraph {
	return summaryWithGraph{Summary: s, Graph: model.ExportGraph(m.Graph)}
}
