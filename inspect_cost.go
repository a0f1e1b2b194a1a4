package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/model"
)

// dimFlag is `--dim NAME=VALUE` (repeatable): a symbolic dimension's
// value for the cost figures.
type dimFlag map[string]int64

func (d dimFlag) String() string { return "" }

// Set parses one NAME=VALUE.
func (d dimFlag) Set(s string) error {
	name, v, ok := strings.Cut(s, "=")
	n, err := strconv.ParseInt(v, 10, 64)
	if !ok || name == "" || err != nil || n < 0 {
		return fmt.Errorf("--dim wants NAME=VALUE with VALUE a count, not %q", s)
	}
	d[name] = n
	return nil
}

// summaryWithCost is `inspect --json`: the summary and the cost.
type summaryWithCost struct {
	model.Summary
	Cost *cost.Report `json:"cost"`
}

// costOf counts m's main graph with the dims given.
func costOf(ctx context.Context, m *model.Model, dims dimFlag) *cost.Report {
	r := cost.Model(ctx, m, cost.Options{Dims: dims})
	if r == nil {
		r = &cost.Report{}
	}
	return r
}

// graphNodeCost is one node of `inspect --json --graph` with its cost:
// macs is null when unknown.
type graphNodeCost struct {
	model.GraphDataNode
	MACs   *int64 `json:"macs"`
	Params int64  `json:"params"`
}

// graphWithCost is the main graph as data with each node's cost.
type graphWithCost struct {
	Nodes  []graphNodeCost                 `json:"nodes"`
	Values map[string]model.GraphDataValue `json:"values"`
}

// costGraph adds the report's figures to the graph's nodes.
func costGraph(d model.GraphData, r *cost.Report) graphWithCost {
	out := graphWithCost{Nodes: make([]graphNodeCost, len(d.Nodes)), Values: d.Values}
	for i, n := range d.Nodes {
		out.Nodes[i].GraphDataNode = n
		if i < len(r.Nodes) {
			c := r.Nodes[i]
			if !c.Unknown {
				out.Nodes[i].MACs = &c.MACs
			}
			out.Nodes[i].Params = c.Params
		}
	}
	return out
}

// printCost prints the cost line of the text summary.
func printCost(w io.Writer, r *cost.Report) {
	fmt.Fprintf(w, "cost:     %s params (%s), %s MACs", count(r.Params), bytesText(r.ParamBytes), count(r.MACs))
	if r.MACsFormula != "" {
		fmt.Fprintf(w, " (= %s)", safeText(r.MACsFormula))
	}
	fmt.Fprintf(w, ", peak activations %s", bytesText(r.PeakBytes))
	if r.UnsizedNodes > 0 {
		fmt.Fprintf(w, " (at least: %d outputs of unknown size)", r.UnsizedNodes)
	}
	if r.UnknownNodes > 0 {
		fmt.Fprintf(w, ", %d nodes unknown", r.UnknownNodes)
	}
	fmt.Fprintln(w)
	if l := r.LLM; l != nil {
		fmt.Fprintf(w, "llm:      %s MACs per token, prompt of %d tokens %s MACs, KV cache %s\n", count(l.MACsPerToken), l.PromptTokens, count(l.MACsPrompt), kvText(l.KVCache))
	}
}

// count spells a number with an SI suffix: "1.81 G".
func count(n int64) string {
	f := float64(n)
	for _, u := range []struct {
		s string
		v float64
	}{{"T", 1e12}, {"G", 1e9}, {"M", 1e6}, {"k", 1e3}} {
		if f >= u.v {
			return strconv.FormatFloat(f/u.v, 'f', 2, 64) + " " + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}

// bytesText spells a byte count: "44.6 MB", "504 B".
func bytesText(n int64) string {
	c := count(n)
	if n < 1000 {
		return c + " B"
	}
	return c + "B"
}

// kvText spells a decoder's KV cache: per token and for its context.
func kvText(kv cost.KVCache) string {
	if kv.KVLayers == 0 {
		return "none"
	}
	s := bytesText(kv.KVBytesPerToken) + " per token"
	if kv.KVContextTokens > 0 {
		s += fmt.Sprintf(", %s at %d tokens", bytesText(kv.KVBytesContext), kv.KVContextTokens)
	}
	return s + " (" + safeText(string(kv.KVDType)) + ")"
}
