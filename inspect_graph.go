package main

import (
	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/model"
)

// summaryWithGraph is `inspect --json --graph`: the summary plus the main
// graph as data (DESIGN.md), its nodes with their cost.
type summaryWithGraph struct {
	model.Summary
	Cost  *cost.Report  `json:"cost"`
	Graph graphWithCost `json:"graph"`
}

func withGraphData(s model.Summary, m *model.Model, c *cost.Report) summaryWithGraph {
	return summaryWithGraph{Summary: s, Cost: c, Graph: costGraph(model.ExportGraph(m.Graph), c)}
}
