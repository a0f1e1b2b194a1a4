package main

import (
	"fmt"
	"io"

	"github.com/modelpeek/modelpeek/compare"
	"github.com/modelpeek/modelpeek/cost"
)

// costChange is one figure in both models.
type costChange struct {
	A int64 `json:"a"`
	B int64 `json:"b"`
}

// costDiff is the `cost` object of `diff --json`: each figure of A and B.
type costDiff struct {
	Params          costChange `json:"params"`
	ParamBytes      costChange `json:"param_bytes"`
	MACs            costChange `json:"macs"`
	ActivationBytes costChange `json:"activation_bytes"`
	PeakBytes       costChange `json:"peak_bytes"`
	UnknownNodes    costChange `json:"unknown_nodes"`
}

// resultWithCost is `diff --json`: the comparison and the cost change.
type resultWithCost struct {
	*compare.Result
	Cost costDiff `json:"cost"`
}

// diffCost pairs the figures of two reports.
func diffCost(a, b *cost.Report) costDiff {
	return costDiff{
		Params:          costChange{a.Params, b.Params},
		ParamBytes:      costChange{a.ParamBytes, b.ParamBytes},
		MACs:            costChange{a.MACs, b.MACs},
		ActivationBytes: costChange{a.ActivationBytes, b.ActivationBytes},
		PeakBytes:       costChange{a.PeakBytes, b.PeakBytes},
		UnknownNodes:    costChange{int64(a.UnknownNodes), int64(b.UnknownNodes)},
	}
}

// printCostDiff prints the figures that changed: "cost: MACs 1.81 G →
// 2.10 G (+16.0%)".
func printCostDiff(w io.Writer, d costDiff) {
	for _, f := range []struct {
		name  string
		c     costChange
		bytes bool
	}{{"params", d.Params, false}, {"param bytes", d.ParamBytes, true}, {"MACs", d.MACs, false},
		{"activations", d.ActivationBytes, true}, {"peak", d.PeakBytes, true}, {"unknown nodes", d.UnknownNodes, false}} {
		if f.c.A == f.c.B {
			continue
		}
		spell := count
		if f.bytes {
			spell = bytesText
		}
		fmt.Fprintf(w, "cost:    %s %s → %s", f.name, spell(f.c.A), spell(f.c.B))
		if f.c.A > 0 {
			fmt.Fprintf(w, " (%+.1f%%)", 100*(float64(f.c.B)-float64(f.c.A))/float64(f.c.A))
		}
		fmt.Fprintln(w)
	}
}
